//! `patchStrategicMerge` with Kyverno's anchors, on plain JSON.
//!
//! Maps merge key by key; a list of maps whose patch elements all carry a
//! `name` merges element by element on `name` (the merge key of the Pod
//! fields Kyverno policies patch: containers, volumes, env,
//! imagePullSecrets); a patch element with conditional anchors applies to
//! every element of the resource's list that satisfies them; any other
//! list or scalar replaces the resource's value.
//!
//! Anchors: `(key)` the sibling keys apply only when the resource's value
//! matches; `<(key)` the whole rule is skipped when it does not;
//! `=(key)` when present the value must match; `X(key)` the key must be
//! absent; `+(key)` the value is added only when the key is absent.

use serde_json::{Map, Value};

use crate::pattern::anchor::{self, AnchorKind};
use crate::pattern::{PatternOutcome, match_pattern};

/// Why a patch did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A conditional anchor did not hold here: leave this part unchanged.
    Local,
    /// A global anchor did not hold: the rule does not apply at all.
    Global,
}

/// The patch value with every anchored key removed, for adding where the
/// resource has nothing (anchors that test the resource are dropped,
/// `+(key)` becomes `key`).
pub fn strip_anchors(patch: &Value) -> Value {
    match patch {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                match anchor::parse(k) {
                    None => {
                        out.insert(k.clone(), strip_anchors(v));
                    }
                    Some(a) if a.kind == AnchorKind::AddIfNotPresent => {
                        out.insert(a.key.to_owned(), strip_anchors(v));
                    }
                    Some(_) => {}
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strip_anchors).collect()),
        other => other.clone(),
    }
}

fn matches(resource: &Value, pattern: &Value) -> bool {
    matches!(match_pattern(resource, pattern), PatternOutcome::Pass)
}

/// Checks the anchors of one map of the patch against the resource's map.
fn check_anchors(
    resource: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
) -> Result<(), Skip> {
    for (k, v) in patch {
        let Some(a) = anchor::parse(k) else { continue };
        let have = resource.and_then(|r| r.get(a.key));
        let ok = match a.kind {
            AnchorKind::Condition | AnchorKind::Existence => {
                have.is_some_and(|h| anchored_matches(h, v))
            }
            AnchorKind::Equality => have.is_none_or(|h| anchored_matches(h, v)),
            AnchorKind::Negation => have.is_none(),
            AnchorKind::Global => {
                if have.is_some_and(|h| anchored_matches(h, v)) {
                    true
                } else {
                    return Err(Skip::Global);
                }
            }
            AnchorKind::AddIfNotPresent => true,
        };
        if !ok {
            return Err(Skip::Local);
        }
    }
    Ok(())
}

/// Whether the resource's value satisfies an anchor's value: nested maps
/// are checked by their own anchors and plain keys as patterns.
fn anchored_matches(have: &Value, pattern: &Value) -> bool {
    match pattern {
        Value::Object(p) => {
            let Some(h) = have.as_object() else {
                return false;
            };
            if check_anchors(Some(h), p).is_err() {
                return false;
            }
            p.iter().all(|(k, v)| match anchor::parse(k) {
                Some(_) => true,
                None => h.get(k).is_some_and(|hv| anchored_matches(hv, v)),
            })
        }
        _ => matches(have, pattern),
    }
}

/// Merges `patch` into `resource` (absent: `None`). `Err(Skip::Global)`
/// stops the whole rule; a local skip leaves this part as it was.
pub fn merge(resource: Option<&Value>, patch: &Value) -> Result<Value, Skip> {
    let mut out = resource.cloned().unwrap_or(Value::Null);
    merge_into(&mut out, resource.is_some(), patch)?;
    Ok(out)
}

/// Merges `patch` into `target`; `present` is false when the resource has
/// nothing there (`target` is then a placeholder). A local skip is always
/// decided before anything at its level changes, so it leaves `target` as
/// it was.
fn merge_into(target: &mut Value, present: bool, patch: &Value) -> Result<(), Skip> {
    match patch {
        Value::Object(p) => {
            check_anchors(if present { target.as_object() } else { None }, p)?;
            if !present || !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let Value::Object(out) = target else {
                return Ok(());
            };
            for (k, v) in p {
                match anchor::parse(k) {
                    Some(a) if a.kind == AnchorKind::AddIfNotPresent => {
                        if !out.contains_key(a.key) {
                            out.insert(a.key.to_owned(), strip_anchors(v));
                        }
                    }
                    Some(a)
                        if a.kind == AnchorKind::Condition || a.kind == AnchorKind::Equality =>
                    {
                        // The anchor's own map may carry changes below
                        // its conditions (`(securityContext): {+(x): y}`).
                        if let Some(have) = out.get_mut(a.key)
                            && v.is_object()
                        {
                            match merge_into(have, true, v) {
                                Ok(()) | Err(Skip::Local) => {}
                                Err(Skip::Global) => return Err(Skip::Global),
                            }
                        }
                    }
                    Some(_) => {}
                    None => match out.get_mut(k) {
                        Some(current) => match merge_into(current, true, v) {
                            Ok(()) | Err(Skip::Local) => {}
                            Err(Skip::Global) => return Err(Skip::Global),
                        },
                        None => {
                            let mut fresh = Value::Null;
                            match merge_into(&mut fresh, false, v) {
                                Ok(()) => {
                                    out.insert(k.clone(), fresh);
                                }
                                Err(Skip::Local) => {}
                                Err(Skip::Global) => return Err(Skip::Global),
                            }
                        }
                    },
                }
            }
            Ok(())
        }
        Value::Array(items) => merge_list(target, present, items),
        other => {
            *target = other.clone();
            Ok(())
        }
    }
}

