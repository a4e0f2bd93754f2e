//! A fixed-size set of small integers (identity ids), one bit each.

/// A set of identity ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bitset {
    words: Vec<u64>,
}

impl Bitset {
    /// An empty set able to hold `0..len`.
    pub fn new(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// Adds `i` (ignored when out of range).
    pub fn insert(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// Whether `i` is in the set.
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    /// Adds every member of `other`.
    pub fn union_with(&mut self, other: &Bitset) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    /// Whether every member of `other` is in `self`.
    pub fn is_superset(&self, other: &Bitset) -> bool {
        other
            .words
            .iter()
            .enumerate()
            .all(|(i, &w)| w & !self.words.get(i).copied().unwrap_or(0) == 0)
    }

    /// `true` when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// How many members.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut word = w;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(wi * 64 + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_contains_iterate() {
        let mut s = Bitset::new(130);
        for i in [0, 63, 64, 129] {
            s.insert(i);
        }
        s.insert(500);
        assert!(s.contains(63) && s.contains(129) && !s.contains(1) && !s.contains(500));
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
        assert_eq!(s.count(), 4);
        let mut t = Bitset::new(130);
        t.insert(1);
        t.union_with(&s);
        assert_eq!(t.count(), 5);
    }
}
