//! One entry point that loads every kind of policy Palisade runs from files
//! and directories: `palisade admission review --policies DIR...` and the
//! audit use it.

use std::path::Path;

use crate::cel::admission_policy::{self, AdmissionPolicyError};
use crate::cel::kyverno_policy;
use crate::gatekeeper::{self, EngineChoice, GatekeeperError};
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
    /// A ValidatingAdmissionPolicy or its binding.
    #[error(transparent)]
    #[diagnostic(transparent)]
    AdmissionPolicy(#[from] AdmissionPolicyError),
}

/// What [`load_policies`] found.
#[derive(Debug, Default)]
pub struct LoadedPolicies {
    /// Every policy that loaded, in the order found (Gatekeeper constraints first).
    pub policies: PolicySet,
    /// Every problem met; the policies that loaded are still usable.
    pub errors: Vec<PolicyLoadError>,
    /// Constraints left out because their template lacks the engine that
    /// was forced (`--engine rego|cel`): reported, neither passed nor failed.
    pub skipped: Vec<PolicyLoadError>,
}

/// Loads every policy under `paths` (files, or directories searched
/// recursively): Gatekeeper ConstraintTemplates with their constraints,
/// ValidatingAdmissionPolicies with their bindings, Kyverno
/// ValidatingPolicies, then Kyverno-style `ClusterPolicy` / `Policy` pattern policies. Documents of
/// other kinds are ignored. Files that cannot be read or parsed are reported
/// once (by the Gatekeeper reader, which also accepts what Go's YAML reader
/// accepts).
pub fn load_policies<P: AsRef<Path>>(paths: &[P]) -> LoadedPolicies {
    load_policies_with(paths, EngineChoice::Auto)
}

/// [`load_policies`] running, in each Gatekeeper template, the
/// implementation `engine` picks (`--engine auto|rego|cel`); a constraint
/// whose template lacks a forced engine is left out and reported as
/// [`GatekeeperError::EngineMissing`].
pub fn load_policies_with<P: AsRef<Path>>(paths: &[P], engine: EngineChoice) -> LoadedPolicies {
    let mut loaded = LoadedPolicies::default();
    let gatekeeper = gatekeeper::load_paths_with(paths, engine);
    for policy in gatekeeper.policies {
        loaded.policies.add(policy);
    }
    for e in gatekeeper.errors {
        match e {
            GatekeeperError::EngineMissing(_) => loaded.skipped.push(e.into()),
            e => loaded.errors.push(e.into()),
        }
    }
    // ValidatingAdmissionPolicies and bindings (unreadable files are
    // already reported by the Gatekeeper reader).
    let manifests = palisade_core::manifest::load_paths(paths);
    let vap = admission_policy::load_manifests(&manifests.objects);
    for policy in vap.policies {
        loaded.policies.add(policy);
    }
    loaded
        .errors
        .extend(vap.errors.into_iter().map(PolicyLoadError::from));
    let kyverno_cel = kyverno_policy::load_manifests(&manifests.objects);
    for policy in kyverno_cel.policies {
        loaded.policies.add(policy);
    }
    loaded.errors.extend(
        kyverno_cel
            .errors
            .into_iter()
            .map(|(_, e)| PolicyLoadError::from(e)),
    );
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
