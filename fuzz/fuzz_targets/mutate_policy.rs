//! Mutate-policy loading never panics; every policy that loads is then
//! applied to a few fixed objects without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_admission::mutate;
use palisade_admission::pattern::PatternRequest;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let load = mutate::load_str("fuzz.yaml", &text);
    for e in &load.errors {
        let _ = e.to_string();
    }
    if load.policies.is_empty() {
        return;
    }
    let objects = [
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
               "spec": {"containers": [{"name": "c", "image": "nginx:latest", "securityContext": {"privileged": true}}],
                        "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "r.io/a@sha256:00"}]}}}}),
        json!({"kind": "Namespace", "metadata": {"name": "n", "labels": null}}),
    ];
    for object in &objects {
        let outcome = mutate::mutate(&load.policies, &PatternRequest::create(object));
        for r in &outcome.rules {
            let _ = r.to_string();
        }
    }
});
