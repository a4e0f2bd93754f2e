//! What the Kyverno policy targets (`pattern_policy`, `mutate_policy`)
//! share: the input loaded as policies with every error rendered, and the
//! fixed objects each loaded policy then runs on (a privileged Pod with a
//! hostPath volume, a Deployment with a digest image and limits, a
//! Namespace with null labels).

use std::fmt::Display;

use serde_json::{Value, json};

/// The policies `load` makes of the input (read as lossy UTF-8), after
/// rendering each of its errors; `None` when none loaded.
pub fn policies<P, E: Display>(
    data: &[u8],
    load: impl FnOnce(&str) -> (Vec<P>, Vec<E>),
) -> Option<Vec<P>> {
    let (policies, errors) = load(&String::from_utf8_lossy(data));
    for e in &errors {
        let _ = e.to_string();
    }
    (!policies.is_empty()).then_some(policies)
}

/// The objects, in a fixed order.
pub fn objects() -> [Value; 3] {
    [
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
               "spec": {"containers": [{"name": "c", "image": "nginx:latest", "securityContext": {"privileged": true}}],
                        "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "r.io/a@sha256:00", "resources": {"limits": {"cpu": "1"}}}]}}}}),
        json!({"kind": "Namespace", "metadata": {"name": "n", "labels": null}}),
    ]
}
