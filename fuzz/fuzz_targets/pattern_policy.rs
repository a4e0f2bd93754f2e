//! Pattern-policy loading never panics; every policy that loads is then
//! evaluated on a few fixed objects without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_admission::pattern::PatternRequest;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let load = palisade_admission::pattern::load_str("fuzz.yaml", &text);
    for e in &load.errors {
        let _ = e.to_string();
    }
    if load.policies.is_empty() {
        return;
    }
    let objects = [
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
               "spec": {"containers": [{"name": "c", "image": "nginx:latest", "securityContext": {"privileged": true}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "r.io/a@sha256:00", "resources": {"limits": {"cpu": "1"}}}]}}}}),
        json!({"kind": "Namespace", "metadata": {"name": "n", "labels": null}}),
    ];
    for object in &objects {
        let request = PatternRequest::create(object);
        for policy in &load.policies {
            if policy.applies_to(&request) {
                let _ = policy.evaluate(&request);
            }
        }
    }
});
