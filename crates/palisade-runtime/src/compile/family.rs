//! Check families: every `F = "x"` / `F in (...)` check on the same plain
//! string field `F`, answered together with one hash lookup of the event's
//! value. Falco rules repeat such checks by the hundred (`not proc.name in
//! (...)` exceptions); a family turns them into one lookup per event plus a
//! bit test per check.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::pred::{Check, FastHasher, Pred};
use crate::fields::FieldRef;

/// The smallest family worth a lookup table.
const MIN_MEMBERS: usize = 4;

/// Checks of one field answered by one lookup.
#[derive(Debug, Clone)]
pub struct Family {
    /// The field.
    pub field: FieldRef,
    /// The id of every value some member compares with.
    values: HashMap<Box<[u8]>, u32, BuildHasherDefault<FastHasher>>,
    /// Per value id, the members (by position) it satisfies, as a bit set.
    hits: Vec<Box<[u64]>>,
}

impl Family {
    /// The value id of `value`, if a member compares with it.
    #[inline]
    pub fn value_id(&self, value: &[u8]) -> Option<u32> {
        self.values.get(value).copied()
    }

    /// `true` when member `position` holds for value id `vid`.
    #[inline]
    pub fn holds(&self, vid: u32, position: u32) -> bool {
        self.hits
            .get(vid as usize)
            .and_then(|bits| bits.get(position as usize / 64))
            .is_some_and(|w| w & (1 << (position % 64)) != 0)
    }
}

/// Member checks of one field: (check index, accepted values).
type Members = Vec<(usize, Vec<Box<[u8]>>)>;

/// The values a check accepts, when it is a plain equality or membership
/// test on a single-valued string field.
fn accepted(check: &Check, single_valued: &dyn Fn(&FieldRef) -> bool) -> Option<Vec<Box<[u8]>>> {
    if !check.source.xforms.is_empty() || !single_valued(&check.source.field) {
        return None;
    }
    match &check.pred {
        Pred::StrEq(v) => Some(vec![v.clone()]),
        Pred::StrIn(set) => Some(set.items().map(Into::into).collect()),
        _ => None,
    }
}

/// Groups `checks` into families; returns them and, per check, its
/// (family, position) when it belongs to one.
pub fn families(
    checks: &[Check],
    single_valued: &dyn Fn(&FieldRef) -> bool,
) -> (Vec<Family>, Vec<Option<(u32, u32)>>) {
    let mut by_field: HashMap<FieldRef, Members> = HashMap::new();
    for (i, check) in checks.iter().enumerate() {
        if let Some(values) = accepted(check, single_valued) {
            by_field
                .entry(check.source.field.clone())
                .or_default()
                .push((i, values));
        }
    }
    let mut families = Vec::new();
    let mut member_of = vec![None; checks.len()];
    let mut fields: Vec<_> = by_field
        .into_iter()
        .filter(|(_, m)| m.len() >= MIN_MEMBERS)
        .collect();
    fields.sort_by_key(|(_, members)| members.first().map_or(0, |m| m.0));
    for (field, members) in fields {
        let family_id = u32::try_from(families.len()).unwrap_or(u32::MAX);
        let words = members.len().div_ceil(64);
        let mut values: HashMap<Box<[u8]>, u32, BuildHasherDefault<FastHasher>> =
            HashMap::default();
        let mut hits: Vec<Box<[u64]>> = Vec::new();
        for (position, (check, accepted)) in members.iter().enumerate() {
            for value in accepted {
                let next = u32::try_from(hits.len()).unwrap_or(u32::MAX);
                let vid = *values.entry(value.clone()).or_insert(next);
                if vid == next {
                    hits.push(vec![0; words].into_boxed_slice());
                }
                if let Some(w) = hits
                    .get_mut(vid as usize)
                    .and_then(|bits| bits.get_mut(position / 64))
                {
                    *w |= 1 << (position % 64);
                }
            }
            if let Some(slot) = member_of.get_mut(*check) {
                *slot = Some((family_id, u32::try_from(position).unwrap_or(u32::MAX)));
            }
        }
        families.push(Family {
            field,
            values,
            hits,
        });
    }
    (families, member_of)
}
