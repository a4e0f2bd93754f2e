//! Kubernetes ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding
//! (`admissionregistration.k8s.io/v1`): read, compiled once, and each
//! binding joined to its policy as one [`Policy`] of the
//! [`PolicySet`](crate::PolicySet).
//!
//! A policy's `matchConstraints` and the binding's `matchResources` select
//! the request; `paramKind` with the binding's `paramRef` (`name`,
//! `namespace`, `selector`, `parameterNotFoundAction`) finds the parameter
//! objects in the context (the inventory), the expressions run once per
//! parameter; `matchConditions`, `variables`, `validations` and
//! `auditAnnotations` as in [`ValidationSet`]. `failurePolicy: Fail` (the
//! default) turns an evaluation error into a denial, `Ignore` into nothing.
//! Each failed validation becomes one violation per `validationActions`
//! entry: `Deny` denies, `Warn` is a warning of the response, `Audit` a
//! `dryrun` record (the audit annotation of the API server).

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::selector::{self, Selector};
use palisade_core::{EnforcementAction, Location, Manifest};
use serde_json::Value as Json;

use super::error::{CompileError, at};
use super::expression::Environment;
use super::request::inputs_with;
use super::resources::MatchResources;
use super::validation::{Outcome, ValidationSet};
use super::value::{from_json, node_count};
use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

/// The API group and version of both kinds.
pub const API_VERSION: &str = "admissionregistration.k8s.io/v1";

/// A ValidatingAdmissionPolicy or binding that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum AdmissionPolicyError {
    /// A malformed field.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<InvalidFieldError>),
    /// An expression that does not compile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Expression(Box<ExpressionError>),
    /// A binding names a policy that is not loaded.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NoPolicy(Box<NoPolicyError>),
}

/// A malformed field of a policy or binding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}{kind} `{name}`: `{field}`: {reason}", at(.location))]
#[diagnostic(code(palisade::admission::vap::invalid))]
pub struct InvalidFieldError {
    /// Where the field is.
    pub location: Option<Location>,
    /// `ValidatingAdmissionPolicy` or `ValidatingAdmissionPolicyBinding`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// An expression of a policy that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}{kind} `{policy}`: {}", at(&.error.location), .error.without_location())]
#[diagnostic(code(palisade::admission::vap::expression))]
pub struct ExpressionError {
    /// `ValidatingAdmissionPolicy` or `ValidatingPolicy`.
    pub kind: String,
    /// The policy's name.
    pub policy: String,
    /// The located expression error.
    pub error: CompileError,
}

/// A binding whose policy is not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}ValidatingAdmissionPolicyBinding `{binding}` names ValidatingAdmissionPolicy `{policy}`, which is not loaded", at(.location))]
#[diagnostic(code(palisade::admission::vap::no_policy))]
pub struct NoPolicyError {
    /// Where `spec.policyName` is.
    pub location: Option<Location>,
    /// The binding.
    pub binding: String,
    /// The policy it names.
    pub policy: String,
}

/// `failurePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// An evaluation error denies the request.
    Fail,
    /// An evaluation error is ignored.
    Ignore,
}

/// A compiled ValidatingAdmissionPolicy.
#[derive(Debug, Clone)]
pub struct AdmissionPolicy {
    name: String,
    failure_policy: FailurePolicy,
    match_constraints: MatchResources,
    param_kind: Option<(String, String)>,
    expressions: ValidationSet,
}

/// `paramRef` of a binding.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRef {
    /// `name`: one parameter object.
    pub name: Option<String>,
    /// `namespace`; unset: the request's namespace for namespaced parameters.
    pub namespace: Option<String>,
    /// `selector`: every matching parameter object.
    pub selector: Option<Selector>,
    /// `parameterNotFoundAction` is `Deny` (otherwise `Allow`).
    pub deny_when_missing: bool,
}

