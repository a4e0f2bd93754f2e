//! Resource limits required (Gatekeeper's `K8sContainerLimits`): every
//! container and init container sets CPU and memory limits, optionally
//! below maximums.

use std::collections::BTreeSet;

use palisade_core::EnforcementAction;
use serde_json::Value;

use super::containers::{ContainerList, containers, is_exempt, name_and_image};

/// The resource-limits policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceLimits {
    /// The policy's name.
    pub name: String,
    /// The largest allowed CPU limit (exclusive), like `2` or `500m`;
    /// `-1` means CPU limits are not checked at all (as in the library).
    pub max_cpu: Option<String>,
    /// The largest allowed memory limit (exclusive), like `1Gi`; `-1`
    /// means memory limits are not checked at all.
    pub max_memory: Option<String>,
    /// Images left alone (exact, or a prefix ending in `*`).
    pub exempt_images: Vec<String>,
    /// What a violation does.
    pub action: EnforcementAction,
}

impl Default for ResourceLimits {
    /// Limits required, no maximum, denying.
    fn default() -> ResourceLimits {
        ResourceLimits {
            name: "resource-limits".to_owned(),
            max_cpu: None,
            max_memory: None,
            exempt_images: Vec::new(),
            action: EnforcementAction::Deny,
        }
    }
}

fn is_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `text` with every `pattern` removed, as Rego's `replace(text, pattern, "")`;
/// without allocating in the usual case of one occurrence at the end.
fn remove_all<'a>(text: &'a str, pattern: &str) -> std::borrow::Cow<'a, str> {
    match text.strip_suffix(pattern) {
        Some(head) if !pattern.is_empty() && !head.contains(pattern) => head.into(),
        _ if pattern.is_empty() => text.into(),
        _ => text.replace(pattern, "").into(),
    }
}

/// CPU in millicores, as the library template reads it.
fn canonical_cpu(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().map(|x| x * 1000.0),
        Value::String(s) if s.ends_with('m') => remove_all(s, "m").parse::<f64>().ok(),
        Value::String(s) => is_decimal(s)
            .then(|| s.parse::<f64>().ok())
            .flatten()
            .map(|x| x * 1000.0),
        _ => None,
    }
}

fn memory_multiple(suffix: &str) -> Option<f64> {
    Some(match suffix {
        "E" => 1e21,
        "P" => 1e18,
        "T" => 1e15,
        "G" => 1e12,
        "M" => 1e9,
        "k" => 1e6,
        "" => 1e3,
        "m" => 1.0,
        "Ki" => 1_024_000.0,
        "Mi" => 1_048_576_000.0,
        "Gi" => 1_073_741_824_000.0,
        "Ti" => 1_099_511_627_776_000.0,
        "Pi" => 1_125_899_906_842_624_000.0,
        "Ei" => 1_152_921_504_606_846_976_000.0,
        _ => return None,
    })
}

/// The last `n` characters of `s` (all of it when shorter).
fn tail(s: &str, n: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    s.get(start..).unwrap_or(s)
}

