//! One entry point that loads every kind of policy Palisade runs from files
//! and directories: `palisade admission review --policies DIR...` and the
//! audit use it.

use std::path::Path;
use std::sync::Arc;

use crate::cel::admission_policy::{self, AdmissionPolicyError};
use crate::cel::kyverno_policy;
use crate::gatekeeper::{self, ConstraintTemplate, EngineChoice, GatekeeperError};
use crate::pattern::{self, PatternLoadError};
use crate::review::{Policy, PolicySet};
use palisade_core::{Manifest, ManifestError};

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
    /// The Gatekeeper templates that loaded, by constraint kind: whether
    /// each runs compiled or on the interpreter, and why
    /// ([`ConstraintTemplate::interpreter_reason`]).
    pub templates: Vec<Arc<ConstraintTemplate>>,
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
    loaded.add_gatekeeper(gatekeeper::load_paths_with(paths, engine));
    // Unreadable files are already reported by the Gatekeeper reader.
    loaded.add_cel(&palisade_core::manifest::load_paths(paths).objects);
    let patterns = pattern::load_paths(paths);
    loaded.add(
        patterns.policies,
        patterns
            .errors
            .into_iter()
            .filter(|e| !matches!(e, PatternLoadError::Read(_))),
    );
    loaded
}

/// Loads policies from YAML or JSON text, as [`load_policies`] does from
/// files; `name` is used in error messages. A text that is not YAML (or
/// JSON) is an error, with its line and column; policies that do not load
/// are in [`LoadedPolicies::errors`].
pub fn load_policies_str(name: &str, text: &str) -> Result<LoadedPolicies, ManifestError> {
    let report = palisade_core::manifest::load_str(name, text);
    if let Some(e) = report.errors.into_iter().next() {
        return Err(e);
    }
    let mut loaded = LoadedPolicies::default();
    loaded.add_gatekeeper(gatekeeper::load_manifests(&report.objects));
    loaded.add_cel(&report.objects);
    let patterns = pattern::load_str(name, text);
    loaded.add(patterns.policies, patterns.errors);
    Ok(loaded)
}

impl LoadedPolicies {
    /// Adds `policies` and the `errors` met loading them.
    fn add<P: Policy + 'static, E: Into<PolicyLoadError>>(
        &mut self,
        policies: Vec<P>,
        errors: impl IntoIterator<Item = E>,
    ) {
        for policy in policies {
            self.policies.add(policy);
        }
        self.errors.extend(errors.into_iter().map(Into::into));
    }

    /// Adds Gatekeeper's policies; a constraint left out for want of the
    /// forced engine is skipped, not an error.
    fn add_gatekeeper(&mut self, gatekeeper: gatekeeper::Loaded) {
        let (skipped, errors): (Vec<_>, Vec<_>) = gatekeeper
            .errors
            .into_iter()
            .partition(|e| matches!(e, GatekeeperError::EngineMissing(_)));
        self.skipped.extend(skipped.into_iter().map(Into::into));
        self.templates.extend(gatekeeper.templates.into_values());
        self.add(gatekeeper.policies, errors);
    }

    /// Adds the ValidatingAdmissionPolicies (each binding joined to its
    /// policy) and Kyverno ValidatingPolicies among `manifests`.
    fn add_cel(&mut self, manifests: &[Manifest]) {
        let vap = admission_policy::load_manifests(manifests);
        self.add(vap.policies, vap.errors);
        let kyverno = kyverno_policy::load_manifests(manifests);
        self.add(kyverno.policies, kyverno.errors.into_iter().map(|(_, e)| e));
    }
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
