//! A constraint bound to its compiled template: one [`Policy`].

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::EnforcementAction;
use regorus::Value;

use super::constraint::Constraint;
use super::engine::{Backend, EngineChoice};
use super::error::{EngineMissingError, GatekeeperError, InvalidConstraintError};
use super::matcher::MatchOutcome;
use super::template::{ConstraintTemplate, RawViolation};
use super::value::{object, to_rego};
use crate::request_cache::RequestCache;
use crate::review::{
    AdmissionRequest, Context, EvaluationError, GroupVersionKind, GroupVersionResource, Operation,
    Policy, Violation,
};

/// A constraint and the template of its kind, evaluated as Gatekeeper does.
#[derive(Debug, Clone)]
pub struct GatekeeperPolicy {
    constraint: Constraint,
    template: Arc<ConstraintTemplate>,
    backend: Backend,
}

impl GatekeeperPolicy {
    /// Binds a constraint to its template as Gatekeeper admits it: the
    /// kinds must agree and the parameters must fit the template's schema.
    pub fn bind(
        constraint: Constraint,
        template: Arc<ConstraintTemplate>,
    ) -> Result<GatekeeperPolicy, GatekeeperError> {
        GatekeeperPolicy::bind_with(constraint, template, EngineChoice::Auto)
    }

    /// [`GatekeeperPolicy::bind`] running the implementation `engine` picks;
    /// a template without the forced engine gives
    /// [`GatekeeperError::EngineMissing`] (the constraint is skipped).
    pub fn bind_with(
        constraint: Constraint,
        template: Arc<ConstraintTemplate>,
        engine: EngineChoice,
    ) -> Result<GatekeeperPolicy, GatekeeperError> {
        let invalid = |reason: String| {
            let field = super::constraint::named_field(&reason).unwrap_or("kind");
            GatekeeperError::from(InvalidConstraintError {
                location: constraint.locate(field),
                constraint: constraint.name().to_owned(),
                reason,
            })
        };
        if constraint.kind() != template.kind() {
            return Err(invalid(format!(
                "kind `{}` is not the kind `{}` of template `{}`",
                constraint.kind(),
                template.kind(),
                template.name()
            )));
        }
        template
            .check_parameters(constraint.parameters())
            .map_err(invalid)?;
        let backend = engine
            .resolve(template.has_rego(), template.cel().is_some())
            .map_err(|missing| {
                GatekeeperError::from(EngineMissingError {
                    location: constraint.location().cloned(),
                    constraint: constraint.name().to_owned(),
                    template: template.name().to_owned(),
                    engine: missing.as_str().to_owned(),
                })
            })?;
        Ok(GatekeeperPolicy {
            constraint,
            template,
            backend,
        })
    }

    /// Binds a constraint to its template without checks (see
    /// [`GatekeeperPolicy::bind`]); CEL runs where the template has it.
    pub fn new(constraint: Constraint, template: Arc<ConstraintTemplate>) -> GatekeeperPolicy {
        let backend = if template.cel().is_some() {
            Backend::Cel
        } else {
            Backend::Rego
        };
        GatekeeperPolicy {
            constraint,
            template,
            backend,
        }
    }

    /// The implementation this constraint runs.
    pub fn backend(&self) -> Backend {
        self.backend
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
        self.raw_violations_cached(request, context, &RequestCache::new())
    }

