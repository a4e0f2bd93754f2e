//! Pod Security Admission itself: namespace labels choose the level and
//! version for each mode (enforce denies, audit records, warn warns),
//! exemptions skip evaluation, and workloads are checked through their pod
//! template (warn and audit only, as PSA does).

use std::collections::BTreeMap;

use serde_json::Value;

use super::fields::PodView;
use super::level::{Level, LevelVersion, Version};
use super::registry::{Evaluation, evaluate_pod};
use super::workload::{has_pod_spec, is_significant_pod_update, pod_view};

/// The prefix of PSA's namespace labels and audit annotations.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The level and version of each mode, for one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespacePolicy {
    /// Violations deny pods.
    pub enforce: LevelVersion,
    /// Violations are recorded in audit annotations.
    pub audit: LevelVersion,
    /// Violations are returned as warnings.
    pub warn: LevelVersion,
}

impl Default for NamespacePolicy {
    /// `privileged:latest` for every mode, PSA's default configuration.
    fn default() -> NamespacePolicy {
        let privileged = LevelVersion::new(Level::Privileged, Version::Latest);
        NamespacePolicy {
            enforce: privileged,
            audit: privileged,
            warn: privileged,
        }
    }
}

/// A namespace label whose value PSA would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    /// The label key.
    pub label: String,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for LabelError {
    /// As the API server words a field error:
    /// `metadata.labels[key]: Invalid value: "value": message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "metadata.labels[{}]: Invalid value: \"{}\": {}",
            self.label, self.value, self.message
        )
    }
}

impl NamespacePolicy {
    /// The policy that namespace labels select, starting from `defaults`,
    /// with PSA's rules: a bad enforce level means `restricted` (fail
    /// closed), a bad audit or warn level means `privileged` (fail open), a
    /// bad version means `latest`; without a warn label, warn is raised to
    /// the enforce level.
    pub fn from_labels<'a>(
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        defaults: NamespacePolicy,
    ) -> (NamespacePolicy, Vec<LabelError>) {
        let mut policy = defaults;
        let mut errors = Vec::new();
        let (mut has_enforce_level, mut has_warn_level, mut has_warn_version) =
            (false, false, false);
        let mut error = |label: &str, value: &str, message: &str| {
            errors.push(LabelError {
                label: label.to_owned(),
                value: value.to_owned(),
                message: message.to_owned(),
            });
        };
        for (key, value) in labels {
            let Some(mode) = key.strip_prefix(LABEL_PREFIX) else {
                continue;
            };
            let level = |fallback: Level, error: &mut dyn FnMut(&str, &str, &str)| {
                value.parse::<Level>().unwrap_or_else(|_| {
                    error(
                        key,
                        value,
                        "must be one of privileged, baseline, restricted",
                    );
                    fallback
                })
            };
            let version = |error: &mut dyn FnMut(&str, &str, &str)| {
                value.parse::<Version>().unwrap_or_else(|_| {
                    error(key, value, "must be \"latest\" or \"v1.x\"");
                    Version::Latest
                })
            };
            match mode {
                "enforce" => {
                    has_enforce_level = value.parse::<Level>().is_ok();
                    policy.enforce.level = level(Level::Restricted, &mut error);
                }
                "enforce-version" => policy.enforce.version = version(&mut error),
                "audit" => policy.audit.level = level(Level::Privileged, &mut error),
                "audit-version" => policy.audit.version = version(&mut error),
                "warn" => {
                    has_warn_level = true;
                    policy.warn.level = level(Level::Privileged, &mut error);
                }
                "warn-version" => {
                    has_warn_version = true;
                    policy.warn.version = version(&mut error);
                }
                _ => {}
            }
        }
        if !has_warn_level && has_enforce_level && policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level;
            if !has_warn_version {
                policy.warn.version = policy.enforce.version;
            }
        }
        (policy, errors)
    }

    /// `true` when every mode is `privileged`.
    pub fn fully_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == Level::Privileged)
    }
}

/// Requests that Pod Security Admission lets through without evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    /// Requesting user names.
    pub usernames: Vec<String>,
    /// Pod `runtimeClassName`s.
    pub runtime_classes: Vec<String>,
    /// Namespaces.
    pub namespaces: Vec<String>,
}

