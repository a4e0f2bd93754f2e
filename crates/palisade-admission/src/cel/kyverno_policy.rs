//! Kyverno `ValidatingPolicy` and `NamespacedValidatingPolicy`
//! (`policies.kyverno.io` v1alpha1, v1beta1, v1): a ValidatingAdmissionPolicy
//! in one object (`matchConstraints`, `matchConditions`, `variables`,
//! `validations`, `auditAnnotations`, `validationActions`, `failurePolicy`)
//! plus Kyverno's `autogen`: a policy matching Pods also applies to the Pod
//! controllers (`spec.autogen.podControllers.controllers`, by default all),
//! its expressions seeing the Pod template's `metadata` and `spec` as the
//! object's. Of Kyverno's own CEL libraries, `resource.Get` and
//! `resource.List` are answered from the context's objects ([`super::cluster`]);
//! the others (`image.GetMetadata`, `time.now`, ...) are not declared: a policy
//! using them is refused at load with the expression named.

use palisade_core::{EnforcementAction, Manifest};
use serde_json::Value as Json;

use crate::autogen::{POD_CONTROLLERS, with_template};

use super::admission_policy::{AdmissionPolicy, AdmissionPolicyError, validation_action};
use super::request::inputs_with;
use super::resources::MatchResources;
use super::validation::Outcome;
use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

/// The API group of Kyverno's CEL policies.
pub const GROUP: &str = "policies.kyverno.io";

/// `true` for a `ValidatingPolicy` or `NamespacedValidatingPolicy`.
pub fn is_validating_policy(manifest: &Manifest) -> bool {
    manifest
        .api_version()
        .is_some_and(|v| v.split('/').next() == Some(GROUP))
        && matches!(
            manifest.kind(),
            Some("ValidatingPolicy" | "NamespacedValidatingPolicy")
        )
}

/// A compiled ValidatingPolicy.
#[derive(Debug, Clone)]
pub struct ValidatingPolicy {
    policy: AdmissionPolicy,
    namespace: Option<String>,
    controllers: Vec<String>,
    actions: Vec<EnforcementAction>,
}

/// What a policy decided about one resource, as `kyverno test` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyResult {
    /// Every validation held.
    Pass,
    /// A validation failed: its message.
    Fail(String),
    /// Not applied (not matched, a match condition false): why.
    Skip(String),
    /// The expressions could not be evaluated.
    Error(String),
}

impl PolicyResult {
    /// `pass`, `fail`, `skip` or `error`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyResult::Pass => "pass",
            PolicyResult::Fail(_) => "fail",
            PolicyResult::Skip(_) => "skip",
            PolicyResult::Error(_) => "error",
        }
    }

    /// The message or reason.
    pub fn detail(&self) -> &str {
        match self {
            PolicyResult::Pass => "every validation holds",
            PolicyResult::Fail(m) | PolicyResult::Skip(m) | PolicyResult::Error(m) => m,
        }
    }
}

impl ValidatingPolicy {
    /// Reads and compiles a ValidatingPolicy; errors name the field and the
    /// expression.
    pub fn from_manifest(manifest: &Manifest) -> Result<ValidatingPolicy, AdmissionPolicyError> {
        let policy = AdmissionPolicy::from_manifest_as(manifest, "ValidatingPolicy")?;
        let controllers = match manifest
            .object
            .pointer("/spec/autogen/podControllers/controllers")
            .and_then(Json::as_array)
        {
            Some(list) => list
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect(),
            None => POD_CONTROLLERS.iter().map(|c| (*c).to_owned()).collect(),
        };
        let actions = match manifest
            .object
            .pointer("/spec/validationActions")
            .and_then(Json::as_array)
        {
            Some(list) if !list.is_empty() => list
                .iter()
                .filter_map(Json::as_str)
                .filter_map(validation_action)
                .collect(),
            _ => vec![EnforcementAction::Deny],
        };
        let namespace = (manifest.kind() == Some("NamespacedValidatingPolicy"))
            .then(|| manifest.namespace().unwrap_or("default").to_owned());
        Ok(ValidatingPolicy {
            policy,
            namespace,
            controllers,
            actions,
        })
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.policy.name()
    }

