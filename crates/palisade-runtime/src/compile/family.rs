//! Check families: every `F = "x"` / `F in (...)` check on the same plain
//! string field `F`, answered together with one hash lookup of the event's
//! value. Falco rules repeat such checks by the hundred (`not proc.name in
//! (...)` exceptions); a family turns them into one lookup per event plus a
//! bit test per check.
//!
//! Likewise every `F startswith "x"` / `F endswith "x"` check on one such
//! field forms a [`PatternFamily`]: one anchored Aho-Corasick DFA walk from
//! the start of the event's value (and one from its end) answers all of
//! them (`fd.name startswith /etc/`, `... /root/.ssh`, `... /dev/sd` ...);
//! the walk stops where no pattern continues. `contains` checks stay
//! alone (a `memchr` substring search each, run only when a rule reaches
//! it): measured on the official rules, an overlapping search of the whole
//! value per event for all of them cost more than the few that run.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

use super::pred::{Check, FastHasher, Pred};
use crate::fields::FieldRef;

/// How a check is answered together with others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Member {
    /// Evaluated alone.
    #[default]
    Alone,
    /// Member `position` of value family `family` (`Program::families`).
    Value {
        /// The family.
        family: u32,
        /// The member's position in it.
        position: u32,
    },
    /// Member `position` of pattern family `family` (`Program::patterns`).
    Pattern {
        /// The family.
        family: u32,
        /// The member's position in it.
        position: u32,
    },
}

/// Where a pattern must occur in the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// At the start (`startswith`).
    Start,
    /// At the end (`endswith`).
    End,
}

/// The `startswith`/`endswith` checks of one field, answered together:
/// one anchored Aho-Corasick DFA walk from the start of the event's value
/// for the `startswith` patterns, one from its end for the `endswith` ones
/// (each stops where no pattern continues).
#[derive(Debug, Clone)]
pub struct PatternFamily {
    /// The field.
    pub field: FieldRef,
    /// The `startswith` patterns (anchored) and their users.
    prefixes: Option<Prefixes>,
    /// The `endswith` patterns, reversed (anchored at the end).
    suffixes: Option<Prefixes>,
    /// Every member check (index into `Program::checks`), by position.
    pub members: Box<[u32]>,
}

/// An anchored Aho-Corasick DFA over the `startswith` patterns of a
/// family (or its reversed `endswith` patterns), and per pattern id the
/// positions of the members using it.
#[derive(Debug, Clone)]
struct Prefixes {
    dfa: DFA,
    users: Box<[Users]>,
    /// Patterns and values read from their end.
    reversed: bool,
}

impl Prefixes {
    fn new(patterns: &[&[u8]], users: Vec<Vec<(Anchor, u32)>>, reversed: bool) -> Option<Prefixes> {
        if patterns.is_empty() {
            return None;
        }
        let patterns: Vec<Vec<u8>> = patterns
            .iter()
            .map(|p| {
                let mut p = p.to_vec();
                if reversed {
                    p.reverse();
                }
                p
            })
            .collect();
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .ok()?;
        Some(Prefixes {
            dfa,
            users: users.into_iter().map(Vec::into_boxed_slice).collect(),
            reversed,
        })
    }

    /// Walks `value` from its start (its end when reversed) until no
    /// pattern continues, reporting the members whose pattern is a prefix
    /// (suffix) of `value`.
    #[inline]
    fn hits(&self, value: &[u8], hit: &mut impl FnMut(u32)) -> bool {
        if self.reversed {
            self.walk(value.iter().rev(), hit)
        } else {
            self.walk(value.iter(), hit)
        }
    }

    #[inline]
    fn walk<'v>(&self, bytes: impl Iterator<Item = &'v u8>, hit: &mut impl FnMut(u32)) -> bool {
        let dfa = &self.dfa;
        let Ok(mut sid) = dfa.start_state(Anchored::Yes) else {
            return false;
        };
        for (at, &byte) in bytes.enumerate() {
            sid = dfa.next_state(Anchored::Yes, sid, byte);
            if dfa.is_dead(sid) {
                break;
            }
            if dfa.is_match(sid) {
                for index in 0..dfa.match_len(sid) {
                    let pattern = dfa.match_pattern(sid, index);
                    // A state also reports the patterns that are suffixes
                    // of the text read: only those read from the start
                    // count.
                    if dfa.pattern_len(pattern) != at + 1 {
                        continue;
                    }
                    for &(_, position) in self.users.get(pattern.as_usize()).into_iter().flatten() {
                        hit(position);
                    }
                }
            }
        }
        true
    }
}

impl PatternFamily {
    /// Calls `hit` with the position of every member that holds on
    /// `value` (some possibly more than once); `false` when a search could
    /// not run (then nothing is known). Allocates nothing.
    #[inline]
    pub fn hits(&self, value: &[u8], mut hit: impl FnMut(u32)) -> bool {
        self.prefixes
            .as_ref()
            .is_none_or(|s| s.hits(value, &mut hit))
            && self
                .suffixes
                .as_ref()
                .is_none_or(|s| s.hits(value, &mut hit))
    }
}

/// The member checks using one pattern, and where it must occur.
type Users = Box<[(Anchor, u32)]>;

