//! Sets of event types, one bit per event code: what a condition's
//! `evt.type` tests select and which types a rule is indexed under.

use crate::fields::{EventCode, MAX_EVENT_TYPES};

/// A set of event codes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EvtSet([u64; MAX_EVENT_TYPES / 64]);

impl std::fmt::Debug for EvtSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl EvtSet {
    /// No event type.
    pub const EMPTY: EvtSet = EvtSet([0; MAX_EVENT_TYPES / 64]);
    /// Every event type.
    pub const ALL: EvtSet = EvtSet([u64::MAX; MAX_EVENT_TYPES / 64]);

    /// `true` when `code` is in the set.
    #[inline]
    pub fn contains(&self, code: EventCode) -> bool {
        let code = usize::from(code);
        self.0
            .get(code / 64)
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }

    /// Adds `code`.
    pub fn insert(&mut self, code: EventCode) {
        let code = usize::from(code);
        if let Some(w) = self.0.get_mut(code / 64) {
            *w |= 1 << (code % 64);
        }
    }

    /// The codes in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = EventCode> + '_ {
        (0..MAX_EVENT_TYPES)
            .filter_map(|c| EventCode::try_from(c).ok())
            .filter(|&c| self.contains(c))
    }

    fn zip(self, other: EvtSet, f: impl Fn(u64, u64) -> u64) -> EvtSet {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a = f(*a, b);
        }
        out
    }

    /// Union.
    pub fn union(self, other: EvtSet) -> EvtSet {
        self.zip(other, |a, b| a | b)
    }

    /// Intersection.
    pub fn intersect(self, other: EvtSet) -> EvtSet {
        self.zip(other, |a, b| a & b)
    }

    /// Complement.
    pub fn complement(self) -> EvtSet {
        self.zip(EvtSet::ALL, |a, _| !a)
    }

    /// `true` when every code is in the set.
    pub fn is_all(&self) -> bool {
        *self == EvtSet::ALL
    }

    /// `true` when no code is in the set.
    pub fn is_empty(&self) -> bool {
        *self == EvtSet::EMPTY
    }
}
