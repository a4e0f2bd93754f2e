//! CEL policy loading and evaluation never panic or hang: the input is
//! read as YAML documents (ValidatingAdmissionPolicies with bindings, Kyverno
//! ValidatingPolicies, Gatekeeper `K8sNativeValidation` templates with
//! constraints), everything that loads is evaluated on a few fixed requests
//! (the cost limit refuses runaway expressions); and the input's first line
//! is also compiled as one CEL expression and evaluated on a Pod.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_admission::cel::{Environment, admission_policy, kyverno_policy, request};
use palisade_admission::{AdmissionRequest, Context, PolicySet};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let objects = [
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
               "spec": {"containers": [{"name": "c", "image": "nginx:latest", "securityContext": {"privileged": true}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
               "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "c", "image": "r.io/a@sha256:00"}]}}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": "default"},
               "data": {"a": "1", "b": "2"}}),
    ];
    let requests: Vec<AdmissionRequest> = objects
        .iter()
        .filter_map(|o| AdmissionRequest::from_object(o.clone()).ok())
        .collect();
    let context = Context::with_objects([json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})]);

    // One expression.
    if let Some(line) = text.lines().next() {
        let env = Environment::new(&["object", "oldObject", "request", "params", "namespaceObject", "variables"]);
        if let (Ok(expression), Some(first)) = (env.compile(line, "fuzz", None), requests.first()) {
            let inputs = request::inputs(first, &context, None);
            let mut activation = cel_core::MapActivation::new();
            activation.insert("object", inputs.object.clone());
            activation.insert("request", inputs.request.clone());
            let _ = expression.evaluate(&activation, inputs.nodes);
        }
    }

    // Whole policies.
    let manifests = palisade_core::manifest::load_str("fuzz.yaml", &text).objects;
    let mut set = PolicySet::new();
    let vap = admission_policy::load_manifests(&manifests);
    for e in &vap.errors {
        let _ = e.to_string();
    }
    for p in vap.policies {
        set.add(p);
    }
    let vpol = kyverno_policy::load_manifests(&manifests);
    for p in vpol.policies {
        set.add(p);
    }
    let gatekeeper = palisade_admission::gatekeeper::load_manifests(&manifests);
    for p in gatekeeper.policies {
        set.add(p);
    }
    for request in &requests {
        let _ = set.review(request, &context);
    }
});
