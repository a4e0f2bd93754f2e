//! A constraint bound to its compiled template: one [`Policy`].

use std::sync::Arc;

use palisade_core::EnforcementAction;
use regorus::Value;

use super::constraint::Constraint;
use super::template::{ConstraintTemplate, RawViolation};
use super::value::{object, to_rego};
use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

/// A constraint and the template of its kind, evaluated as Gatekeeper does.
#[derive(Debug, Clone)]
pub struct GatekeeperPolicy {
    constraint: Constraint,
    template: Arc<ConstraintTemplate>,
}

impl GatekeeperPolicy {
    /// Binds a constraint to its template. The caller checks the kinds agree
    /// ([`super::load_manifests`] does).
    pub fn new(constraint: Constraint, template: Arc<ConstraintTemplate>) -> GatekeeperPolicy {
        GatekeeperPolicy {
            constraint,
            template,
        }
    }

    /// The constraint.
    pub fn constraint(&self) -> &Constraint {
        &self.constraint
    }

    /// The template.
    pub fn template(&self) -> &ConstraintTemplate {
        &self.template
    }

    /// The `violation` results for a request, whatever the enforcement
    /// action and without checking `match` (what `gator` counts).
    pub fn raw_violations(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<RawViolation>, EvaluationError> {
        let input = object([
            ("review", review_value(request, context)),
            ("parameters", self.constraint.rego_parameters().clone()),
        ]);
        let inventory = self
            .template
            .uses_inventory()
            .then(|| context.rego_inventory());
        self.template
            .evaluate(input, inventory)
            .map_err(|reason| EvaluationError {
                policy: self.constraint.name().to_owned(),
                reason,
            })
    }
}

impl Policy for GatekeeperPolicy {
    fn name(&self) -> &str {
        self.constraint.name()
    }

    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.constraint.matcher().matches(request, context)
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let action: EnforcementAction = self.constraint.action();
        Ok(self
            .raw_violations(request, context)?
            .into_iter()
            .map(|v| Violation {
                policy: self.constraint.name().to_owned(),
                message: v.msg,
                action,
                details: v.details,
            })
            .collect())
    }
}

/// `input.review` as Gatekeeper builds it: the admission request in its
/// wire form, plus `_unstable.namespace` (the Namespace object) when the
/// context knows the request's namespace.
pub fn review_value(request: &AdmissionRequest, context: &Context) -> Value {
    let head = AdmissionRequest {
        object: None,
        old_object: None,
        ..head_fields(request)
    };
    let mut review = to_rego(&head.to_json());
    if let Ok(fields) = review.as_object_mut() {
        if let Some(o) = &request.object {
            fields.insert(Value::from("object"), to_rego(o));
        }
        if let Some(o) = &request.old_object {
            fields.insert(Value::from("oldObject"), to_rego(o));
        }
        if let Some(ns) = request
            .namespace
            .as_deref()
            .and_then(|name| context.namespace(name))
        {
            fields.insert(
                Value::from("_unstable"),
                object([("namespace", to_rego(ns))]),
            );
        }
    }
    review
}

/// The request without its objects (cheap to copy).
fn head_fields(request: &AdmissionRequest) -> AdmissionRequest {
    AdmissionRequest {
        uid: request.uid.clone(),
        kind: request.kind.clone(),
        resource: request.resource.clone(),
        sub_resource: request.sub_resource.clone(),
        request_kind: request.request_kind.clone(),
        request_resource: request.request_resource.clone(),
        name: request.name.clone(),
        namespace: request.namespace.clone(),
        operation: request.operation,
        user_info: request.user_info.clone(),
        object: None,
        old_object: None,
        dry_run: request.dry_run,
        options: request.options.clone(),
        extra: request.extra.clone(),
    }
}