    /// [`GatekeeperPolicy::raw_violations`] taking `input.review` from
    /// `cache`, where the constraints before it on the same request left it.
    pub fn raw_violations_cached(
        &self,
        request: &AdmissionRequest,
        context: &Context,
        cache: &RequestCache,
    ) -> Result<Vec<RawViolation>, EvaluationError> {
        if let (Backend::Cel, Some(cel)) = (self.backend, self.template.cel()) {
            return self.cel_violations(cel, request, context);
        }
        let review = cache
            .rego_review
            .get_or_init(|| review_value(request, context));
        let input = object([
            ("review", review.clone()),
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

impl GatekeeperPolicy {
    /// The `K8sNativeValidation` violations: each failed validation's
    /// message, as Gatekeeper's CEL driver reports them. The expressions see
    /// `variables.anyObject` (the object, or the old object on DELETE) and
    /// `variables.params` (the constraint's `spec.parameters`).
    fn cel_violations(
        &self,
        cel: &crate::cel::ValidationSet,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<RawViolation>, EvaluationError> {
        let parameters = self.constraint.parameters();
        let mut inputs = crate::cel::request::inputs_with(
            request,
            request.object.as_ref(),
            request.old_object.as_ref(),
            context,
            None,
            // `variables.anyObject` is the old object on DELETE.
            crate::cel::request::Needs {
                old_object: true,
                ..cel.needs()
            },
        );
        let any_object = match &inputs.object {
            cel_core::Value::Null => inputs.old_object.clone(),
            object => object.clone(),
        };
        let params = crate::cel::value::from_json(parameters);
        inputs.nodes = inputs
            .nodes
            .saturating_add(crate::cel::value::node_count(parameters));
        inputs.params = params.clone();
        inputs.preset_variables = vec![("anyObject".into(), any_object), ("params".into(), params)];
        let outcome = cel
            .evaluate_with(&inputs, context)
            .map_err(|e| EvaluationError {
                policy: self.constraint.name().to_owned(),
                reason: e.to_string(),
            })?;
        Ok(match outcome {
            crate::cel::Outcome::NotMatched { .. } => Vec::new(),
            crate::cel::Outcome::Evaluated { failures, .. } => failures
                .into_iter()
                .map(|f| RawViolation {
                    msg: f.message,
                    details: None,
                })
                .collect(),
        })
    }
}

impl Policy for GatekeeperPolicy {
    fn name(&self) -> &str {
        self.constraint.name()
    }

    /// `true` when the constraint's `match` selects the request, and when
    /// it cannot tell (a `namespaceSelector` on an object whose Namespace is
    /// not known), so that [`Policy::validate`] reports the error.
    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.constraint.matcher().outcome(request, context) != MatchOutcome::NotMatched
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        self.validate_cached(request, context, &RequestCache::new())
    }

    fn validate_cached(
        &self,
        request: &AdmissionRequest,
        context: &Context,
        cache: &RequestCache,
    ) -> Result<Vec<Violation>, EvaluationError> {
        if let MatchOutcome::UnknownNamespace(ns) =
            self.constraint.matcher().outcome(request, context)
        {
            return Err(EvaluationError {
                policy: self.constraint.name().to_owned(),
                reason: format!(
                    "namespace `{ns}` is not known, so `spec.match.namespaceSelector` cannot be evaluated (Gatekeeper rejects the request)"
                ),
            });
        }
        let action: EnforcementAction = self.constraint.action();
        Ok(self
            .raw_violations_cached(request, context, cache)?
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
/// wire form (the same members as [`AdmissionRequest::to_json`]), plus
/// `_unstable.namespace` (the Namespace object) when the context knows the
/// request's namespace. On DELETE without `object`, `object` is the
/// `oldObject`, as Gatekeeper's webhook sets it. Built member by member, without an intermediate
/// JSON copy.
pub fn review_value(request: &AdmissionRequest, context: &Context) -> Value {
    let mut fields: BTreeMap<Value, Value> = BTreeMap::new();
    let mut put = |key: &str, value: Value| {
        fields.insert(Value::from(key), value);
    };
    let gvk = |g: &GroupVersionKind| {
        object([
            ("group", Value::from(g.group.as_str())),
            ("version", Value::from(g.version.as_str())),
            ("kind", Value::from(g.kind.as_str())),
        ])
    };
    let gvr = |g: &GroupVersionResource| {
        object([
            ("group", Value::from(g.group.as_str())),
            ("version", Value::from(g.version.as_str())),
            ("resource", Value::from(g.resource.as_str())),
        ])
    };
    if !request.uid.is_empty() {
        put("uid", Value::from(request.uid.as_str()));
    }
    put("kind", gvk(&request.kind));
    if let Some(r) = &request.resource {
        put("resource", gvr(r));
    }
    if let Some(s) = &request.sub_resource {
        put("subResource", Value::from(s.as_str()));
    }
    if let Some(k) = &request.request_kind {
        put("requestKind", gvk(k));
    }
    if let Some(r) = &request.request_resource {
        put("requestResource", gvr(r));
    }
    if !request.name.is_empty() {
        put("name", Value::from(request.name.as_str()));
    }
    if let Some(ns) = &request.namespace {
        put("namespace", Value::from(ns.as_str()));
    }
    if let Some(op) = request.operation {
        put("operation", Value::from(op.as_str()));
    }
    if let Some(user) = &request.user_info {
        put(
            "userInfo",
            to_rego(&serde_json::to_value(user).unwrap_or_default()),
        );
    }
    // Gatekeeper sets `object` to `oldObject` on DELETE, when it is absent.
    let reviewed = match (&request.object, request.operation) {
        (Some(o), _) if !o.is_null() => Some(o),
        (_, Some(Operation::Delete)) => request.old_object.as_ref(),
        (o, _) => o.as_ref(),
    };
    if let Some(o) = reviewed {
        put("object", to_rego(o));
    }
    if let Some(o) = &request.old_object {
        put("oldObject", to_rego(o));
    }
    if let Some(d) = request.dry_run {
        put("dryRun", Value::from(d));
    }
    if let Some(o) = &request.options {
        put("options", to_rego(o));
    }
    for (k, v) in &request.extra {
        put(k, to_rego(v));
    }
    if let Some(ns) = request
        .namespace
        .as_deref()
        .and_then(|name| context.namespace(name))
    {
        put("_unstable", object([("namespace", to_rego(ns))]));
    }
    Value::from(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gatekeeper::{Constraint, ConstraintTemplate};
    use crate::review::AdmissionReview;
    use serde_json::json;

    #[test]
    fn review_value_is_the_wire_request() {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "u1",
                "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "subResource": "scale",
                "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "name": "api", "namespace": "shop", "operation": "UPDATE",
                "userInfo": {"username": "bob", "groups": ["g"], "extra": {"k": ["v"]}},
                "object": {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2}},
                "oldObject": {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1.5}},
                "dryRun": false,
                "options": {"kind": "UpdateOptions"},
                "somethingNew": [1, "x"]
            }
        });
        let request = AdmissionReview::parse(&review).unwrap().request;
        let value = review_value(&request, &Context::new());
        assert_eq!(super::super::value::to_json(&value), review["request"]);

        let mut delete = request.clone();
        delete.operation = Some(Operation::Delete);
        delete.object = None;
        let value = super::super::value::to_json(&review_value(&delete, &Context::new()));
        assert_eq!(value["object"], value["oldObject"]);

        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
        let value = review_value(&request, &Context::with_objects([ns.clone()]));
        assert_eq!(
            super::super::value::to_json(&value)["_unstable"]["namespace"],
            ns
        );
    }

    #[test]
    fn constraints_of_one_request_share_its_input_review() {
        let template = ConstraintTemplate::from_json(
            &json!({
                "apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate",
                "metadata": {"name": "named"},
                "spec": {"crd": {"spec": {"names": {"kind": "Named"}}},
                         "targets": [{"target": "admission.k8s.gatekeeper.sh",
                                      "rego": "package named\nviolation[{\"msg\": input.review.name}] { true }\n"}]}
            }),
            None,
        )
        .unwrap();
        let constraint = Constraint::from_json(
            &json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "Named",
                    "metadata": {"name": "n"}}),
            None,
        )
        .unwrap();
        let policy = GatekeeperPolicy::bind(constraint, Arc::new(template)).unwrap();
        let request = |name: &str| {
            AdmissionRequest::from_object(json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}
            }))
            .unwrap()
        };
        let context = Context::new();
        let cache = RequestCache::new();
        let first = policy
            .validate_cached(&request("first"), &context, &cache)
            .unwrap();
        assert_eq!(first[0].message, "first");
        // The cache holds the first request's `input.review`; a policy given
        // the same cache takes it from there rather than building it again.
        let shared = policy
            .validate_cached(&request("second"), &context, &cache)
            .unwrap();
        assert_eq!(shared[0].message, "first");
        let fresh = policy.validate(&request("second"), &context).unwrap();
        assert_eq!(fresh[0].message, "second");
    }

    #[test]
    fn unknown_namespace_with_a_namespace_selector_is_an_error() {
        use crate::review::PolicySet;
        let template = ConstraintTemplate::from_json(
            &json!({
                "apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate",
                "metadata": {"name": "always"},
                "spec": {"crd": {"spec": {"names": {"kind": "Always"}}},
                         "targets": [{"target": "admission.k8s.gatekeeper.sh",
                                      "rego": "package always\nviolation[{\"msg\": \"no\"}] { true }\n"}]}
            }),
            None,
        )
        .unwrap();
        let constraint = Constraint::from_json(
            &json!({
                "apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "Always",
                "metadata": {"name": "prod-only"},
                "spec": {"match": {"namespaceSelector": {"matchLabels": {"env": "prod"}}}}
            }),
            None,
        )
        .unwrap();
        let mut set = PolicySet::new();
        set.add(GatekeeperPolicy::bind(constraint, Arc::new(template)).unwrap());
        let pod = AdmissionRequest::from_object(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}
        }))
        .unwrap();
        let response = set.review(&pod, &Context::new());
        assert!(!response.allowed);
        let status = response.status.unwrap();
        assert_eq!(status.code, 500);
        assert!(
            status.message.contains("namespace `shop` is not known"),
            "{}",
            status.message
        );
        // Known and labelled: the constraint applies and denies.
        let ns = json!({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": "shop", "labels": {"env": "prod"}}});
        let response = set.review(&pod, &Context::with_objects([ns]));
        assert_eq!(response.status.unwrap().message, "[prod-only] no");
        // Known, not labelled: out of scope.
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
        assert!(set.review(&pod, &Context::with_objects([ns])).allowed);
    }
}
