//! Matching a resource against a `validate.pattern`, element by element,
//! with Kyverno's semantics: map patterns constrain the keys they name,
//! a list pattern whose first element is a map applies to every element,
//! anchors first (sorted), then plain keys (keys holding anchors first).

use std::collections::VecDeque;

use serde_json::{Map, Value};

use super::anchor::{self, AnchorKind};
use super::scalar;

static NULL: Value = Value::Null;

/// Why a pattern did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The resource violates the pattern.
    Fail {
        /// Where (`/spec/containers/0/image/`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A conditional anchor (or every element of a list) did not apply.
    Conditional(String),
    /// A global anchor did not hold: the rule does not apply.
    Global(String),
    /// A negation anchor found a key that must be absent.
    Negation {
        /// Where.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Mismatch {
    /// `true` for conditional and global anchor mismatches, which skip the rule.
    pub fn is_skip(&self) -> bool {
        matches!(self, Mismatch::Conditional(_) | Mismatch::Global(_))
    }

    fn message(&self) -> &str {
        match self {
            Mismatch::Fail { message, .. } | Mismatch::Negation { message, .. } => message,
            Mismatch::Conditional(m) | Mismatch::Global(m) => m,
        }
    }
}

/// The outcome of matching one pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternOutcome {
    /// The resource satisfies the pattern.
    Pass,
    /// The resource violates the pattern at `path`.
    Fail {
        /// Where the first violation is.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The pattern does not apply (conditional or global anchor).
    Skip(String),
}

/// Matches `resource` against `pattern` from the root.
pub fn match_pattern(resource: &Value, pattern: &Value) -> PatternOutcome {
    match element(resource, pattern, "/") {
        Ok(()) => PatternOutcome::Pass,
        Err(m) if m.is_skip() => PatternOutcome::Skip(m.message().to_owned()),
        Err(Mismatch::Fail { path, message } | Mismatch::Negation { path, message }) => {
            PatternOutcome::Fail { path, message }
        }
        Err(other) => PatternOutcome::Skip(other.message().to_owned()),
    }
}

fn fail(path: &str, message: String) -> Mismatch {
    Mismatch::Fail {
        path: path.to_owned(),
        message,
    }
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_owned(),
        other => other.to_string(),
    };
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn element(resource: &Value, pattern: &Value, path: &str) -> Result<(), Mismatch> {
    match pattern {
        Value::Object(pattern_map) => match resource {
            Value::Object(resource_map) => map(resource_map, pattern_map, path),
            _ => Err(fail(
                path,
                format!(
                    "pattern and resource have different structures at path {path}: expected a map"
                ),
            )),
        },
        Value::Array(items) => match resource {
            Value::Array(resource_items) => array(resource_items, items, path),
            _ => Err(fail(
                path,
                format!(
                    "validation rule failed at path {path}, resource does not satisfy the expected overlay pattern"
                ),
            )),
        },
        scalar_pattern => {
            let ok = match resource {
                Value::Array(items) => items.iter().all(|v| scalar::matches(v, scalar_pattern)),
                v => scalar::matches(v, scalar_pattern),
            };
            if ok {
                Ok(())
            } else {
                Err(fail(
                    path,
                    format!(
                        "resource value '{}' does not match '{}' at path {path}",
                        short(resource),
                        short(scalar_pattern)
                    ),
                ))
            }
        }
    }
}

/// `true` when the pattern holds an anchor anywhere.
fn has_nested_anchors(pattern: &Value) -> bool {
    match pattern {
        Value::Object(m) => m.iter().any(|(k, v)| {
            anchor::parse(k).is_some_and(|a| a.kind != AnchorKind::AddIfNotPresent)
                || has_nested_anchors(v)
        }),
        Value::Array(items) => items.iter().any(has_nested_anchors),
        _ => false,
    }
}

fn is_phase_one(key: &str) -> bool {
    anchor::parse(key).is_some_and(|a| {
        matches!(
            a.kind,
            AnchorKind::Condition
                | AnchorKind::Existence
                | AnchorKind::Equality
                | AnchorKind::Negation
        )
    })
}

fn map(
    resource: &Map<String, Value>,
    pattern: &Map<String, Value>,
    path: &str,
) -> Result<(), Mismatch> {
    let expanded = expand_in_metadata(pattern, resource);
    let pattern = expanded.as_ref().unwrap_or(pattern);
    // serde_json maps iterate in sorted key order, as Kyverno sorts keys.
    for (key, value) in pattern.iter().filter(|(k, _)| is_phase_one(k)) {
        handle(key, value, resource, path)?;
    }
    let mut order: VecDeque<(&String, &Value)> = VecDeque::new();
    for (key, value) in pattern.iter().filter(|(k, _)| !is_phase_one(k)) {
        let global = anchor::parse(key).is_some_and(|a| a.kind == AnchorKind::Global);
        if global || has_nested_anchors(value) {
            order.push_front((key, value));
        } else {
            order.push_back((key, value));
        }
    }
    for (key, value) in order {
        handle(key, value, resource, path)?;
    }
    Ok(())
}

fn handle(
    key: &str,
    pattern: &Value,
    resource: &Map<String, Value>,
    path: &str,
) -> Result<(), Mismatch> {
    let Some(a) = anchor::parse(key).filter(|a| a.kind != AnchorKind::AddIfNotPresent) else {
        return plain(key, pattern, resource, path);
    };
    let current = format!("{path}{}/", a.key);
    let value = resource.get(a.key);
    match a.kind {
        AnchorKind::Condition => match value {
            Some(v) => element(v, pattern, &current).map_err(|e| {
                Mismatch::Conditional(format!("conditional anchor mismatch: {}", e.message()))
            }),
            None => Err(Mismatch::Conditional(
                "conditional anchor mismatch: conditional anchor key doesn't exist in the resource"
                    .to_owned(),
            )),
        },
        AnchorKind::Global => match value {
            Some(v) => element(v, pattern, &current)
                .map_err(|e| Mismatch::Global(format!("global anchor mismatch: {}", e.message()))),
            None => Ok(()),
        },
        AnchorKind::Equality => match value {
            Some(v) => element(v, pattern, &current),
            None => Ok(()),
        },
        AnchorKind::Negation => match value {
            Some(_) => Err(Mismatch::Negation {
                path: current.clone(),
                message: format!("negation anchor matched in resource: {current} is not allowed"),
            }),
            None => Ok(()),
        },
        AnchorKind::Existence => match value {
            None => Ok(()),
            Some(Value::Array(items)) => {
                let Value::Array(patterns) = pattern else {
                    return Err(fail(
                        &current,
                        "invalid pattern: an existence anchor needs a list pattern".to_owned(),
                    ));
                };
                for p in patterns {
                    if !p.is_object() {
                        return Err(fail(
                            &current,
                            "invalid pattern: an existence anchor needs a list of maps".to_owned(),
                        ));
                    }
                    let found = items
                        .iter()
                        .enumerate()
                        .any(|(i, item)| element(item, p, &format!("{current}{i}/")).is_ok());
                    if !found {
                        return Err(fail(
                            &current,
                            format!("existence anchor validation failed at path {current}"),
                        ));
                    }
                }
                Ok(())
            }
            Some(_) => Err(fail(
                &current,
                "existence ^() anchor can be used only on list/array type resource".to_owned(),
            )),
        },
        AnchorKind::AddIfNotPresent => plain(key, pattern, resource, path),
    }
}

fn plain(
    key: &str,
    pattern: &Value,
    resource: &Map<String, Value>,
    path: &str,
) -> Result<(), Mismatch> {
    let value = resource.get(key).unwrap_or(&NULL);
    if pattern.as_str() == Some("*") {
        return if value.is_null() {
            Err(fail(path, format!("{path}{key} not found")))
        } else {
            Ok(())
        };
    }
    element(value, pattern, &format!("{path}{key}/"))
}

fn array(resource: &[Value], pattern: &[Value], path: &str) -> Result<(), Mismatch> {
    let Some(first) = pattern.first() else {
        return Err(fail(path, "pattern array empty".to_owned()));
    };
    match first {
        Value::Object(_) => array_of_maps(resource, first, path),
        Value::Array(_) => {
            if resource.len() < pattern.len() {
                return Err(fail(
                    path,
                    format!(
                        "validate array failed, array length mismatch, resource array len is {} and pattern array len is {}",
                        resource.len(),
                        pattern.len()
                    ),
                ));
            }
            let mut applied = 0usize;
            let mut skipped = Vec::new();
            for (i, (r, p)) in resource.iter().zip(pattern).enumerate() {
                match element(r, p, &format!("{path}{i}/")) {
                    Ok(()) => applied += 1,
                    Err(e) if e.is_skip() => skipped.push(e),
                    Err(e) => return Err(e),
                }
            }
            all_skipped(applied, skipped)
        }
        scalar_pattern => {
            let as_array = Value::Array(resource.to_vec());
            element(&as_array, scalar_pattern, path)
        }
    }
}

fn array_of_maps(resource: &[Value], pattern: &Value, path: &str) -> Result<(), Mismatch> {
    let mut applied = 0usize;
    let mut skipped = Vec::new();
    for (i, item) in resource.iter().enumerate() {
        match element(item, pattern, &format!("{path}{i}/")) {
            Ok(()) => applied += 1,
            Err(e) if e.is_skip() => skipped.push(e),
            Err(e) => return Err(e),
        }
    }
    all_skipped(applied, skipped)
}

/// Every element was skipped by an anchor: the list is skipped as a whole.
fn all_skipped(applied: usize, skipped: Vec<Mismatch>) -> Result<(), Mismatch> {
    if applied == 0 && !skipped.is_empty() {
        let messages: Vec<&str> = skipped.iter().map(Mismatch::message).collect();
        // A global anchor anywhere keeps its meaning: the rule does not apply.
        if skipped.iter().any(|m| matches!(m, Mismatch::Global(_))) {
            return Err(Mismatch::Global(messages.join("; ")));
        }
        return Err(Mismatch::Conditional(messages.join("; ")));
    }
    Ok(())
}

/// Kyverno's wildcard keys in `metadata.labels` and `metadata.annotations`:
/// a pattern key with `*` or `?` stands for the first matching key of the
/// resource.
fn expand_in_metadata(
    pattern: &Map<String, Value>,
    resource: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let (meta_key, Value::Object(pattern_meta)) = pattern
        .iter()
        .find(|(k, _)| anchor::plain_key(k) == "metadata")?
    else {
        return None;
    };
    let Value::Object(resource_meta) = resource.get("metadata")? else {
        return None;
    };
    let mut new_meta = pattern_meta.clone();
    let mut changed = false;
    for tag in ["labels", "annotations"] {
        let Some((tag_key, Value::Object(pattern_tags))) = pattern_meta
            .iter()
            .find(|(k, _)| anchor::plain_key(k) == tag)
        else {
            continue;
        };
        let Some(Value::Object(resource_tags)) = resource_meta.get(tag) else {
            continue;
        };
        let mut expanded = Map::new();
        for (k, v) in pattern_tags {
            let (prefix, bare) = match anchor::parse(k) {
                Some(a) => (k.get(..k.len() - a.key.len() - 1).unwrap_or(""), a.key),
                None => ("", k.as_str()),
            };
            if bare.contains(['*', '?'])
                && let Some(found) = resource_tags
                    .keys()
                    .find(|rk| scalar::wildcard_match(bare, rk))
            {
                let suffix = if prefix.is_empty() { "" } else { ")" };
                expanded.insert(format!("{prefix}{found}{suffix}"), v.clone());
                changed = true;
                continue;
            }
            expanded.insert(k.clone(), v.clone());
        }
        new_meta.insert(tag_key.clone(), Value::Object(expanded));
    }
    if !changed {
        return None;
    }
    let mut new_pattern = pattern.clone();
    new_pattern.insert(meta_key.clone(), Value::Object(new_meta));
    Some(new_pattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What a case expects, without the messages.
    #[derive(Debug, PartialEq)]
    enum Is {
        Pass,
        Fail,
        Skip,
    }

    /// Each pattern against `resource`.
    fn check(resource: &Value, cases: &[(Value, Is)]) {
        for (pattern, expected) in cases {
            let got = match match_pattern(resource, pattern) {
                PatternOutcome::Pass => Is::Pass,
                PatternOutcome::Fail { .. } => Is::Fail,
                PatternOutcome::Skip(_) => Is::Skip,
            };
            assert_eq!(&got, expected, "{pattern}");
        }
    }

    #[test]
    fn plain_and_list_patterns() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "nginx:1"}, {"name": "b", "image": "x:latest"}]}});
        assert_eq!(match_pattern(&pod, &json!({"spec": {"containers": [{"image": "!*:latest"}]}})),
            PatternOutcome::Fail { path: "/spec/containers/1/image/".into(), message: "resource value 'x:latest' does not match '!*:latest' at path /spec/containers/1/image/".into() });
        check(
            &pod,
            &[
                (json!({"spec": {"containers": [{"name": "?*"}]}}), Is::Pass),
                // a conditional anchor that holds for no element skips
                (
                    json!({"spec": {"containers": [{"(name)": "zzz", "image": "y"}]}}),
                    Is::Skip,
                ),
                // ... and applies to the elements where it holds
                (
                    json!({"spec": {"containers": [{"(name)": "b", "image": "!*:latest"}]}}),
                    Is::Fail,
                ),
                (
                    json!({"spec": {"containers": [{"(name)": "a", "image": "!*:latest"}]}}),
                    Is::Pass,
                ),
            ],
        );
    }

    #[test]
    fn anchors() {
        let pod = json!({"metadata": {"labels": {"app.kubernetes.io/name": "x"}}, "spec": {"hostNetwork": false, "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}});
        check(
            &pod,
            &[
                (json!({"spec": {"=(hostNetwork)": false}}), Is::Pass),
                (json!({"spec": {"=(hostPID)": false}}), Is::Pass),
                (
                    json!({"spec": {"=(volumes)": [{"X(hostPath)": "null"}]}}),
                    Is::Fail,
                ),
                (
                    json!({"spec": {"<(hostNetwork)": true, "volumes": [{"name": "zzz"}]}}),
                    Is::Skip,
                ),
                (json!({"spec": {"^(volumes)": [{"name": "v"}]}}), Is::Pass),
                (json!({"spec": {"^(volumes)": [{"name": "w"}]}}), Is::Fail),
                (
                    json!({"metadata": {"labels": {"app.kubernetes.io/*": "?*"}}}),
                    Is::Pass,
                ),
                (json!({"metadata": {"labels": {"team": "?*"}}}), Is::Fail),
            ],
        );
    }
}
