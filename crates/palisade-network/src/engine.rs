//! The network layer behind [`palisade_core::Engine`]: a [`Resolver`]
//! evaluates one [`Flow`] into a [`Verdict`], and its audit is the policy
//! audit ([`crate::audit::audit`]) with each policy's coverage of the
//! inventory's endpoints.

use palisade_core::{Audit, Coverage, Engine, Layer};

use crate::resolver::{Flow, Resolver, Verdict};

impl Engine for Resolver {
    type Input = Flow;
    type Verdict = Verdict;
    type Scratch = ();

    fn layer(&self) -> Layer {
        Layer::Network
    }

    fn scratch(&self) -> Self::Scratch {}

    fn evaluate(&self, _scratch: &mut (), flow: &Flow) -> Verdict {
        self.check(flow)
    }

    fn audit(&self) -> Audit {
        Audit {
            findings: crate::audit::audit(self),
            coverage: coverage(self),
        }
    }
}

/// One row per policy: how many of the inventory's endpoints it selects.
fn coverage(resolver: &Resolver) -> Vec<Coverage> {
    let catalog = resolver.catalog();
    let endpoints = catalog.inventory.endpoints.len();
    catalog
        .policies
        .policies
        .iter()
        .map(|policy| {
            let applies: usize = resolver
                .policy_subjects(policy)
                .into_iter()
                .filter_map(|id| resolver.identities().get(id.index()))
                .map(|identity| identity.endpoints.len())
                .sum();
            Coverage::new(policy.display_name(), Layer::Network, applies, endpoints)
        })
        .collect()
}
