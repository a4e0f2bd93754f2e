//! The selector cache: every distinct endpoint selector is evaluated once
//! against the identities, every namespace selector once against the
//! namespaces.

use std::collections::HashMap;

use super::Bitset;
use super::Identity;
use crate::inventory::Inventory;
use crate::labels::{Labels, Selector};
use crate::policy::{EndpointSelector, NamespaceScope};

/// Selected identity sets, by selector.
#[derive(Debug, Clone)]
pub(crate) struct SelectorCache {
    /// Identity count.
    size: usize,
    /// Per namespace (inventory order): its identities.
    ns_identities: Vec<Vec<usize>>,
    /// Namespace name -> index.
    ns_index: HashMap<String, usize>,
    /// Namespace labels, inventory order.
    ns_labels: Vec<Labels>,
    /// Namespace selector -> selected namespaces.
    namespaces: HashMap<Selector, Vec<usize>>,
    by_selector: HashMap<EndpointSelector, usize>,
    by_union: HashMap<Vec<usize>, usize>,
    sets: Vec<Bitset>,
}

impl SelectorCache {
    pub(crate) fn new(inventory: &Inventory, identities: &[Identity]) -> SelectorCache {
        let ns_index: HashMap<String, usize> = inventory
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let mut ns_identities = vec![Vec::new(); inventory.namespaces.len()];
        for (i, identity) in identities.iter().enumerate() {
            if let Some(list) = ns_index
                .get(&identity.namespace)
                .and_then(|&n| ns_identities.get_mut(n))
            {
                list.push(i);
            }
        }
        SelectorCache {
            size: identities.len(),
            ns_identities,
            ns_index,
            ns_labels: inventory
                .namespaces
                .iter()
                .map(|n| n.labels.clone())
                .collect(),
            namespaces: HashMap::new(),
            by_selector: HashMap::new(),
            by_union: HashMap::new(),
            sets: Vec::new(),
        }
    }

    /// How many distinct selectors were evaluated.
    pub(crate) fn len(&self) -> usize {
        self.by_selector.len()
    }

    /// The set with this index (`None` when out of range).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&Bitset> {
        self.sets.get(index)
    }

    /// The members of the set with this index.
    pub(crate) fn members(&self, index: usize) -> Vec<usize> {
        self.sets
            .get(index)
            .map(|s| s.ones().collect())
            .unwrap_or_default()
    }

    /// The index of the set `selector` selects, evaluating it the first time.
    pub(crate) fn select(&mut self, selector: &EndpointSelector, identities: &[Identity]) -> usize {
        if let Some(&i) = self.by_selector.get(selector) {
            return i;
        }
        if let NamespaceScope::Selector(s) = &selector.namespaces
            && !self.namespaces.contains_key(s)
        {
            let found = self.namespaces_of(s);
            self.namespaces.insert(s.clone(), found);
        }
        let set = self.compute(selector, identities);
        self.sets.push(set);
        let i = self.sets.len() - 1;
        self.by_selector.insert(selector.clone(), i);
        i
    }

    /// Adds a set computed elsewhere (the identities in a CIDR block);
    /// returns its index.
    pub(crate) fn insert(&mut self, set: Bitset) -> usize {
        self.sets.push(set);
        self.sets.len() - 1
    }

    /// The index of the union of several sets.
    pub(crate) fn union(&mut self, parts: &[usize]) -> usize {
        let mut key = parts.to_vec();
        key.sort_unstable();
        key.dedup();
        if let Some(&i) = self.by_union.get(&key) {
            return i;
        }
        let mut set = Bitset::with_capacity(self.size);
        for &p in &key {
            if let Some(s) = self.sets.get(p) {
                set.union_with(s);
            }
        }
        self.sets.push(set);
        let i = self.sets.len() - 1;
        self.by_union.insert(key, i);
        i
    }

    /// Evaluates a selector, from the cache when it was seen at build time.
    pub(crate) fn evaluate(&self, identities: &[Identity], selector: &EndpointSelector) -> Bitset {
        if let Some(set) = self
            .by_selector
            .get(selector)
            .and_then(|&i| self.sets.get(i))
        {
            return set.clone();
        }
        self.compute(selector, identities)
    }

    fn namespaces_of(&self, selector: &Selector) -> Vec<usize> {
        if let Some(v) = self.namespaces.get(selector) {
            return v.clone();
        }
        self.ns_labels
            .iter()
            .enumerate()
            .filter(|(_, labels)| selector.matches(labels))
            .map(|(i, _)| i)
            .collect()
    }

    fn compute(&self, selector: &EndpointSelector, identities: &[Identity]) -> Bitset {
        let namespaces = match &selector.namespaces {
            NamespaceScope::Named(name) => self.ns_index.get(name).copied().into_iter().collect(),
            NamespaceScope::Selector(s) => self.namespaces_of(s),
        };
        let mut set = Bitset::with_capacity(self.size);
        let everything = selector.pods.is_everything();
        for n in namespaces {
            for &i in self.ns_identities.get(n).into_iter().flatten() {
                let selected = everything
                    || identities
                        .get(i)
                        .is_some_and(|id| selector.pods.matches(&id.labels));
                if selected && i < set.len() {
                    set.insert(i);
                }
            }
        }
        set
    }
}