/// Why a request was exempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// The namespace is exempt.
    Namespace,
    /// The requesting user is exempt.
    User,
    /// The pod's runtime class is exempt.
    RuntimeClass,
}

impl Exemption {
    /// The value PSA writes in its `exempt` audit annotation.
    pub fn as_str(self) -> &'static str {
        match self {
            Exemption::Namespace => "namespace",
            Exemption::User => "user",
            Exemption::RuntimeClass => "runtimeClass",
        }
    }
}

/// What Pod Security Admission needs to know about one request.
#[derive(Debug, Clone, Copy)]
pub struct PodSecurityRequest<'a> {
    /// The object (a Pod or a workload).
    pub object: &'a Value,
    /// The old object, for `UPDATE`.
    pub old_object: Option<&'a Value>,
    /// `CREATE`, `UPDATE`, ...
    pub operation: &'a str,
    /// The subresource (`""` for the object itself).
    pub subresource: &'a str,
    /// The request's namespace.
    pub namespace: &'a str,
    /// The labels of that namespace (`None`: no labels known).
    pub namespace_labels: Option<&'a Value>,
    /// The requesting user's name.
    pub username: &'a str,
}

/// Pod Security Admission's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodSecurityDecision {
    /// `false` when the enforce level denies the pod.
    pub allowed: bool,
    /// The denial message (`violates PodSecurity "baseline:latest": ...`).
    pub message: Option<String>,
    /// Warnings for the client (`would violate PodSecurity ...`).
    pub warnings: Vec<String>,
    /// Audit annotations, keyed without the `pod-security.kubernetes.io/` prefix
    /// (`enforce-policy`, `audit-violations`, `exempt`, `error`).
    pub audit_annotations: BTreeMap<String, String>,
    /// Set when the request was exempt.
    pub exemption: Option<Exemption>,
    /// The enforce evaluation, when one ran.
    pub enforce: Option<Evaluation>,
}

impl PodSecurityDecision {
    fn allow() -> PodSecurityDecision {
        PodSecurityDecision {
            allowed: true,
            ..PodSecurityDecision::default()
        }
    }

    fn exempt(exemption: Exemption) -> PodSecurityDecision {
        let mut d = PodSecurityDecision::allow();
        d.exemption = Some(exemption);
        d.audit_annotations
            .insert("exempt".to_owned(), exemption.as_str().to_owned());
        d
    }
}

/// What Pod Security Admission needs to know about a Namespace request.
#[derive(Debug, Clone, Copy)]
pub struct NamespaceRequest<'a> {
    /// The Namespace object.
    pub namespace: &'a Value,
    /// The old Namespace, for `UPDATE`.
    pub old_namespace: Option<&'a Value>,
    /// `CREATE`, `UPDATE`, ...
    pub operation: &'a str,
    /// The subresource (`""` for the object itself).
    pub subresource: &'a str,
    /// The Pods that exist in the namespace (checked when the enforce
    /// level is raised).
    pub pods: &'a [&'a Value],
}

/// Pod subresources PSA never evaluates.
const IGNORED_POD_SUBRESOURCES: [&str; 8] = [
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// Pod Security Admission: defaults for namespaces without labels, and
/// exemptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSecurity {
    /// The policy of a namespace without Pod Security labels.
    pub defaults: NamespacePolicy,
    /// Requests let through without evaluation.
    pub exemptions: Exemptions,
}

/// The pairs of a `labels` map; a value that is not a string reads as `""`.
fn label_pairs(labels: Option<&Value>) -> impl Iterator<Item = (&str, &str)> {
    labels
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
}

fn labels_of(object: &Value) -> impl Iterator<Item = (&str, &str)> {
    label_pairs(object.get("metadata").and_then(|m| m.get("labels")))
}

