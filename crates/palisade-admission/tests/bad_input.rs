#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Bad-input suites of the admission layer: every malformed
//! ConstraintTemplate, constraint, pattern policy and AdmissionReview under
//! `tests/bad_input/<kind>/` gives an error that names the file (with line)
//! or the field at fault, and nothing panics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use palisade_admission::AdmissionReview;
use palisade_admission::gatekeeper::load_manifests;
use palisade_core::manifest::load_str;

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_input")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{kind}: only {} cases", files.len());
    files
}

fn run(
    kind: &str,
    check: impl Fn(&str, &[u8]) -> Option<String>,
    names_place: impl Fn(&str, &str) -> bool,
) {
    let mut failures = Vec::new();
    let files = cases(kind);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        match catch_unwind(AssertUnwindSafe(|| check(&name, &bytes))) {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(None) => failures.push(format!("{name}: accepted")),
            Ok(Some(message)) if !names_place(&name, &message) => {
                failures.push(format!("{name}: error does not say where: {message}"));
            }
            Ok(Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{kind}: {} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// `name:line` appears in the message.
fn names_file_line(name: &str, message: &str) -> bool {
    message
        .split(&format!("{name}:"))
        .nth(1)
        .is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Loads `text` (named `name`) with the template and constraint of the
/// suite, as Gatekeeper files: the first error, if any.
fn gatekeeper_error(name: &str, text: &str, with: &str) -> Option<String> {
    let report = load_str(name, text);
    if let Some(e) = report.errors.first() {
        return Some(e.to_string());
    }
    let mut manifests = report.objects;
    manifests.extend(load_str("fixture.yaml", with).objects);
    let loaded = load_manifests(&manifests);
    if let Some(e) = loaded.errors.first() {
        return Some(e.to_string());
    }
    if loaded.policies.is_empty() {
        return Some(format!("{name}:1: no constraint bound to a template"));
    }
    None
}

const TEMPLATE: &str = include_str!("bad_input/fixtures/template.yaml");
const CONSTRAINT: &str = include_str!("bad_input/fixtures/constraint.yaml");

#[test]
fn bad_templates_are_errors_with_positions() {
    run(
        "templates",
        |name, bytes| match std::str::from_utf8(bytes) {
            Err(e) => Some(format!("{name}:1: invalid UTF-8: {e}")),
            Ok(text) => gatekeeper_error(name, text, CONSTRAINT),
        },
        names_file_line,
    );
}

#[test]
fn bad_constraints_are_errors_with_positions() {
    run(
        "constraints",
        |name, bytes| match std::str::from_utf8(bytes) {
            Err(e) => Some(format!("{name}:1: invalid UTF-8: {e}")),
            Ok(text) => gatekeeper_error(name, text, TEMPLATE),
        },
        names_file_line,
    );
}

#[test]
fn bad_pattern_policies_are_errors_with_positions() {
    run(
        "patterns",
        |name, bytes| match std::str::from_utf8(bytes) {
            Err(e) => Some(format!("{name}:1: invalid UTF-8: {e}")),
            Ok(text) => {
                let load = palisade_admission::pattern::load_str(name, text);
                load.errors.first().map(ToString::to_string)
            }
        },
        names_file_line,
    );
}

#[test]
fn bad_admission_reviews_are_errors_naming_the_field() {
    run(
        "reviews",
        |name, bytes| match std::str::from_utf8(bytes) {
            Err(e) => Some(format!("invalid UTF-8 at byte {}", e.valid_up_to())),
            Ok(text) => AdmissionReview::from_json_str(text)
                .err()
                .map(|e| format!("{name}: {e}")),
        },
        |_, message| message.contains('`') || message.contains("line") || message.contains("byte"),
    );
}

/// Inputs that look wrong but that Gatekeeper or Kyverno accept stay
/// accepted, with their semantics (see `docs/limits.md`, "accepted as
/// upstream").
#[test]
fn inputs_upstream_accepts_stay_accepted() {
    use palisade_admission::gatekeeper::Constraint;
    use palisade_admission::{AdmissionRequest, Context};

    // No `request.uid`: controller-runtime's webhook (Gatekeeper) and gator
    // review it; Gatekeeper's own library samples have none.
    let review = AdmissionReview::from_json_str(
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "operation": "CREATE", "object": {"kind": "Pod"}}}"#,
    )
    .unwrap();
    assert_eq!(review.request.uid, "");

    // Duplicate keys: Go's JSON decoding keeps the last one, so do we.
    let review = AdmissionReview::from_json_str(
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "first", "uid": "last",
                        "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "name": "a", "name": "b", "object": {"kind": "Pod"}}}"#,
    )
    .unwrap();
    assert_eq!(
        (review.request.uid.as_str(), review.request.name.as_str()),
        ("last", "b")
    );

    // An unknown `match.scope` is matched as `*` by Gatekeeper ("this
    // includes invalid scopes, such as typos"); its schema has no enum.
    let constraint = |scope: &str| {
        Constraint::from_json(
            &serde_json::json!({
                "apiVersion": "constraints.gatekeeper.sh/v1beta1",
                "kind": "K8sRequiredLabels",
                "metadata": {"name": "c"},
                "spec": {"match": {"scope": scope}},
            }),
            None,
        )
        .unwrap()
    };
    let context = Context::new();
    for object in [
        serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}}),
        serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}),
    ] {
        let request = AdmissionRequest::from_object(object).unwrap();
        assert_eq!(
            constraint("cluster").matcher().matches(&request, &context),
            constraint("*").matcher().matches(&request, &context),
        );
        assert!(
            constraint("Namespace")
                .matcher()
                .matches(&request, &context)
        );
    }

    // `rules: []`: Kyverno's schema and validation allow a policy without
    // rules; it applies to nothing.
    let load = palisade_admission::pattern::load_str(
        "empty.yaml",
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: p\nspec:\n  rules: []\n",
    );
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    assert_eq!(load.policies.len(), 1);
    assert!(load.policies[0].rules.is_empty());
}
