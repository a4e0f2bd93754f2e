//! One entry point that loads every kind of policy Palisade runs from files
//! and directories: `palisade admission review --policies DIR...` and the
//! audit use it.

use std::path::Path;

use crate::gatekeeper::{self, GatekeeperError};
use crate::pattern::{self, PatternLoadError};
use crate::review::PolicySet;

/// A policy file or document that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PolicyLoadError {
    /// A Gatekeeper template or constraint.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Gatekeeper(#[from] GatekeeperError),
    /// A Kyverno-style pattern policy.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pattern(#[from] PatternLoadError),
}

/// What [`load_policies`] found.
#[derive(Debug, Default)]
pub struct LoadedPolicies {
    /// Every policy that loaded, in the order found (Gatekeeper constraints first).
    pub policies: PolicySet,
    /// Every problem met; the policies that loaded are still usable.
    pub errors: Vec<PolicyLoadError>,
}

/// Loads every policy under `paths` (files, or directories searched
/// recursively): Gatekeeper ConstraintTemplates with their constraints, then
/// Kyverno-style `ClusterPolicy` / `Policy` pattern policies. Documents of
/// other kinds are ignored. Files that cannot be read or parsed are reported
/// once (by the Gatekeeper reader, which also accepts what Go's YAML reader
/// accepts).
pub fn load_policies<P: AsRef<Path>>(paths: &[P]) -> LoadedPolicies {
    let mut loaded = LoadedPolicies::default();
    let gatekeeper = gatekeeper::load_paths(paths);
    for policy in gatekeeper.policies {
        loaded.policies.add(policy);
    }
    loaded
        .errors
        .extend(gatekeeper.errors.into_iter().map(PolicyLoadError::from));
    let patterns = pattern::load_paths(paths);
    for policy in patterns.policies {
        loaded.policies.add(policy);
    }
    loaded.errors.extend(
        patterns
            .errors
            .into_iter()
            .filter(|e| !matches!(e, PatternLoadError::Read(_)))
            .map(PolicyLoadError::from),
    );
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{AdmissionRequest, Context};
    use serde_json::json;

    #[test]
    fn templates_and_pattern_policies_load_through_one_entry_point() {
        let (Some(gk), Some(ky)) = (
            palisade_testkit::corpus("admission/gatekeeper/general/allowedrepos"),
            palisade_testkit::corpus("admission/kyverno"),
        ) else {
            return;
        };
        // The allowedrepos directory: one template, one constraint.
        let loaded = load_policies(&[&gk]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.policies.len(), 1);
        let pod = AdmissionRequest::from_object(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        }))
        .unwrap();
        let decision = loaded.policies.evaluate(&pod, &Context::new());
        assert!(!decision.allowed(), "{decision:?}");
        // Pattern policies come through the same call.
        let both = load_policies(&[&gk, &ky]);
        assert!(both.policies.len() > 1);
    }
}