/// Memory in millibytes, as the library template reads it.
fn canonical_memory(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().map(|x| x * 1000.0),
        Value::String(s) => {
            let count = s.chars().count();
            let suffix = if count > 1 && memory_multiple(tail(s, 2)).is_some() {
                tail(s, 2)
            } else if count > 0 && memory_multiple(tail(s, 1)).is_some() {
                tail(s, 1)
            } else {
                ""
            };
            let raw = remove_all(s, suffix);
            if !is_decimal(&raw) {
                return None;
            }
            Some(raw.parse::<f64>().ok()? * memory_multiple(suffix)?)
        }
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rego truthiness of a field: absent, `null`... are missing; so are `false` and `""`.
fn missing(limits: Option<&Value>, key: &str) -> bool {
    match limits.and_then(|l| l.get(key)) {
        None | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

impl ResourceLimits {
    /// The violations of `object` (a Pod or a workload).
    pub fn check(&self, object: &Value) -> Vec<String> {
        const LISTS: &[ContainerList] = &[ContainerList::Containers, ContainerList::InitContainers];
        let mut out = BTreeSet::new();
        let check_cpu = self.max_cpu.as_deref() != Some("-1");
        let check_memory = self.max_memory.as_deref() != Some("-1");
        for (_, c) in containers(object, LISTS) {
            let (name, image) = name_and_image(c);
            if is_exempt(image, &self.exempt_images) {
                continue;
            }
            let resources = c
                .get("resources")
                .filter(|r| !matches!(r, Value::Null | Value::Bool(false)));
            let limits = resources
                .and_then(|r| r.get("limits"))
                .filter(|l| !matches!(l, Value::Null | Value::Bool(false)));
            if limits.is_none() && (check_cpu || check_memory) {
                out.insert(format!("container <{name}> has no resource limits"));
            }
            if check_cpu && missing(limits, "cpu") {
                out.insert(format!("container <{name}> has no cpu limit"));
            }
            if check_memory && missing(limits, "memory") {
                out.insert(format!("container <{name}> has no memory limit"));
            }
            if let Some(cpu) = limits.and_then(|l| l.get("cpu")).filter(|_| check_cpu) {
                match canonical_cpu(cpu) {
                    None => {
                        out.insert(format!(
                            "container <{name}> cpu limit <{}> could not be parsed",
                            text(cpu)
                        ));
                    }
                    Some(value) => {
                        if let Some(max) = &self.max_cpu
                            && canonical_cpu(&Value::String(max.clone())).is_some_and(|m| value > m)
                        {
                            out.insert(format!(
                                "container <{name}> cpu limit <{}> is higher than the maximum allowed of <{max}>",
                                text(cpu)
                            ));
                        }
                    }
                }
            }
            if let Some(memory) = limits
                .and_then(|l| l.get("memory"))
                .filter(|_| check_memory)
            {
                match canonical_memory(memory) {
                    None => {
                        out.insert(format!(
                            "container <{name}> memory limit <{}> could not be parsed",
                            text(memory)
                        ));
                    }
                    Some(value) => {
                        if let Some(max) = &self.max_memory
                            && canonical_memory(&Value::String(max.clone()))
                                .is_some_and(|m| value > m)
                        {
                            out.insert(format!(
                                "container <{name}> memory limit <{}> is higher than the maximum allowed of <{max}>",
                                text(memory)
                            ));
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }
}

pod_spec_policy!(ResourceLimits, |policy, object, _request| policy
    .check(object));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_read_like_the_library() {
        assert_eq!(canonical_cpu(&json!("500m")), Some(500.0));
        assert_eq!(canonical_cpu(&json!("1.5")), Some(1500.0));
        assert_eq!(canonical_cpu(&json!(2)), Some(2000.0));
        assert_eq!(canonical_cpu(&json!("1Gi")), None);
        assert_eq!(canonical_memory(&json!("1Gi")), Some(1_073_741_824_000.0));
        assert_eq!(canonical_memory(&json!("128M")), Some(128e9));
        assert_eq!(canonical_memory(&json!("abc")), None);
    }

    #[test]
    fn limits_are_required_and_bounded() {
        let policy = ResourceLimits {
            max_cpu: Some("200m".into()),
            max_memory: Some("1Gi".into()),
            ..ResourceLimits::default()
        };
        let pod = |limits: Value| json!({"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": limits}}]}});
        assert!(
            policy
                .check(&pod(json!({"cpu": "100m", "memory": "1Gi"})))
                .is_empty()
        );
        assert_eq!(
            policy
                .check(&pod(json!({"cpu": "300m", "memory": "1Gi"})))
                .len(),
            1
        );
        assert_eq!(
            policy.check(&pod(json!({"memory": "1Gi"}))),
            ["container <c> has no cpu limit"]
        );
        let ignore_cpu = ResourceLimits {
            max_cpu: Some("-1".into()),
            ..policy
        };
        assert!(ignore_cpu.check(&pod(json!({"memory": "1Gi"}))).is_empty());
    }
}
