//! Pattern policies as admission [`Policy`]s: a failed rule of an
//! `Enforce` policy denies, of an `Audit` policy is recorded only.

use palisade_core::EnforcementAction;
use serde_json::Value;

use super::eval::{PatternRequest, RuleStatus};
use super::policy::{FailureAction, PatternPolicy};
use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

static NULL: Value = Value::Null;

/// The namespace labels of the request's namespace, from the context.
fn namespace_labels<'a>(request: &AdmissionRequest, context: &'a Context) -> Option<&'a Value> {
    let ns = request.namespace.as_deref()?;
    context.namespace(ns)?.get("metadata")?.get("labels")
}

/// Runs `f` with the pattern view of an admission request.
pub(crate) fn with_request<T>(
    request: &AdmissionRequest,
    context: &Context,
    f: impl FnOnce(&PatternRequest<'_>) -> T,
) -> T {
    let object = request.subject_object().unwrap_or(&NULL);
    let user = request.user_info.as_ref();
    let groups: &[String] = user.map_or(&[], |u| u.groups.as_slice());
    let pattern_request = PatternRequest {
        object,
        old_object: request.old_object.as_ref(),
        operation: request.operation.map_or("", |o| o.as_str()),
        username: user.map(|u| u.username.as_str()),
        groups,
        roles: &[],
        cluster_roles: &[],
        namespace_labels: namespace_labels(request, context),
    };
    f(&pattern_request)
}

impl Policy for PatternPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        with_request(request, context, |r| PatternPolicy::applies_to(self, r))
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let results = with_request(request, context, |r| self.evaluate(r));
        Ok(results
            .into_iter()
            .filter(|r| r.status == RuleStatus::Fail)
            .map(|r| {
                let action = match r.action {
                    FailureAction::Enforce => EnforcementAction::Deny,
                    FailureAction::Audit => EnforcementAction::Dryrun,
                };
                let mut v = Violation::new(self.name.clone(), r.message, action);
                v.details = Some(serde_json::json!({"rule": r.rule}));
                v
            })
            .collect())
    }
}
