//! Pod Security Standards as admission [`Policy`]s: at a fixed level and
//! version, or driven by namespace labels as Pod Security Admission does.

use palisade_core::EnforcementAction;
use serde_json::Value;

use super::admit::{NamespaceRequest, PodSecurity, PodSecurityRequest};
use super::level::LevelVersion;
use super::registry::evaluate_pod;
use super::workload::{has_pod_spec, pod_view};
use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

static NULL: Value = Value::Null;

fn kind(request: &AdmissionRequest) -> &str {
    request.kind.kind.as_str()
}

/// Every Pod and pod template checked at one level and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PssPolicy {
    /// The policy's name (`pod-security-restricted`).
    pub name: String,
    /// The level and version.
    pub level_version: LevelVersion,
    /// What a violation does.
    pub action: EnforcementAction,
}

impl PssPolicy {
    /// A policy named `pod-security-<level>` that denies violations.
    pub fn new(level_version: LevelVersion) -> PssPolicy {
        PssPolicy {
            name: format!("pod-security-{}", level_version.level),
            level_version,
            action: EnforcementAction::Deny,
        }
    }

    /// The violation message for `object`, when it violates the level.
    pub fn check(&self, object: &Value) -> Option<String> {
        let pod = pod_view(object)?;
        let result = evaluate_pod(self.level_version, &pod);
        (!result.allowed()).then(|| result.denial_message())
    }
}

impl Policy for PssPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn applies_to(&self, request: &AdmissionRequest, _: &Context) -> bool {
        has_pod_spec(kind(request))
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        _: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let object = request.subject_object().unwrap_or(&NULL);
        Ok(self
            .check(object)
            .map(|m| Violation::new(self.name.clone(), m, self.action))
            .into_iter()
            .collect())
    }
}

/// Pod Security Admission as a policy: the namespace's
/// `pod-security.kubernetes.io/*` labels (from the [`Context`]) choose the
/// level per mode; enforce violations deny, warn violations warn, audit
/// violations are recorded (`dryrun`). Namespace requests are checked too:
/// invalid labels are refused, and raising the enforce level warns about
/// the Pods of the namespace (from the [`Context`]) that would violate it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSecurityAdmission {
    /// Defaults and exemptions.
    pub config: PodSecurity,
}

impl Policy for PodSecurityAdmission {
    fn name(&self) -> &str {
        "pod-security-admission"
    }

    fn applies_to(&self, request: &AdmissionRequest, _: &Context) -> bool {
        has_pod_spec(kind(request)) || kind(request) == "Namespace"
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        if kind(request) == "Namespace" {
            return Ok(self.validate_namespace(request, context));
        }
        let namespace = request.namespace.as_deref().unwrap_or("");
        let labels = context
            .namespace(namespace)
            .and_then(|n| n.get("metadata"))
            .and_then(|m| m.get("labels"));
        let decision = self.config.review(&PodSecurityRequest {
            object: request.subject_object().unwrap_or(&NULL),
            old_object: request.old_object.as_ref(),
            operation: request.operation.map_or("CREATE", |o| o.as_str()),
            subresource: request.sub_resource.as_deref().unwrap_or(""),
            namespace,
            namespace_labels: labels,
            username: request
                .user_info
                .as_ref()
                .map_or("", |u| u.username.as_str()),
        });
        let name = self.name().to_owned();
        let mut out = Vec::new();
        if let Some(message) = decision.message {
            out.push(Violation::new(
                name.clone(),
                message,
                EnforcementAction::Deny,
            ));
        }
        for warning in decision.warnings {
            out.push(Violation::new(
                name.clone(),
                warning,
                EnforcementAction::Warn,
            ));
        }
        if let Some(audit) = decision.audit_annotations.get("audit-violations") {
            out.push(Violation::new(
                name,
                audit.clone(),
                EnforcementAction::Dryrun,
            ));
        }
        Ok(out)
    }
}

impl PodSecurityAdmission {
    fn validate_namespace(&self, request: &AdmissionRequest, context: &Context) -> Vec<Violation> {
        let Some(namespace) = request.object.as_ref() else {
            return Vec::new();
        };
        let name = namespace
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let pods: Vec<&Value> = context
            .objects()
            .iter()
            .filter(|o| {
                o.get("kind").and_then(Value::as_str) == Some("Pod")
                    && o.get("metadata")
                        .and_then(|m| m.get("namespace"))
                        .and_then(Value::as_str)
                        == Some(name)
            })
            .collect();
        let decision = self.config.review_namespace(&NamespaceRequest {
            namespace,
            old_namespace: request.old_object.as_ref(),
            operation: request.operation.map_or("", |o| o.as_str()),
            subresource: request.sub_resource.as_deref().unwrap_or(""),
            pods: &pods,
        });
        let policy = self.name().to_owned();
        let mut out: Vec<Violation> = decision
            .message
            .map(|m| Violation::new(policy.clone(), m, EnforcementAction::Deny))
            .into_iter()
            .collect();
        out.extend(
            decision
                .warnings
                .into_iter()
                .map(|w| Violation::new(policy.clone(), w, EnforcementAction::Warn)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::EnforcementAction;
    use serde_json::json;

    use super::*;
    use crate::pss::{Level, Version};
    use crate::review::{AdmissionReview, PolicySet};

    fn request(kind: &str, object: Value) -> AdmissionRequest {
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "1", "operation": "CREATE", "namespace": "shop",
                "kind": {"group": "", "version": "v1", "kind": kind}, "object": object}});
        AdmissionReview::parse(&review).unwrap().request
    }

    #[test]
    fn namespace_labels_drive_pod_security_admission() {
        let mut context = Context::new();
        context.add_object(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"pod-security.kubernetes.io/enforce": "baseline",
                       "pod-security.kubernetes.io/warn": "restricted"}}}),
        );
        let mut set = PolicySet::new();
        set.add(PodSecurityAdmission::default());
        let privileged = request(
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "securityContext": {"privileged": true}}]}}),
        );
        let decision = set.evaluate(&privileged, &context);
        assert!(!decision.allowed());
        assert!(
            decision.violations[0]
                .message
                .starts_with("violates PodSecurity \"baseline:latest\": privileged")
        );
        let plain = request(
            "Pod",
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": [{"name": "c"}]}}),
        );
        let decision = set.evaluate(&plain, &context);
        assert!(decision.allowed());
        assert_eq!(decision.violations.len(), 1);
        assert_eq!(decision.violations[0].action, EnforcementAction::Warn);
        assert!(
            decision.violations[0]
                .message
                .starts_with("would violate PodSecurity \"restricted:latest\"")
        );
    }

    #[test]
    fn fixed_level_policy_checks_workloads() {
        let policy = PssPolicy::new(LevelVersion::new(Level::Baseline, Version::V1(30)));
        let deploy = request(
            "Deployment",
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "shop"},
            "spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "c"}]}}}}),
        );
        let context = Context::new();
        assert!(policy.applies_to(&deploy, &context));
        let violations = policy.validate(&deploy, &context).unwrap();
        assert_eq!(
            violations[0].message,
            "violates PodSecurity \"baseline:v1.30\": host namespaces (hostPID=true)"
        );
        assert_eq!(policy.name(), "pod-security-baseline");
    }
}
