//! The three moments at which Palisade enforces policy.

use std::fmt;

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

    /// The lower-case name used in output and serialization.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Admission => "admission",
            Layer::Runtime => "runtime",
            Layer::Network => "network",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