    /// Whether the policy applies, and the objects its expressions see:
    /// the request's (`Some(None)`), or for a Pod controller covered by
    /// autogen, the controller as its Pod template (`Some(Some(..))`).
    fn target(&self, request: &AdmissionRequest, context: &Context) -> Option<Option<Templated>> {
        if let Some(ns) = &self.namespace
            && request.namespace.as_deref() != Some(ns.as_str())
        {
            return None;
        }
        let constraints: &MatchResources = self.policy.match_constraints();
        if constraints.matches(request, context, true) {
            return Some(None);
        }
        let kind = request.kind.kind.as_str();
        if !self.controllers.iter().any(|c| c == kind) {
            return None;
        }
        let cronjob = kind == "CronJob";
        let object = request
            .object
            .as_ref()
            .and_then(|o| with_template(o, cronjob));
        let old_object = request
            .old_object
            .as_ref()
            .and_then(|o| with_template(o, cronjob));
        object.as_ref()?;
        // Matched as a Pod of the controller's namespace.
        let pod = AdmissionRequest {
            kind: crate::review::GroupVersionKind::from_api_version("v1", "Pod"),
            name: request.name.clone(),
            namespace: request.namespace.clone(),
            operation: request.operation,
            object: object.clone(),
            ..AdmissionRequest::default()
        };
        constraints
            .matches(&pod, context, true)
            .then_some(Some(Templated { object, old_object }))
    }

    /// Evaluates the policy on a request, as `kyverno test` reports it.
    pub fn decide(&self, request: &AdmissionRequest, context: &Context) -> PolicyResult {
        let Some(target) = self.target(request, context) else {
            return PolicyResult::Skip("the policy does not match the resource".into());
        };
        let expressions = self.policy.expressions();
        let (object, old_object) = match &target {
            None => (&request.object, &request.old_object),
            Some(t) => (&t.object, &t.old_object),
        };
        let inputs = inputs_with(
            request,
            object.as_ref(),
            old_object.as_ref(),
            context,
            None,
            expressions.needs(),
        );
        let evaluated = expressions.evaluate_with(&inputs, context);
        match evaluated {
            Ok(Outcome::NotMatched { condition }) => {
                PolicyResult::Skip(format!("match condition `{condition}` is false"))
            }
            Ok(Outcome::Evaluated { failures, .. }) => match failures.into_iter().next() {
                None => PolicyResult::Pass,
                Some(f) => PolicyResult::Fail(f.message),
            },
            Err(e) => PolicyResult::Error(e.to_string()),
        }
    }
}

/// A Pod controller seen as its Pod template.
struct Templated {
    object: Option<Json>,
    old_object: Option<Json>,
}

impl Policy for ValidatingPolicy {
    fn name(&self) -> &str {
        self.policy.name()
    }

    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.target(request, context).is_some()
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        match self.decide(request, context) {
            PolicyResult::Pass | PolicyResult::Skip(_) => Ok(Vec::new()),
            PolicyResult::Fail(message) => Ok(self
                .actions
                .iter()
                .map(|a| Violation::new(self.name(), message.clone(), *a))
                .collect()),
            PolicyResult::Error(reason) if self.policy.fails_closed() => Err(EvaluationError {
                policy: self.name().to_owned(),
                reason,
            }),
            PolicyResult::Error(_) => Ok(Vec::new()),
        }
    }
}

/// What [`load_manifests`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The policies that loaded.
    pub policies: Vec<ValidatingPolicy>,
    /// The policies that did not, with their names.
    pub errors: Vec<(String, AdmissionPolicyError)>,
}

/// Compiles every ValidatingPolicy among `manifests`.
pub fn load_manifests(manifests: &[Manifest]) -> Loaded {
    let mut loaded = Loaded::default();
    for m in manifests.iter().filter(|m| is_validating_policy(m)) {
        match ValidatingPolicy::from_manifest(m) {
            Ok(p) => loaded.policies.push(p),
            Err(e) => loaded
                .errors
                .push((m.name().unwrap_or_default().to_owned(), e)),
        }
    }
    loaded
}
