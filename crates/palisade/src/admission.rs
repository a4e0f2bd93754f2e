//! Deploy-time policy: Gatekeeper ConstraintTemplates and constraints,
//! Kyverno-style pattern policies and Pod Security Standards, evaluated on
//! AdmissionReviews.
//!
//! [`AdmissionEngine`] is the admission layer behind the
//! [`Engine`] trait.

pub use palisade_admission::audit::{AuditReport, AuditViolation, PolicyCoverage, audit};
pub use palisade_admission::builtin::BuiltinPack;
pub use palisade_admission::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Context, Decision, EvaluationError,
    LoadedPolicies, Operation, Policy, PolicyLoadError, PolicySet, Violation, load_policies,
};

use palisade_core::{Engine, Finding, Layer};

/// A policy set and the cluster context it evaluates against, as an
/// [`Engine`]: input an [`AdmissionRequest`], verdict an [`AdmissionVerdict`].
#[derive(Debug, Clone, Default)]
pub struct AdmissionEngine {
    /// The policies.
    pub policies: PolicySet,
    /// Cluster objects (namespaces, inventory) the policies may look at.
    pub context: Context,
}

impl AdmissionEngine {
    /// An engine over `policies` with an empty context.
    pub fn new(policies: PolicySet) -> AdmissionEngine {
        AdmissionEngine {
            policies,
            context: Context::new(),
        }
    }
}

/// What [`AdmissionEngine`] decided on one request.
#[derive(Debug, Clone)]
pub struct AdmissionVerdict {
    /// The decision (violations and evaluation errors).
    pub decision: Decision,
    /// The findings about the request's object.
    pub findings: Vec<Finding>,
}

impl AdmissionVerdict {
    /// The AdmissionResponse for this verdict.
    pub fn response(&self) -> AdmissionResponse {
        self.decision.response()
    }
}

impl palisade_core::Verdict for AdmissionVerdict {
    fn passed(&self) -> bool {
        self.decision.allowed()
    }

    fn findings(&self) -> Vec<Finding> {
        self.findings.clone()
    }
}

impl Engine for AdmissionEngine {
    type Input = AdmissionRequest;
    type Verdict = AdmissionVerdict;
    type Scratch = ();

    fn layer(&self) -> Layer {
        Layer::Admission
    }

    fn scratch(&self) {}

    fn evaluate(&self, _scratch: &mut (), input: &AdmissionRequest) -> AdmissionVerdict {
        let decision = self.policies.evaluate(input, &self.context);
        let findings = decision.findings(input);
        AdmissionVerdict { decision, findings }
    }
}

/// Loads policies from YAML or JSON text (as [`load_policies`] does from
/// files): Gatekeeper ConstraintTemplates with their constraints,
/// ValidatingAdmissionPolicies with their bindings, then pattern policies. `name` is used in error messages. A text that is not
/// YAML gives one error.
pub fn load_policies_str(name: &str, text: &str) -> Result<LoadedPolicies, String> {
    let report = palisade_core::manifest::load_str(name, text);
    if let Some(e) = report.errors.first() {
        return Err(e.to_string());
    }
    let mut loaded = LoadedPolicies::default();
    let gatekeeper = palisade_admission::gatekeeper::load_manifests(&report.objects);
    for policy in gatekeeper.policies {
        loaded.policies.add(policy);
    }
    loaded
        .errors
        .extend(gatekeeper.errors.into_iter().map(PolicyLoadError::from));
    let vap = palisade_admission::cel::admission_policy::load_manifests(&report.objects);
    for policy in vap.policies {
        loaded.policies.add(policy);
    }
    loaded
        .errors
        .extend(vap.errors.into_iter().map(PolicyLoadError::from));
    let kyverno_cel = palisade_admission::cel::kyverno_policy::load_manifests(&report.objects);
    for policy in kyverno_cel.policies {
        loaded.policies.add(policy);
    }
    loaded.errors.extend(
        kyverno_cel
            .errors
            .into_iter()
            .map(|(_, e)| PolicyLoadError::from(e)),
    );
    let patterns = palisade_admission::pattern::load_str(name, text);
    for policy in patterns.policies {
        loaded.policies.add(policy);
    }
    loaded
        .errors
        .extend(patterns.errors.into_iter().map(PolicyLoadError::from));
    Ok(loaded)
}