/// Whether a patch value holds a testing anchor (anything but `+(key)`)
/// at any depth.
fn has_anchors_deep(patch: &Value, kinds: &[AnchorKind]) -> bool {
    match patch {
        Value::Object(m) => m.iter().any(|(k, v)| {
            anchor::parse(k).is_some_and(|a| kinds.contains(&a.kind)) || has_anchors_deep(v, kinds)
        }),
        Value::Array(items) => items.iter().any(|v| has_anchors_deep(v, kinds)),
        _ => false,
    }
}

const TESTING: &[AnchorKind] = &[
    AnchorKind::Condition,
    AnchorKind::Global,
    AnchorKind::Equality,
    AnchorKind::Negation,
    AnchorKind::Existence,
];

fn merge_list(target: &mut Value, present: bool, patch: &[Value]) -> Result<(), Skip> {
    let conditional = patch.iter().any(|p| has_anchors_deep(p, TESTING));
    let keyed = !patch.is_empty()
        && patch
            .iter()
            .all(|p| p.as_object().is_some_and(|m| m.contains_key("name")));
    if !conditional && !keyed {
        *target = Value::Array(patch.iter().map(strip_anchors).collect());
        return Ok(());
    }
    let Some(out) = target.as_array_mut().filter(|_| present) else {
        // Nothing to test the anchors on: a global anchor skips the rule,
        // other conditions leave the list absent.
        if patch
            .iter()
            .any(|p| has_anchors_deep(p, &[AnchorKind::Global]))
        {
            return Err(Skip::Global);
        }
        if conditional {
            return Err(Skip::Local);
        }
        *target = Value::Array(patch.iter().map(strip_anchors).collect());
        return Ok(());
    };
    for p in patch {
        let named = p.as_object().is_some_and(|m| m.contains_key("name"));
        if has_anchors_deep(p, TESTING) && !named {
            // Applies to every element that satisfies its anchors; a
            // global anchor that no element satisfies skips the rule. An
            // element whose own global anchor fails keeps what it had.
            let global = has_anchors_deep(p, &[AnchorKind::Global]);
            let mut matched = false;
            for item in out.iter_mut() {
                if global {
                    let mut copy = item.clone();
                    if merge_into(&mut copy, true, p).is_ok() {
                        *item = copy;
                        matched = true;
                    }
                } else if merge_into(item, true, p).is_ok() {
                    matched = true;
                }
            }
            if !matched && global {
                return Err(Skip::Global);
            }
            continue;
        }
        let name = p.get("name");
        match out.iter_mut().find(|item| item.get("name") == name) {
            Some(item) => match merge_into(item, true, p) {
                Ok(()) | Err(Skip::Local) => {}
                Err(Skip::Global) => return Err(Skip::Global),
            },
            None => {
                if !has_anchors_deep(p, TESTING) {
                    out.push(strip_anchors(p));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn add_if_absent_keeps_existing_values() {
        let pod = json!({"metadata": {"labels": {"a": "1"}}});
        let patch = json!({"metadata": {"labels": {"+(a)": "2", "+(b)": "3"}}});
        assert_eq!(
            merge(Some(&pod), &patch).unwrap(),
            json!({"metadata": {"labels": {"a": "1", "b": "3"}}})
        );
    }

    #[test]
    fn conditional_anchor_in_list_patches_matching_elements() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "image": "nginx:latest"}, {"name": "b", "image": "nginx:1"}]}});
        let patch = json!({"spec": {"containers": [
            {"(image)": "*:latest", "imagePullPolicy": "Always"}]}});
        let out = merge(Some(&pod), &patch).unwrap();
        assert_eq!(out["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert!(
            out["spec"]["containers"][1]
                .get("imagePullPolicy")
                .is_none()
        );
    }

    #[test]
    fn global_anchor_skips_the_rule() {
        let pod = json!({"spec": {"a": 1}});
        let patch = json!({"spec": {"<(a)": 2, "b": 3}});
        assert_eq!(merge(Some(&pod), &patch), Err(Skip::Global));
    }

    #[test]
    fn global_anchor_in_a_list_needs_one_matching_element() {
        let patch = json!({"metadata": {"annotations": {"+(a)": "t"}},
                           "spec": {"volumes": [{"hostPath": {"<(path)": "*"}}]}});
        let with = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}},
                                               {"name": "h", "hostPath": {"path": "/x"}}]}});
        let out = merge(Some(&with), &patch).unwrap();
        assert_eq!(out["metadata"]["annotations"]["a"], "t");
        assert_eq!(out["spec"]["volumes"], with["spec"]["volumes"]);
        let without = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
        assert_eq!(merge(Some(&without), &patch), Err(Skip::Global));
    }

    #[test]
    fn conditional_list_patch_does_not_create_the_list() {
        let pod = json!({"spec": {"containers": [{"name": "a"}]}});
        let patch = json!({"spec": {"initContainers": [{"(name)": "*", "env": [{"name": "x"}]}]}});
        assert_eq!(merge(Some(&pod), &patch).unwrap(), pod);
    }

    #[test]
    fn an_empty_list_replaces_the_list() {
        let sc = json!({"capabilities": {"add": ["NET_RAW"], "drop": ["ALL"]}});
        let patch = json!({"capabilities": {"add": []}});
        assert_eq!(
            merge(Some(&sc), &patch).unwrap(),
            json!({"capabilities": {"add": [], "drop": ["ALL"]}})
        );
    }

    #[test]
    fn named_elements_merge_by_name() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let patch = json!({"spec": {"containers": [{"name": "a", "image": "y"}, {"name": "b"}]}});
        assert_eq!(
            merge(Some(&pod), &patch).unwrap(),
            json!({"spec": {"containers": [{"name": "a", "image": "y"}, {"name": "b"}]}})
        );
    }
}
