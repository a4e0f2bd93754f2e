//! Finding the pod (metadata and spec) inside an object: a Pod itself, or
//! the pod template of a workload, as Pod Security Admission does.

use serde_json::Value;

use super::fields::{PodView, field};

/// The kinds whose pod template Pod Security Admission evaluates, besides `Pod`.
pub const WORKLOAD_KINDS: [&str; 8] = [
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];

static NULL: Value = Value::Null;

/// `true` when `kind` is `Pod` or one of [`WORKLOAD_KINDS`].
pub fn has_pod_spec(kind: &str) -> bool {
    kind == "Pod" || WORKLOAD_KINDS.contains(&kind)
}

/// The pod inside `object`: its metadata and spec for a `Pod`, its pod
/// template for a workload. `None` when the kind holds no pod or the
/// template is missing (PSA then allows the object without evaluating it).
pub fn pod_view(object: &Value) -> Option<PodView<'_>> {
    let kind = object.get("kind")?.as_str()?;
    let template = match kind {
        "Pod" => object,
        "PodTemplate" => field(object, "template")?,
        "CronJob" => field(
            field(field(field(object, "spec")?, "jobTemplate")?, "spec")?,
            "template",
        )?,
        k if WORKLOAD_KINDS.contains(&k) => field(field(object, "spec")?, "template")?,
        _ => return None,
    };
    Some(PodView {
        metadata: field(template, "metadata").unwrap_or(&NULL),
        spec: field(template, "spec").unwrap_or(&NULL),
    })
}

/// PSA's test for a pod update that needs evaluation: the number of
/// containers or init containers changed, an image changed, or an
/// ephemeral container was added or changed its image.
pub fn is_significant_pod_update(pod: &Value, old: &Value) -> bool {
    let spec = |v: &'_ Value| field(v, "spec").cloned().unwrap_or(Value::Null);
    let (new_spec, old_spec) = (spec(pod), spec(old));
    let list = |s: &Value, key: &str| -> Vec<Value> {
        field(s, key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let image = |c: &Value| {
        c.get("image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let name = |c: &Value| {
        c.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    for key in ["containers", "initContainers"] {
        let (new, old) = (list(&new_spec, key), list(&old_spec, key));
        if new.len() != old.len() || new.iter().zip(&old).any(|(a, b)| image(a) != image(b)) {
            return true;
        }
    }
    let old_ephemeral = list(&old_spec, "ephemeralContainers");
    list(&new_spec, "ephemeralContainers").iter().any(|c| {
        old_ephemeral
            .iter()
            .find(|o| name(o) == name(c))
            .is_none_or(|o| image(o) != image(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_are_found() {
        let cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": true}}}}}});
        assert_eq!(pod_view(&cron).unwrap().spec["hostPID"], true);
        let deploy = json!({"kind": "Deployment", "spec": {"template": {"metadata": {"name": "x"}, "spec": {}}}});
        assert_eq!(pod_view(&deploy).unwrap().metadata["name"], "x");
        assert!(pod_view(&json!({"kind": "ReplicationController", "spec": {}})).is_none());
        assert!(pod_view(&json!({"kind": "Service"})).is_none());
    }

    #[test]
    fn only_image_and_container_changes_are_significant() {
        let pod = |image: &str, labels: &str| json!({"metadata": {"labels": {"a": labels}}, "spec": {"containers": [{"name": "c", "image": image}]}});
        assert!(!is_significant_pod_update(&pod("a", "x"), &pod("a", "y")));
        assert!(is_significant_pod_update(&pod("b", "x"), &pod("a", "x")));
    }
}
