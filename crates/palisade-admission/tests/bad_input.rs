//! Bad-input suites of the admission layer: every malformed
//! ConstraintTemplate, constraint, pattern policy and AdmissionReview under
//! `tests/bad_input/<kind>/` gives the error in its `<case>.expected` file
//! (the file with line and column, or the field at fault), and nothing
//! panics.

use palisade_admission::AdmissionReview;
use palisade_admission::gatekeeper::load_manifests;
use palisade_core::Manifest;
use palisade_core::manifest::{load_reader, load_str};
use palisade_testkit::bad_input::{self, Case};

/// The case's first error: as a manifest file, or else the first that
/// `load` finds in its objects.
fn manifest_error(
    case: &Case<'_>,
    load: impl FnOnce(Vec<Manifest>) -> Option<String>,
) -> Option<String> {
    let report = load_reader(&case.path_str(), case.bytes);
    match report.errors.first() {
        Some(e) => Some(e.to_string()),
        None => load(report.objects),
    }
}

/// Loads the case as a Gatekeeper file beside `with` (the suite's template
/// or constraint): the first error, if any.
fn gatekeeper_error(case: &Case<'_>, with: &str) -> Option<String> {
    manifest_error(case, |mut manifests| {
        manifests.extend(load_str("fixture.yaml", with).objects);
        load_manifests(&manifests)
            .errors
            .first()
            .map(ToString::to_string)
    })
}

/// The bad-input suite in `dir`, each case loaded beside `with`.
fn gatekeeper_suite(dir: &str, with: &str) {
    bad_input::run(dir, |case| gatekeeper_error(case, with));
}

const TEMPLATE: &str = include_str!("bad_input/fixtures/template.yaml");
const CONSTRAINT: &str = include_str!("bad_input/fixtures/constraint.yaml");

#[test]
fn bad_templates_are_errors_with_positions() {
    gatekeeper_suite("tests/bad_input/templates", CONSTRAINT);
}

/// CEL (`K8sNativeValidation`) templates: syntax errors, type errors,
/// unknown variables and functions, malformed entries, each located at
/// its field and inside the expression.
#[test]
fn bad_cel_templates_are_errors_with_positions() {
    gatekeeper_suite("tests/bad_input/cel_templates", CONSTRAINT);
}

#[test]
fn bad_constraints_are_errors_with_positions() {
    gatekeeper_suite("tests/bad_input/constraints", TEMPLATE);
}

/// ValidatingAdmissionPolicies and bindings: malformed fields, expressions
/// that do not compile, bindings naming a missing policy or lacking the
/// `paramRef` their policy needs; each located.
#[test]
fn bad_admission_policies_are_errors_with_positions() {
    bad_input::run("tests/bad_input/admission_policies", |case| {
        manifest_error(case, |manifests| {
            palisade_admission::cel::admission_policy::load_manifests(&manifests)
                .errors
                .first()
                .map(ToString::to_string)
        })
    });
}

#[test]
fn bad_pattern_policies_are_errors_with_positions() {
    bad_input::run("tests/bad_input/patterns", |case| {
        let load = palisade_admission::pattern::load_file(case.path);
        load.errors.first().map(ToString::to_string)
    });
}

#[test]
fn bad_admission_reviews_are_errors_naming_the_field() {
    bad_input::run("tests/bad_input/reviews", |case| {
        AdmissionReview::from_json_slice(case.bytes)
            .err()
            .map(|e| e.to_string())
    });
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