/// `metadata.name` of an object (`""` when missing).
fn name_of(object: &Value) -> &str {
    object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn invalid_labels_message(name: &str, errors: &[LabelError]) -> String {
    let items: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let detail = match items.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    format!("Namespace \"{name}\" is invalid: {detail}")
}

impl PodSecurity {
    /// PSA's warning for an exempt namespace whose labels set a policy that
    /// will be ignored (`None` when there is nothing to say).
    fn exempt_namespace_warning(
        &self,
        name: &str,
        policy: &NamespacePolicy,
        labels: &Value,
    ) -> Option<String> {
        if policy.fully_privileged() || *policy == self.defaults {
            return None;
        }
        let has = |suffix: &str| {
            labels_of(labels).any(|(k, _)| {
                k.strip_prefix(LABEL_PREFIX)
                    .is_some_and(|m| m == suffix || m == format!("{suffix}-version"))
            })
        };
        let parts: Vec<String> = [
            ("enforce", policy.enforce),
            ("audit", policy.audit),
            ("warn", policy.warn),
        ]
        .into_iter()
        .filter(|(mode, lv)| lv.level != Level::Privileged && has(mode))
        .map(|(mode, lv)| format!("{mode}={lv}"))
        .collect();
        Some(format!(
            "namespace \"{name}\" is exempt from Pod Security, and the policy ({}) will be ignored",
            parts.join(", ")
        ))
    }

    /// Decides a Namespace request the way PSA's `ValidateNamespace` does:
    /// invalid Pod Security labels are refused; raising the enforce level
    /// warns about the existing Pods that would violate it.
    pub fn review_namespace(&self, request: &NamespaceRequest<'_>) -> PodSecurityDecision {
        if !request.subresource.is_empty() {
            return PodSecurityDecision::allow();
        }
        let name = name_of(request.namespace);
        let (policy, errors) =
            NamespacePolicy::from_labels(labels_of(request.namespace), self.defaults);
        let exempt = self.exemptions.namespaces.iter().any(|n| n == name);
        let with_exempt_warning = || {
            let mut d = PodSecurityDecision::allow();
            if exempt
                && let Some(w) = self.exempt_namespace_warning(name, &policy, request.namespace)
            {
                d.warnings.push(w);
            }
            d
        };
        let invalid = || PodSecurityDecision {
            allowed: false,
            message: Some(invalid_labels_message(name, &errors)),
            ..PodSecurityDecision::default()
        };
        match request.operation {
            "CREATE" => {
                if errors.is_empty() {
                    with_exempt_warning()
                } else {
                    invalid()
                }
            }
            "UPDATE" => {
                let old = request
                    .old_namespace
                    .map(|o| NamespacePolicy::from_labels(labels_of(o), self.defaults));
                let (old_policy, old_errors) = old.unwrap_or((self.defaults, Vec::new()));
                if !errors.is_empty() && (old_errors.is_empty() || old_errors != errors) {
                    return invalid();
                }
                let new = policy.enforce;
                let unchanged = new == old_policy.enforce
                    || new.level == Level::Privileged
                    || (new.version == old_policy.enforce.version
                        && new.level <= old_policy.enforce.level);
                if unchanged {
                    return PodSecurityDecision::allow();
                }
                if exempt {
                    return with_exempt_warning();
                }
                let mut d = PodSecurityDecision::allow();
                d.warnings = self.existing_pod_warnings(name, new, request.pods);
                d
            }
            _ => PodSecurityDecision::allow(),
        }
    }

    /// Whether the pod's `runtimeClassName` is exempt.
    fn exempt_runtime_class(&self, pod: &PodView<'_>) -> bool {
        pod.spec
            .get("runtimeClassName")
            .and_then(Value::as_str)
            .is_some_and(|c| self.exemptions.runtime_classes.iter().any(|e| e == c))
    }

    /// PSA's warnings about existing Pods under a new enforce level: one
    /// line naming the namespace, then one per distinct set of reasons,
    /// naming the first Pod (by name) and how many others share it.
    fn existing_pod_warnings(
        &self,
        namespace: &str,
        enforce: LevelVersion,
        pods: &[&Value],
    ) -> Vec<String> {
        let mut by_reason: Vec<(String, String, usize)> = Vec::new();
        for pod in pods {
            let Some(view) = pod_view(pod) else { continue };
            if self.exempt_runtime_class(&view) {
                continue;
            }
            let result = evaluate_pod(enforce, &view);
            if result.allowed() {
                continue;
            }
            let reason = result.forbidden_reason();
            let pod_name = name_of(pod).to_owned();
            match by_reason.iter_mut().find(|(r, _, _)| *r == reason) {
                Some(entry) => {
                    if pod_name < entry.1 {
                        entry.1 = pod_name;
                    }
                    entry.2 += 1;
                }
                None => by_reason.push((reason, pod_name, 1)),
            }
        }
        if by_reason.is_empty() {
            return Vec::new();
        }
        let mut lines: Vec<String> = by_reason
            .into_iter()
            .map(|(reason, pod, count)| match count {
                1 => format!("{pod}: {reason}"),
                2 => format!("{pod} (and 1 other pod): {reason}"),
                n => format!("{pod} (and {} other pods): {reason}", n - 1),
            })
            .collect();
        lines.sort();
        let mut out = vec![format!(
            "existing pods in namespace \"{namespace}\" violate the new PodSecurity enforce level \"{enforce}\""
        )];
        out.extend(lines);
        out
    }

    /// Decides one request the way PSA's `ValidatePod` and
    /// `ValidatePodController` do. Objects of other kinds are allowed.
    pub fn review(&self, request: &PodSecurityRequest<'_>) -> PodSecurityDecision {
        let kind = request
            .object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !has_pod_spec(kind) {
            return PodSecurityDecision::allow();
        }
        let is_pod = kind == "Pod";
        if is_pod {
            if IGNORED_POD_SUBRESOURCES.contains(&request.subresource) {
                return PodSecurityDecision::allow();
            }
        } else if !request.subresource.is_empty() {
            return PodSecurityDecision::allow();
        }
        if self
            .exemptions
            .namespaces
            .iter()
            .any(|n| n == request.namespace)
        {
            return PodSecurityDecision::exempt(Exemption::Namespace);
        }
        if self
            .exemptions
            .usernames
            .iter()
            .any(|u| u == request.username)
        {
            return PodSecurityDecision::exempt(Exemption::User);
        }
        let (policy, errors) =
            NamespacePolicy::from_labels(label_pairs(request.namespace_labels), self.defaults);
        if errors.is_empty() {
            let nothing_to_do = if is_pod {
                policy.fully_privileged()
            } else {
                policy.warn.level == Level::Privileged && policy.audit.level == Level::Privileged
            };
            if nothing_to_do {
                return PodSecurityDecision::allow();
            }
        }
        if is_pod
            && request.operation == "UPDATE"
            && let Some(old) = request.old_object
            && !is_significant_pod_update(request.object, old)
        {
            return PodSecurityDecision::allow();
        }
        let Some(pod) = pod_view(request.object) else {
            return PodSecurityDecision::allow();
        };
        if self.exempt_runtime_class(&pod) {
            return PodSecurityDecision::exempt(Exemption::RuntimeClass);
        }
        let mut decision = PodSecurityDecision::allow();
        if !errors.is_empty() {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            decision.audit_annotations.insert(
                "error".to_owned(),
                format!("Failed to parse policy: {}", text.join(", ")),
            );
        }
        let mut cache: Vec<Evaluation> = Vec::new();
        let mut evaluate = |lv: LevelVersion| -> Evaluation {
            if let Some(e) = cache.iter().find(|e| e.level_version == lv) {
                return e.clone();
            }
            let e = evaluate_pod(lv, &pod);
            cache.push(e.clone());
            e
        };
        if is_pod {
            decision
                .audit_annotations
                .insert("enforce-policy".to_owned(), policy.enforce.to_string());
            let result = evaluate(policy.enforce);
            if !result.allowed() {
                decision.allowed = false;
                decision.message = Some(result.denial_message());
            }
            decision.enforce = Some(result);
        }
        let audit = evaluate(policy.audit);
        if !audit.allowed() {
            decision
                .audit_annotations
                .insert("audit-violations".to_owned(), audit.warning_message());
        }
        if decision.allowed {
            let warn = evaluate(policy.warn);
            if !warn.allowed() {
                decision.warnings.push(warn.warning_message());
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request<'a>(object: &'a Value, labels: &'a Value) -> PodSecurityRequest<'a> {
        PodSecurityRequest {
            object,
            old_object: None,
            operation: "CREATE",
            subresource: "",
            namespace: "shop",
            namespace_labels: Some(labels),
            username: "alice",
        }
    }

    fn host_pid_pod() -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"hostPID": true, "containers": [{"name": "c", "image": "nginx"}]}})
    }

    #[test]
    fn enforce_label_denies_with_psa_message() {
        let pod = host_pid_pod();
        let labels = json!({"pod-security.kubernetes.io/enforce": "baseline"});
        let d = PodSecurity::default().review(&request(&pod, &labels));
        assert!(!d.allowed);
        assert_eq!(
            d.message.as_deref(),
            Some("violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)")
        );
        assert_eq!(d.audit_annotations["enforce-policy"], "baseline:latest");
        // warn defaults to the enforce level, but warnings are only sent when allowed
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn warn_and_audit_do_not_deny() {
        let pod = host_pid_pod();
        let labels = json!({"pod-security.kubernetes.io/warn": "baseline",
                            "pod-security.kubernetes.io/audit": "restricted",
                            "pod-security.kubernetes.io/audit-version": "v1.24"});
        let d = PodSecurity::default().review(&request(&pod, &labels));
        assert!(d.allowed);
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].starts_with("would violate PodSecurity \"baseline:latest\""));
        assert!(d.audit_annotations["audit-violations"].contains("restricted:v1.24"));
    }

    #[test]
    fn workloads_are_warned_not_denied() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"hostNetwork": true, "containers": [{"name": "c"}]}}}});
        let labels = json!({"pod-security.kubernetes.io/enforce": "baseline"});
        let d = PodSecurity::default().review(&request(&deploy, &labels));
        assert!(d.allowed);
        assert_eq!(d.warnings.len(), 1, "{d:?}");
    }

    #[test]
    fn exemptions_skip_evaluation() {
        let pod = host_pid_pod();
        let labels = json!({"pod-security.kubernetes.io/enforce": "baseline"});
        let psa = PodSecurity {
            exemptions: Exemptions {
                usernames: vec!["alice".into()],
                ..Exemptions::default()
            },
            ..PodSecurity::default()
        };
        let d = psa.review(&request(&pod, &labels));
        assert!(d.allowed);
        assert_eq!(d.exemption, Some(Exemption::User));
        let psa = PodSecurity {
            exemptions: Exemptions {
                namespaces: vec!["shop".into()],
                ..Exemptions::default()
            },
            ..PodSecurity::default()
        };
        assert_eq!(
            psa.review(&request(&pod, &labels)).exemption,
            Some(Exemption::Namespace)
        );
        let mut pod = pod;
        pod["spec"]["runtimeClassName"] = json!("kata");
        let psa = PodSecurity {
            exemptions: Exemptions {
                runtime_classes: vec!["kata".into()],
                ..Exemptions::default()
            },
            ..PodSecurity::default()
        };
        assert_eq!(
            psa.review(&request(&pod, &labels)).exemption,
            Some(Exemption::RuntimeClass)
        );
    }

    #[test]
    fn namespaces_with_bad_labels_are_refused_and_raised_levels_warn() {
        let psa = PodSecurity::default();
        let ns = json!({"kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"pod-security.kubernetes.io/enforce": "strict"}}});
        let d = psa.review_namespace(&NamespaceRequest {
            namespace: &ns,
            old_namespace: None,
            operation: "CREATE",
            subresource: "",
            pods: &[],
        });
        assert!(!d.allowed);
        assert_eq!(
            d.message.as_deref(),
            Some(
                "Namespace \"shop\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted"
            )
        );
        let old = json!({"kind": "Namespace", "metadata": {"name": "shop"}});
        let new = json!({"kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}});
        let (a, b, ok) = (
            host_pid_pod(),
            host_pid_pod(),
            json!({"kind": "Pod", "metadata": {"name": "ok"}, "spec": {}}),
        );
        let mut b = b;
        b["metadata"]["name"] = json!("a-first");
        let pods = [&a, &b, &ok];
        let d = psa.review_namespace(&NamespaceRequest {
            namespace: &new,
            old_namespace: Some(&old),
            operation: "UPDATE",
            subresource: "",
            pods: &pods,
        });
        assert!(d.allowed);
        assert_eq!(
            d.warnings,
            [
                "existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"baseline:latest\"",
                "a-first (and 1 other pod): host namespaces",
            ]
        );
    }

    #[test]
    fn bad_enforce_label_fails_closed() {
        let pod = host_pid_pod();
        let labels = json!({"pod-security.kubernetes.io/enforce": "strict"});
        let d = PodSecurity::default().review(&request(&pod, &labels));
        assert!(!d.allowed);
        assert!(d.audit_annotations["error"].contains("strict"));
        assert!(d.message.unwrap().contains("restricted:latest"));
    }
}
