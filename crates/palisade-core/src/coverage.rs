//! What an engine reports about its policies as a whole: the findings it
//! makes without new input (an audit of existing objects or of the policies
//! themselves) and how much of the cluster each policy covers.

use serde::Serialize;

use crate::{Finding, Layer};

/// For one policy, the share of workloads (or endpoints) it applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The policy's name.
    pub policy: String,
    /// Its layer.
    pub layer: Layer,
    /// How many workloads it applies to.
    pub applies_to: usize,
    /// How many workloads there are.
    pub of: usize,
    /// `applies_to / of` (0 when there are no workloads).
    pub share: f64,
}

impl Coverage {
    /// The row of `policy`: it applies to `applies_to` of `of` workloads.
    ///
    /// ```
    /// use palisade_core::{Coverage, Layer};
    /// assert_eq!(Coverage::new("p", Layer::Network, 1, 4).share, 0.25);
    /// assert_eq!(Coverage::new("p", Layer::Network, 0, 0).share, 0.0);
    /// ```
    pub fn new(policy: impl Into<String>, layer: Layer, applies_to: usize, of: usize) -> Coverage {
        #[expect(clippy::cast_precision_loss, reason = "counts of workloads are small")]
        let share = if of == 0 {
            0.0
        } else {
            applies_to as f64 / of as f64
        };
        Coverage {
            policy: policy.into(),
            layer,
            applies_to,
            of,
            share,
        }
    }
}

/// Findings and coverage: what [`Engine::audit`](crate::Engine::audit) and
/// [`Engine::run`](crate::Engine::run) return, and what a report gathers
/// from every layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Audit {
    /// Findings, in the order the engine made them.
    pub findings: Vec<Finding>,
    /// One row per policy.
    pub coverage: Vec<Coverage>,
}

impl Audit {
    /// Appends `other`'s findings and coverage after this one's.
    pub fn extend(&mut self, other: Audit) {
        self.findings.extend(other.findings);
        self.coverage.extend(other.coverage);
    }
}
