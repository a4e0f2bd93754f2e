//! Traffic-time policy: NetworkPolicy, CiliumNetworkPolicy and
//! AdminNetworkPolicy over an inventory of workloads, compiled into a
//! [`Resolver`] that checks flows, builds the whole matrix, audits and
//! writes connlists.
//!
//! [`Resolver`] implements the [`Engine`](crate::Engine) trait with a
//! [`Flow`] as input.

pub use palisade_network::audit::audit;
pub use palisade_network::connlist::{ConnList, Connection, Format as ConnListFormat};
pub use palisade_network::ports::Protocol;
pub use palisade_network::resolver::{Flow, FlowEnd, Verdict as FlowVerdict};
pub use palisade_network::{Catalog, Inventory, Issues, LoadIssue, PolicySet, Resolver};

use palisade_core::Manifest;

/// Compiles manifests (workloads, namespaces, policies) into a resolver;
/// what was not understood is returned as messages.
pub fn resolver(manifests: &[Manifest]) -> (Resolver, Vec<String>) {
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(manifests, &mut issues);
    let messages = (&issues).into_iter().map(ToString::to_string).collect();
    (resolver, messages)
}