/// A pattern check of one field: (check index, anchor, pattern).
type PatternMember<'c> = (u32, Anchor, &'c [u8]);

/// The distinct patterns of one searcher and their users.
#[derive(Default)]
struct Side<'c> {
    ids: HashMap<&'c [u8], usize>,
    patterns: Vec<&'c [u8]>,
    users: Vec<Vec<(Anchor, u32)>>,
}

impl<'c> Side<'c> {
    fn add(&mut self, bytes: &'c [u8], anchor: Anchor, position: u32) {
        let id = *self.ids.entry(bytes).or_insert_with(|| {
            self.patterns.push(bytes);
            self.users.push(Vec::new());
            self.patterns.len() - 1
        });
        if let Some(users) = self.users.get_mut(id) {
            users.push((anchor, position));
        }
    }
}

/// The smallest pattern family worth a search.
const MIN_PATTERNS: usize = 4;

/// The pattern a check looks for, when it is a plain `startswith` or
/// `endswith` test of a single-valued string field.
fn pattern<'c>(
    check: &'c Check,
    single_valued: &dyn Fn(&FieldRef) -> bool,
) -> Option<(Anchor, &'c [u8])> {
    if !check.source.is_plain() || !single_valued(&check.source.field) {
        return None;
    }
    let (anchor, bytes): (Anchor, &[u8]) = match &check.pred {
        Pred::StartsWith(p) => (Anchor::Start, p),
        Pred::EndsWith(p) => (Anchor::End, p),
        _ => return None,
    };
    // An empty pattern matches everywhere: left to the check itself.
    (!bytes.is_empty()).then_some((anchor, bytes))
}

/// Groups the pattern checks of `checks` by field into pattern families,
/// marking their members in `member_of`.
pub fn pattern_families(
    checks: &[Check],
    single_valued: &dyn Fn(&FieldRef) -> bool,
    member_of: &mut [Member],
) -> Vec<PatternFamily> {
    let mut by_field: HashMap<FieldRef, Vec<PatternMember<'_>>> = HashMap::new();
    for (i, check) in checks.iter().enumerate() {
        if member_of.get(i) != Some(&Member::Alone) {
            continue;
        }
        if let Some((anchor, bytes)) = pattern(check, single_valued) {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            by_field
                .entry(check.source.field.clone())
                .or_default()
                .push((i, anchor, bytes));
        }
    }
    let mut fields: Vec<_> = by_field
        .into_iter()
        .filter(|(_, m)| m.len() >= MIN_PATTERNS)
        .collect();
    fields.sort_by_key(|(_, members)| members.first().map_or(0, |m| m.0));
    let mut out = Vec::new();
    for (field, members) in fields {
        let mut starts = Side::default();
        let mut ends = Side::default();
        for (position, &(_, anchor, bytes)) in members.iter().enumerate() {
            let side = match anchor {
                Anchor::Start => &mut starts,
                Anchor::End => &mut ends,
            };
            side.add(bytes, anchor, u32::try_from(position).unwrap_or(u32::MAX));
        }
        let prefixes = Prefixes::new(&starts.patterns, starts.users, false);
        let suffixes = Prefixes::new(&ends.patterns, ends.users, true);
        if prefixes.is_none() && !starts.patterns.is_empty()
            || suffixes.is_none() && !ends.patterns.is_empty()
        {
            continue;
        }
        let family = u32::try_from(out.len()).unwrap_or(u32::MAX);
        for (position, &(check, _, _)) in members.iter().enumerate() {
            if let Some(slot) = member_of.get_mut(check as usize) {
                *slot = Member::Pattern {
                    family,
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                };
            }
        }
        out.push(PatternFamily {
            field,
            prefixes,
            suffixes,
            members: members.iter().map(|m| m.0).collect(),
        });
    }
    out
}

/// The smallest family worth a lookup table.
const MIN_MEMBERS: usize = 4;

/// Checks of one field answered by one lookup.
#[derive(Debug, Clone)]
pub struct Family {
    /// The field.
    pub field: FieldRef,
    /// Bit `n` set when some value has length `n` (bit 63: length >= 63):
    /// most event values are rejected without hashing.
    lengths: u64,
    /// The id of every value some member compares with.
    values: HashMap<Box<[u8]>, u32, BuildHasherDefault<FastHasher>>,
    /// Per value id, the members (by position) it satisfies, as a bit set.
    hits: Vec<Box<[u64]>>,
}

impl Family {
    /// The value id of `value`, if a member compares with it.
    #[inline]
    pub fn value_id(&self, value: &[u8]) -> Option<u32> {
        if self.lengths & (1 << value.len().min(63)) == 0 {
            return None;
        }
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
    if !check.source.is_plain() || !single_valued(&check.source.field) {
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
) -> (Vec<Family>, Vec<Member>) {
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
    let mut member_of = vec![Member::Alone; checks.len()];
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
                *slot = Member::Value {
                    family: family_id,
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                };
            }
        }
        let lengths = values
            .keys()
            .fold(0u64, |acc, v| acc | (1 << v.len().min(63)));
        families.push(Family {
            field,
            lengths,
            values,
            hits,
        });
    }
    (families, member_of)
}