/// A ValidatingAdmissionPolicyBinding.
#[derive(Debug, Clone)]
pub struct PolicyBinding {
    name: String,
    location: Option<Location>,
    policy_name: String,
    policy_name_location: Option<Location>,
    param_ref: Option<ParamRef>,
    actions: Vec<EnforcementAction>,
    match_resources: Option<MatchResources>,
}

/// A binding joined to its policy: what the policy set evaluates.
#[derive(Debug, Clone)]
pub struct BoundPolicy {
    policy: Arc<AdmissionPolicy>,
    binding: PolicyBinding,
    label: String,
}

/// An entry of `validationActions`: `Deny`, `Warn`, or `Audit` (recorded
/// as a `dryrun` violation).
pub(crate) fn validation_action(name: &str) -> Option<EnforcementAction> {
    match name {
        "Deny" => Some(EnforcementAction::Deny),
        "Warn" => Some(EnforcementAction::Warn),
        "Audit" => Some(EnforcementAction::Dryrun),
        _ => None,
    }
}

/// `key` of `json`, unless absent or `null`.
fn present<'j>(json: &'j Json, key: &str) -> Option<&'j Json> {
    json.get(key).filter(|v| !v.is_null())
}

/// The string in `key` of `json`.
fn text(json: &Json, key: &str) -> Option<String> {
    json.get(key).and_then(Json::as_str).map(str::to_owned)
}

impl ParamRef {
    /// Reads a binding's `spec.paramRef`; `invalid` makes the error for a
    /// field.
    fn from_json(
        json: &Json,
        invalid: &dyn Fn(&str, &str) -> AdmissionPolicyError,
    ) -> Result<ParamRef, AdmissionPolicyError> {
        let selector = present(json, "selector")
            .map(|s| {
                let (selector, problems) = selector::parse(s, "spec.paramRef.selector", &[]);
                match problems.first() {
                    Some(problem) => Err(invalid(&problem.field, &problem.message)),
                    None => Ok(selector),
                }
            })
            .transpose()?;
        let name = text(json, "name");
        if name.is_some() == selector.is_some() {
            return Err(invalid(
                "spec.paramRef",
                "needs exactly one of `name` and `selector`",
            ));
        }
        let deny_when_missing = match text(json, "parameterNotFoundAction").as_deref() {
            Some("Deny") => true,
            None | Some("Allow") => false,
            Some(other) => {
                return Err(invalid(
                    "spec.paramRef.parameterNotFoundAction",
                    &format!("`{other}` is not `Allow` or `Deny`"),
                ));
            }
        };
        Ok(ParamRef {
            name,
            namespace: text(json, "namespace"),
            selector,
            deny_when_missing,
        })
    }
}

/// A locator for the fields of one manifest.
fn locator(manifest: &Manifest) -> impl Fn(&str) -> Option<Location> + '_ {
    move |field: &str| Some(manifest.locate(field))
}

impl AdmissionPolicyError {
    fn invalid(
        location: Option<Location>,
        kind: &str,
        name: &str,
        field: &str,
        reason: String,
    ) -> AdmissionPolicyError {
        AdmissionPolicyError::Invalid(Box::new(InvalidFieldError {
            location,
            kind: kind.to_owned(),
            name: name.to_owned(),
            field: field.to_owned(),
            reason,
        }))
    }
}

/// One policy or binding manifest being read: its kind and name, for errors
/// that name the field at fault and where it is.
struct Reading<'m> {
    manifest: &'m Manifest,
    kind: &'m str,
    name: String,
}

impl<'m> Reading<'m> {
    fn new(manifest: &'m Manifest, kind: &'m str) -> Reading<'m> {
        let name = manifest
            .object
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        Reading {
            manifest,
            kind,
            name,
        }
    }

    /// `field` is malformed.
    fn invalid(&self, field: &str, reason: &str) -> AdmissionPolicyError {
        AdmissionPolicyError::invalid(
            Some(self.manifest.locate(field)),
            self.kind,
            &self.name,
            field,
            reason.to_owned(),
        )
    }

    /// `spec`, which must be an object.
    fn spec(&self) -> Result<&'m Json, AdmissionPolicyError> {
        self.manifest
            .object
            .get("spec")
            .filter(|s| s.is_object())
            .ok_or_else(|| self.invalid("spec", "is missing"))
    }
}

