//! The Pod the mutation benchmarks and the mutation profile driver run the
//! remediation pack on.

use serde_json::{Value, json};

/// A Pod as people write it before hardening: two containers and an init
/// container without security contexts, one of them privileged.
pub fn unhardened_pod() -> Value {
    let app = |name: &str| {
        json!({"name": name, "image": format!("ghcr.io/example/{name}:2"),
               "ports": [{"containerPort": 8080}],
               "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}})
    };
    let mut proxy = app("proxy");
    if let Some(c) = proxy.as_object_mut() {
        c.insert("securityContext".to_owned(), json!({"privileged": true}));
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"initContainers": [app("migrate")], "containers": [app("web"), proxy],
                 "volumes": [{"name": "cache", "emptyDir": {}}]}
    })
}
