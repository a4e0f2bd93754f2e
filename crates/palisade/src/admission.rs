//! Deploy-time policy: Gatekeeper ConstraintTemplates and constraints,
//! Kyverno-style pattern policies and Pod Security Standards, evaluated on
//! AdmissionReviews.
//!
//! [`AdmissionEngine`] is the admission layer behind the
//! [`Engine`](crate::Engine) trait.

pub use palisade_admission::audit::{AuditReport, AuditViolation, PolicyCoverage, audit};
pub use palisade_admission::builtin::BuiltinPack;
pub use palisade_admission::engine::{AdmissionEngine, AdmissionVerdict};
pub use palisade_admission::review::{
    ADMISSION_API_VERSION, GroupVersionKind, GroupVersionResource, ReviewError, Status, UserInfo,
};
pub use palisade_admission::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Context, Decision, EvaluationError,
    LoadedPolicies, Operation, Policy, PolicyLoadError, PolicySet, RequestCache, Violation,
    load_policies, load_policies_with,
};

/// Gatekeeper's audit: existing objects against every policy, with
/// violations and each policy's coverage.
pub mod audit {
    pub use palisade_admission::audit::{AuditReport, AuditViolation, PolicyCoverage, audit};
}

/// The built-in policy pack (registries, labels, limits, privileged
/// containers, Pod Security).
pub mod builtin {
    pub use palisade_admission::builtin::{
        AllowedRegistries, BuiltinPack, ContainerList, LabelRegexError, NoPrivileged, PssPolicy,
        RequiredLabel, RequiredLabels, ResourceLimits, is_exempt,
    };
}

/// Pod Security Standards, evaluated natively, and Pod Security Admission
/// as Kubernetes runs it (namespace labels, exemptions).
pub mod pss {
    pub use palisade_admission::pss::{
        CheckFailure, CheckId, Evaluation, Exemption, Exemptions, LABEL_PREFIX, LabelError, Level,
        LevelVersion, NEWEST_MINOR, NamespacePolicy, NamespaceRequest, ParseCheckIdError,
        ParseLevelError, ParseVersionError, PodSecurity, PodSecurityAdmission, PodSecurityDecision,
        PodSecurityRequest, PodView, PssPolicy, Version, WORKLOAD_KINDS, checks_for, evaluate,
        evaluate_pod, has_pod_spec, is_significant_pod_update, pod_view,
    };
}

/// Gatekeeper ConstraintTemplates (Rego, on regorus) and their constraints.
pub mod gatekeeper {
    pub use palisade_admission::gatekeeper::RegoMode;
    pub use palisade_admission::gatekeeper::{
        ADMISSION_TARGET, CONSTRAINTS_GROUP, Constraint, ConstraintTemplate, GatekeeperError,
        GatekeeperPolicy, InvalidConstraintError, InvalidTemplateError, KindSelector, Loaded,
        Match, MatchOutcome, NoTemplateError, RawViolation, RegoError, RegoVersion,
        UnsupportedError, Wildcard, is_constraint, is_constraint_api_version, is_template,
        load_manifests, load_paths, review_value,
    };
    pub use palisade_admission::gatekeeper::{
        Backend, EngineChoice, EngineMissingError, TemplateCelError, load_manifests_with,
        load_paths_with,
    };
}

/// Kyverno-style YAML pattern policies (`ClusterPolicy`, `Policy`).
pub mod pattern {
    pub use palisade_admission::pattern::{
        AUTOGEN_ANNOTATION, FailureAction, InvalidPolicyError, Mismatch, POD_CONTROLLERS,
        PatternLoad, PatternLoadError, PatternOutcome, PatternPolicy, PatternRequest,
        ReadPolicyError, RuleResult, RuleStatus, UnsupportedError, is_pattern_policy, load_file,
        load_paths, load_policy, load_str, match_pattern, wildcard_match,
    };
}

/// Mutation: Kyverno `mutate` rules, producing the RFC 6902 patches each
/// policy makes, before validation.
pub mod mutate {
    pub use palisade_admission::mutate::{
        AppliedPatch, Condition, Conditions, ContextEntry, ContextSource, Foreach, MutateLoad,
        MutatePolicy, MutateRule, MutateStatus, Mutation, MutationOutcome, RuleMutation, Values,
        fix, load_file, load_paths, load_policy, load_str, merge, mutate, mutate_request,
        mutate_with, remediation, template,
    };
    /// Writes a (mutated) object as a YAML document.
    pub use palisade_core::yaml::to_yaml_string;
    /// Why a fixed object could not be written back into its file.
    pub use palisade_core::yaml_edit::EditError;
}

/// Gatekeeper `suite.yaml` files, run as `gator verify` does.
pub mod suite {
    pub use palisade_admission::suite::{
        CaseResult, SuiteReport, run_paths, run_paths_with, run_suite, run_suite_with,
    };
}

/// Kyverno CLI test files (`kyverno-test.yaml`), run as `kyverno test`
/// does, for pattern policies.
pub mod kyverno_test {
    pub use palisade_admission::kyverno_test::{
        CaseOutcome, CaseStatus, TEST_FILE_NAME, TestFileError, find_test_files, run_test_file,
    };
}

/// CEL admission: ValidatingAdmissionPolicy with bindings, Kyverno
/// ValidatingPolicy, and the engine behind them and Gatekeeper's
/// `K8sNativeValidation`.
pub mod cel {
    pub use palisade_admission::cel::admission_policy::{
        AdmissionPolicy, AdmissionPolicyError, BoundPolicy, PolicyBinding,
    };
    pub use palisade_admission::cel::kyverno_policy::{
        PolicyResult, ValidatingPolicy, is_validating_policy,
        load_manifests as load_validating_policies,
    };
    pub use palisade_admission::cel::request::VARIABLES;
    pub use palisade_admission::cel::value::{from_json, node_count, to_json};
    pub use palisade_admission::cel::{
        CompileError, Environment, EvalError, Expression, Outcome, ValidationSet,
    };
}

/// Limits on what one request or policy may cost.
pub mod limits {
    pub use palisade_admission::limits::{MAX_REGO_NESTING, MAX_REVIEW_BYTES, REGO_TIME_LIMIT};
}

use crate::error::InputError;

/// Loads policies from YAML or JSON text (as [`load_policies`] does from
/// files): Gatekeeper ConstraintTemplates with their constraints,
/// ValidatingAdmissionPolicies with their bindings, Kyverno
/// ValidatingPolicies, then pattern policies. `name` is used in error
/// messages. A text that is not YAML (or JSON) is an error, with its line
/// and column; policies that do not load are in [`LoadedPolicies::errors`].
pub fn load_policies_str(name: &str, text: &str) -> Result<LoadedPolicies, InputError> {
    Ok(palisade_admission::load::load_policies_str(name, text)?)
}
