//! Kyverno's autogen, the parts its policy formats share: the Pod
//! controllers a rule written for Pods also covers, where each keeps its Pod
//! template, and a controller seen as that template (what a rule's
//! expressions see in place of the controller).

use serde_json::Value;

/// The Pod controllers Kyverno generates rules for by default.
pub const POD_CONTROLLERS: [&str; 7] = [
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "CronJob",
];

/// The JSON pointer of a controller's Pod template: under the job template
/// for a CronJob, under `spec` for the others.
fn template_pointer(cronjob: bool) -> &'static str {
    if cronjob {
        "/spec/jobTemplate/spec/template"
    } else {
        "/spec/template"
    }
}

/// The controller `object` with its Pod template's `metadata` and `spec` in
/// place of its own; `None` when it has no template there.
pub(crate) fn with_template(object: &Value, cronjob: bool) -> Option<Value> {
    let template = object.pointer(template_pointer(cronjob))?;
    let mut out = object.clone();
    let map = out.as_object_mut()?;
    for key in ["metadata", "spec"] {
        map.insert(
            key.to_owned(),
            template.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_controller_is_seen_as_its_pod_template() {
        let cron = json!({"kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}}});
        let seen = with_template(&cron, true).unwrap();
        assert_eq!(seen["metadata"], json!({"labels": {"a": "b"}}));
        assert_eq!(seen["spec"], json!({"containers": []}));
        assert_eq!(seen["kind"], "CronJob");
        let deployment = json!({"kind": "Deployment", "spec": {"template": {"spec": {"x": 1}}}});
        let seen = with_template(&deployment, false).unwrap();
        assert_eq!(seen["metadata"], Value::Null);
        assert_eq!(seen["spec"], json!({"x": 1}));
        assert_eq!(with_template(&deployment, true), None);
    }
}
