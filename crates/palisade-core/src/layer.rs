//! The three moments at which Palisade enforces policy.

use serde::{Deserialize, Serialize};

/// The layer a policy, rule or finding belongs to.
///
/// Serialized in lower case (`"admission"`, `"runtime"`, `"network"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Layer {
    /// Deploy time: an object is checked before the API server stores it
    /// (Gatekeeper, Kyverno, Pod Security Admission).
    Admission,
    /// Execution time: system events are matched against rules (Falco).
    Runtime,
    /// Traffic time: flows are checked against network policies
    /// (NetworkPolicy, CiliumNetworkPolicy, AdminNetworkPolicy).
    Network,
}

impl Layer {
    /// Every layer, in the order a workload meets them.
    pub const ALL: [Layer; 3] = [Layer::Admission, Layer::Runtime, Layer::Network];
}

crate::names! {
    /// The lower-case name used in output and serialization.
    Layer {
        Admission => "admission",
        Runtime => "runtime",
        Network => "network",
    }
}
