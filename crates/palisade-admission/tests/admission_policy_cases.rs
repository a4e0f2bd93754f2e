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
use serde::Deserialize;
use serde_json::Value as Json;

/// The `cases` of an `AdmissionCases` document.
#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

/// One request and what the policy set answers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// A manifest, reviewed as a CREATE.
    object: Option<Json>,
    /// An AdmissionRequest.
    request: Option<Json>,
    allowed: bool,
    /// The status message of a denial.
    message: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

impl Case {
    fn request(&self) -> Result<AdmissionRequest, String> {
        match (&self.object, &self.request) {
            (Some(o), None) => AdmissionRequest::from_object(o.clone()).map_err(|e| e.to_string()),
            (None, Some(r)) => AdmissionRequest::from_json(r).map_err(|e| e.to_string()),
            _ => Err("give `object` or `request`".into()),
        }
    }
}

/// The failures of the cases in one file.
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
            (_, Some("AdmissionCases")) => match Cases::deserialize(&m.object) {
                Ok(c) => cases.extend(c.cases),
                Err(e) => return vec![format!("{}: AdmissionCases: {e}", path.display())],
            },
            _ => context.add_object(m.object.clone()),
        }
    }
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    let mut failures = Vec::new();
    for case in &cases {
        let name = &case.name;
        let request = match case.request() {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {name}: {e}", path.display()));
                continue;
            }
        };
        let response = policies.review(&request, &context);
        let message = response.status.as_ref().map(|s| s.message.as_str());
        if response.allowed != case.allowed
            || (!case.allowed && message != case.message.as_deref())
            || response.warnings != case.warnings
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
