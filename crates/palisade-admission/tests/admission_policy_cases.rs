#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! ValidatingAdmissionPolicy cases written from the Kubernetes
//! documentation and API reference, data-driven: each file under
//! `tests/vap/` holds policies, bindings, cluster objects (Namespaces,
//! parameter objects) and one `AdmissionCases` document listing requests
//! (`object:` a manifest reviewed as a CREATE, or `request:` an
//! AdmissionRequest) with the expected `allowed`, status `message` and
//! `warnings`.

use std::path::Path;

use palisade_admission::cel::admission_policy;
use palisade_admission::{AdmissionRequest, Context, PolicySet};
use palisade_core::manifest;
use serde_json::Value as Json;

fn run_file(path: &Path) -> Vec<String> {
    let report = manifest::load_file(path);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let loaded = admission_policy::load_manifests(&report.objects);
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        loaded.errors
    );
    let mut policies = PolicySet::new();
    for p in loaded.policies {
        policies.add(p);
    }
    let mut context = Context::new();
    let mut cases = Vec::new();
    for m in &report.objects {
        match (m.api_version(), m.kind()) {
            (Some("admissionregistration.k8s.io/v1"), _) => {}
            (_, Some("AdmissionCases")) => {
                cases.extend(m.object["cases"].as_array().unwrap().clone())
            }
            _ => context.add_object(m.object.clone()),
        }
    }
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let request = match (case.get("object"), case.get("request")) {
            (Some(o), None) => AdmissionRequest::from_object(o.clone()).unwrap(),
            (None, Some(r)) => AdmissionRequest::from_json(r).unwrap(),
            _ => panic!("{name}: give `object` or `request`"),
        };
        let response = policies.review(&request, &context);
        let message = response.status.as_ref().map(|s| s.message.as_str());
        let expected_allowed = case["allowed"].as_bool().unwrap();
        let expected_message = case.get("message").and_then(Json::as_str);
        let expected_warnings: Vec<&str> = case
            .get("warnings")
            .and_then(Json::as_array)
            .map(|w| w.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if response.allowed != expected_allowed
            || (!expected_allowed && message != expected_message)
            || response.warnings != expected_warnings
        {
            failures.push(format!(
                "{}: {name}: got allowed={} message={message:?} warnings={:?}",
                path.display(),
                response.allowed,
                response.warnings
            ));
        }
    }
    failures
}

#[test]
fn validating_admission_policy_cases_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vap");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    let failures: Vec<String> = files.iter().flat_map(|f| run_file(f)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