impl AdmissionPolicy {
    /// Reads and compiles a ValidatingAdmissionPolicy.
    pub fn from_manifest(manifest: &Manifest) -> Result<AdmissionPolicy, AdmissionPolicyError> {
        AdmissionPolicy::from_manifest_as(manifest, "ValidatingAdmissionPolicy")
    }

    /// Reads and compiles the ValidatingAdmissionPolicy-shaped `spec` of a
    /// `kind` (Kyverno's ValidatingPolicy has the same fields), naming the
    /// kind in errors.
    pub fn from_manifest_as(
        manifest: &Manifest,
        kind: &str,
    ) -> Result<AdmissionPolicy, AdmissionPolicyError> {
        let reading = Reading::new(manifest, kind);
        let invalid = |field: &str, reason: &str| reading.invalid(field, reason);
        let spec = reading.spec()?;
        let failure_policy = match spec.get("failurePolicy").and_then(Json::as_str) {
            None | Some("Fail") => FailurePolicy::Fail,
            Some("Ignore") => FailurePolicy::Ignore,
            Some(other) => {
                return Err(invalid(
                    "spec.failurePolicy",
                    &format!("`{other}` is not `Fail` or `Ignore`"),
                ));
            }
        };
        let constraints = spec
            .get("matchConstraints")
            .ok_or_else(|| invalid("spec.matchConstraints", "is missing"))?;
        let match_constraints = MatchResources::from_json(constraints, "spec.matchConstraints")
            .map_err(|(field, reason)| invalid(&field, &reason))?;
        if match_constraints.rules.is_empty() {
            return Err(invalid(
                "spec.matchConstraints.resourceRules",
                "is missing: the policy would match nothing",
            ));
        }
        let param_kind = match present(spec, "paramKind") {
            None => None,
            Some(p) => match (text(p, "apiVersion"), text(p, "kind")) {
                (Some(v), Some(k)) => Some((v, k)),
                _ => return Err(invalid("spec.paramKind", "needs `apiVersion` and `kind`")),
            },
        };
        if spec
            .get("validations")
            .and_then(Json::as_array)
            .is_none_or(Vec::is_empty)
            && spec
                .get("auditAnnotations")
                .and_then(Json::as_array)
                .is_none_or(Vec::is_empty)
        {
            return Err(invalid(
                "spec.validations",
                "a policy needs `validations` or `auditAnnotations`",
            ));
        }
        let env = Environment::admission();
        let expressions = ValidationSet::from_json(&env, spec, "spec", &locator(manifest))
            .map_err(|error| {
                AdmissionPolicyError::Expression(Box::new(ExpressionError {
                    kind: kind.to_owned(),
                    policy: reading.name.clone(),
                    error,
                }))
            })?;
        Ok(AdmissionPolicy {
            name: reading.name,
            failure_policy,
            match_constraints,
            param_kind,
            expressions,
        })
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `spec.matchConstraints`.
    pub fn match_constraints(&self) -> &MatchResources {
        &self.match_constraints
    }

    /// The compiled expressions.
    pub fn expressions(&self) -> &ValidationSet {
        &self.expressions
    }

    /// `true` with `failurePolicy: Fail` (the default).
    pub fn fails_closed(&self) -> bool {
        self.failure_policy == FailurePolicy::Fail
    }
}

impl PolicyBinding {
    /// Reads a ValidatingAdmissionPolicyBinding.
    pub fn from_manifest(manifest: &Manifest) -> Result<PolicyBinding, AdmissionPolicyError> {
        let reading = Reading::new(manifest, "ValidatingAdmissionPolicyBinding");
        let invalid = |field: &str, reason: &str| reading.invalid(field, reason);
        let spec = reading.spec()?;
        let policy_name = spec
            .get("policyName")
            .and_then(Json::as_str)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| invalid("spec.policyName", "is missing"))?
            .to_owned();
        let actions = spec
            .get("validationActions")
            .and_then(Json::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                invalid(
                    "spec.validationActions",
                    "is missing: give `Deny`, `Warn` and/or `Audit`",
                )
            })?
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.as_str().and_then(validation_action).ok_or_else(|| {
                    invalid(
                        &format!("spec.validationActions[{i}]"),
                        "is not `Deny`, `Warn` or `Audit`",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if actions.contains(&EnforcementAction::Deny) && actions.contains(&EnforcementAction::Warn)
        {
            return Err(invalid(
                "spec.validationActions",
                "`Deny` and `Warn` may not be used together",
            ));
        }
        let param_ref = present(spec, "paramRef")
            .map(|p| ParamRef::from_json(p, &invalid))
            .transpose()?;
        let match_resources = present(spec, "matchResources")
            .map(|m| {
                MatchResources::from_json(m, "spec.matchResources")
                    .map_err(|(field, reason)| invalid(&field, &reason))
            })
            .transpose()?;
        Ok(PolicyBinding {
            name: reading.name,
            location: Some(manifest.source.location()),
            policy_name,
            policy_name_location: Some(manifest.locate("spec.policyName")),
            param_ref,
            actions,
            match_resources,
        })
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it was loaded from.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

/// What [`load_manifests`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every binding joined to its policy, in binding order.
    pub policies: Vec<BoundPolicy>,
    /// Every problem met; what loaded is still usable.
    pub errors: Vec<AdmissionPolicyError>,
}

/// `true` for a ValidatingAdmissionPolicy or its binding.
pub fn is_admission_policy(manifest: &Manifest) -> bool {
    manifest.api_version() == Some(API_VERSION)
        && matches!(
            manifest.kind(),
            Some("ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding")
        )
}

/// Compiles every ValidatingAdmissionPolicy among `manifests` and joins each
/// binding to its policy. Other objects are ignored.
pub fn load_manifests(manifests: &[Manifest]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut policies: BTreeMap<String, Arc<AdmissionPolicy>> = BTreeMap::new();
    let of_kind = |kind: &'static str| {
        manifests
            .iter()
            .filter(move |m| m.api_version() == Some(API_VERSION) && m.kind() == Some(kind))
    };
    for m in of_kind("ValidatingAdmissionPolicy") {
        match AdmissionPolicy::from_manifest(m) {
            Ok(p) => {
                policies.insert(p.name.clone(), Arc::new(p));
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    for m in of_kind("ValidatingAdmissionPolicyBinding") {
        let binding = match PolicyBinding::from_manifest(m) {
            Ok(b) => b,
            Err(e) => {
                loaded.errors.push(e);
                continue;
            }
        };
        match policies.get(&binding.policy_name) {
            Some(policy) => {
                if policy.param_kind.is_some() && binding.param_ref.is_none() {
                    loaded.errors.push(AdmissionPolicyError::invalid(
                        binding.location.clone(),
                        "ValidatingAdmissionPolicyBinding",
                        &binding.name,
                        "spec.paramRef",
                        format!(
                            "is missing, and ValidatingAdmissionPolicy `{}` has a `paramKind`",
                            policy.name
                        ),
                    ));
                    continue;
                }
                loaded.policies.push(BoundPolicy {
                    label: policy.name.clone(),
                    policy: Arc::clone(policy),
                    binding,
                });
            }
            None => loaded
                .errors
                .push(AdmissionPolicyError::NoPolicy(Box::new(NoPolicyError {
                    location: binding.policy_name_location.clone(),
                    binding: binding.name.clone(),
                    policy: binding.policy_name.clone(),
                }))),
        }
    }
    loaded
}

impl BoundPolicy {
    /// The policy.
    pub fn policy(&self) -> &AdmissionPolicy {
        &self.policy
    }

    /// The binding.
    pub fn binding(&self) -> &PolicyBinding {
        &self.binding
    }

    /// The parameter objects for a request: `None` when the policy takes
    /// none, otherwise those the binding's `paramRef` selects in the context.
    fn params<'c>(
        &self,
        request: &AdmissionRequest,
        context: &'c Context,
    ) -> Option<Vec<&'c Json>> {
        let (api_version, kind) = self.policy.param_kind.as_ref()?;
        let param_ref = self.binding.param_ref.as_ref()?;
        let namespace = param_ref
            .namespace
            .as_deref()
            .or(request.namespace.as_deref());
        Some(
            context
                .objects()
                .iter()
                .filter(|o| {
                    o.get("apiVersion").and_then(Json::as_str) == Some(api_version.as_str())
                        && o.get("kind").and_then(Json::as_str) == Some(kind.as_str())
                })
                .filter(
                    |o| match o.pointer("/metadata/namespace").and_then(Json::as_str) {
                        Some(ns) => Some(ns) == namespace,
                        None => true,
                    },
                )
                .filter(|o| match (&param_ref.name, &param_ref.selector) {
                    (Some(name), _) => {
                        o.pointer("/metadata/name").and_then(Json::as_str) == Some(name.as_str())
                    }
                    (None, Some(selector)) => {
                        selector.matches(o.pointer("/metadata/labels").unwrap_or(&Json::Null))
                    }
                    (None, None) => false,
                })
                .collect(),
        )
    }

    fn violations(&self, message: &str) -> impl Iterator<Item = Violation> + '_ {
        let message = message.to_owned();
        self.binding
            .actions
            .iter()
            .map(move |action| Violation::new(self.label.clone(), message.clone(), *action))
    }

    fn evaluate_with(
        &self,
        request: &AdmissionRequest,
        context: &Context,
        params: Option<&Json>,
        out: &mut Vec<Violation>,
    ) -> Result<(), EvaluationError> {
        let mut inputs = inputs_with(
            request,
            request.object.as_ref(),
            request.old_object.as_ref(),
            context,
            params,
            self.policy.expressions.needs(),
        );
        if let Some(p) = params {
            inputs.nodes = inputs.nodes.saturating_add(node_count(p));
            inputs.params = from_json(p);
        }
        match self.policy.expressions.evaluate_with(&inputs, context) {
            Ok(Outcome::NotMatched { .. }) => Ok(()),
            Ok(Outcome::Evaluated { failures, .. }) => {
                for failure in failures {
                    out.extend(self.violations(&failure.message));
                }
                Ok(())
            }
            Err(e) => match self.policy.failure_policy {
                FailurePolicy::Ignore => Ok(()),
                FailurePolicy::Fail => Err(EvaluationError {
                    policy: self.label.clone(),
                    reason: format!("binding `{}`: {e}", self.binding.name),
                }),
            },
        }
    }
}

impl Policy for BoundPolicy {
    fn name(&self) -> &str {
        &self.label
    }

    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.policy
            .match_constraints
            .matches(request, context, true)
            && self
                .binding
                .match_resources
                .as_ref()
                .is_none_or(|m| m.matches(request, context, false))
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let mut out = Vec::new();
        match self.params(request, context) {
            None => self.evaluate_with(request, context, None, &mut out)?,
            Some(params) if params.is_empty() => {
                let deny = self
                    .binding
                    .param_ref
                    .as_ref()
                    .is_some_and(|p| p.deny_when_missing);
                if deny {
                    out.extend(self.violations(&format!(
                        "no params found for policy binding `{}` with `Deny` parameterNotFoundAction",
                        self.binding.name
                    )));
                }
            }
            Some(params) => {
                for p in params {
                    self.evaluate_with(request, context, Some(p), &mut out)?;
                }
            }
        }
        Ok(out)
    }
}
