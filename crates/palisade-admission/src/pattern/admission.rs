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

    /// A request without an operation is a background scan (audit): a
    /// policy with `background: false` does not take part, as in Kyverno.
    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        if !self.background && request.operation.is_none() {
            return false;
        }
        with_request(request, context, |r| PatternPolicy::applies_to(self, r))
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        // `validate.cel` rules with `paramKind` find their parameter objects
        // among the context's objects.
        let results = with_request(request, context, |r| {
            crate::cel::cluster::with_context(context, || self.evaluate(r))
        });
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::pattern::load_str;
    use crate::review::{AdmissionRequest, AdmissionReview, Context, PolicySet};

    const POLICY: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: no-host-network}
spec:
  validationFailureAction: Enforce
  background: false
  rules:
  - name: host-network
    match: {any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {tier: prod}}}}]}
    validate:
      message: host networking is not allowed
      pattern: {spec: {=(hostNetwork): false}}
";

    #[test]
    fn enforce_policies_deny_and_use_namespace_labels() {
        let mut set = PolicySet::new();
        for p in load_str("p.yaml", POLICY).policies {
            set.add(p);
        }
        let mut context = Context::new();
        context.add_object(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"tier": "prod"}}}));
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "1", "operation": "CREATE",
                "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "shop",
                "object": {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "namespace": "shop"}, "spec": {"hostNetwork": true}}}});
        let request = AdmissionReview::parse(&review).unwrap().request;
        let decision = set.evaluate(&request, &context);
        assert!(!decision.allowed());
        assert!(
            decision.violations[0]
                .message
                .contains("host networking is not allowed")
        );
        // Another namespace is not selected.
        let mut other = request.clone();
        other.namespace = Some("dev".into());
        assert!(set.evaluate(&other, &context).allowed());
        // `background: false`: not part of an audit (no operation).
        let object = request.object.clone().unwrap();
        let audit = AdmissionRequest::from_object(object).unwrap();
        assert!(!set.policies()[0].applies_to(&audit, &context));
    }

    /// Kyverno's `validate.cel.paramKind` example (a ReplicaLimit parameter
    /// object) with `parameterNotFoundAction` Deny and Allow.
    #[test]
    fn cel_rules_take_their_params_from_the_context() {
        let policy = |action: &str, name: &str| {
            format!(
                "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: check-deployment-replicas}}
spec:
  validationFailureAction: Enforce
  rules:
  - name: deployment-replicas
    match: {{any: [{{resources: {{kinds: [Deployment]}}}}]}}
    validate:
      cel:
        paramKind: {{apiVersion: rules.example.com/v1, kind: ReplicaLimit}}
        paramRef: {{name: {name}, namespace: default, parameterNotFoundAction: {action}}}
        expressions:
        - expression: object.spec.replicas <= params.maxReplicas
          messageExpression: \"'Deployment spec.replicas must be less than ' + string(params.maxReplicas)\"
"
            )
        };
        let mut context = Context::new();
        context.add_object(
            json!({"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit",
            "metadata": {"name": "replica-limit-test.example.com", "namespace": "default"},
            "maxReplicas": 3}),
        );
        let deployment = |replicas: u32| {
            AdmissionRequest::from_object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "d", "namespace": "default"}, "spec": {"replicas": replicas}}))
            .unwrap()
        };
        let review = |action: &str, name: &str, replicas: u32| {
            let loaded = load_str("p.yaml", &policy(action, name));
            assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
            let mut set = PolicySet::new();
            for p in loaded.policies {
                set.add(p);
            }
            let decision = set.evaluate(&deployment(replicas), &context);
            decision
                .violations
                .iter()
                .map(|v| v.message.clone())
                .collect::<Vec<_>>()
        };
        let found = "replica-limit-test.example.com";
        assert_eq!(
            review("Deny", found, 5),
            ["Deployment spec.replicas must be less than 3"]
        );
        assert!(review("Deny", found, 2).is_empty());
        assert_eq!(
            review("Deny", "missing", 2),
            ["no ReplicaLimit parameter object found for the rule's paramRef"]
        );
        assert!(review("Allow", "missing", 5).is_empty());
        // `paramKind` without `paramRef` is a load error at the field.
        let half = policy("Deny", found).replace("        paramRef: {name: replica-limit-test.example.com, namespace: default, parameterNotFoundAction: Deny}\n", "");
        let errors = load_str("p.yaml", &half).errors;
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains(
                "`validate.cel.paramKind`: needs a `paramRef` naming the parameter objects"
            ),
            "{}",
            errors[0]
        );
    }
}
