#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Gatekeeper load errors point at the offending field: the line and
//! column where it is written (or, for a missing field, the closest
//! enclosing one), not where the object starts.

use std::path::{Path, PathBuf};

use palisade_admission::gatekeeper::load_manifests;
use palisade_core::manifest::load_str;

fn bad_input() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

/// The location and message of the first error loading `case` with the
/// fixture `with` (both files of the bad-input suite).
fn first_error(case: &Path, with: &str) -> String {
    let text = std::fs::read_to_string(case).unwrap();
    let name = case.file_name().unwrap().to_str().unwrap();
    let fixture = std::fs::read_to_string(bad_input().join("fixtures").join(with)).unwrap();
    let mut manifests = load_str(name, &text).objects;
    manifests.extend(load_str(with, &fixture).objects);
    let loaded = load_manifests(&manifests);
    loaded
        .errors
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn template_errors_point_at_the_field() {
    let dir = bad_input().join("templates");
    for (case, expected) in [
        (
            "01_no_rego.yaml",
            "01_no_rego.yaml:11:7: invalid ConstraintTemplate `k8srequiredlabels`: `spec.targets[0].rego` is missing",
        ),
        (
            "11_kind_number.yaml",
            "11_kind_number.yaml:9:9: invalid ConstraintTemplate `k8srequiredlabels`: `spec.crd.spec.names.kind` is missing",
        ),
        (
            "18_two_targets.yaml",
            "18_two_targets.yaml:15:7: ConstraintTemplate `k8srequiredlabels` is not supported: more than one entry in `spec.targets`",
        ),
        (
            "19_libs_not_list.yaml",
            "19_libs_not_list.yaml:12:7: invalid ConstraintTemplate `k8srequiredlabels`: `spec.targets[0].libs` is not a list",
        ),
        (
            "06_wrong_target.yaml",
            "06_wrong_target.yaml:11:7: ConstraintTemplate `k8srequiredlabels` is not supported: target `something.else`; only `admission.k8s.gatekeeper.sh` is supported",
        ),
    ] {
        assert_eq!(first_error(&dir.join(case), "constraint.yaml"), expected);
    }
    // A module that does not compile points at its `rego` field.
    let error = first_error(&dir.join("07_no_package.yaml"), "constraint.yaml");
    assert!(
        error.starts_with("07_no_package.yaml:12:7: rego of ConstraintTemplate `k8srequiredlabels` does not compile:"),
        "{error}"
    );
}

#[test]
fn constraint_errors_point_at_the_field() {
    let dir = bad_input().join("constraints");
    for (case, expected) in [
        (
            "01_unknown_kind.yaml",
            "01_unknown_kind.yaml:2:1: constraint `c` has kind `NoSuchTemplate`, which no loaded ConstraintTemplate defines",
        ),
        (
            "06_bad_action.yaml",
            "06_bad_action.yaml:6:3: invalid constraint `c`: `spec.enforcementAction` `explode` is not deny, warn or dryrun",
        ),
        (
            "09_bad_selector_operator.yaml",
            "09_bad_selector_operator.yaml:10:11: invalid constraint `c`: `spec.match.labelSelector.matchExpressions[0].operator` `Sometimes` is not In, NotIn, Exists or DoesNotExist",
        ),
        (
            "19_expression_values_not_list.yaml",
            "19_expression_values_not_list.yaml:11:11: invalid constraint `c`: `spec.match.namespaceSelector.matchExpressions[0].values` is not a list",
        ),
        (
            "22_spec_string.yaml",
            "22_spec_string.yaml:5:1: invalid constraint `c`: `spec` is not a mapping",
        ),
    ] {
        assert_eq!(first_error(&dir.join(case), "template.yaml"), expected);
    }
}

/// Parameters that do not fit the template's schema (found when the
/// constraint is bound to the Gatekeeper library's `allowedrepos` template)
/// point at the parameter.
#[test]
fn parameter_errors_point_at_the_parameter() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/admission/gatekeeper/general/allowedrepos");
    let template = std::fs::read_to_string(corpus.join("template.yaml")).unwrap();
    let constraint = std::fs::read_to_string(
        corpus.join("samples/repo-must-be-openpolicyagent/constraint.yaml"),
    )
    .unwrap();
    let constraint = constraint.replace(
        "- \"openpolicyagent/\"",
        "- \"openpolicyagent/\"\n      - 3",
    );
    let mut manifests = load_str("template.yaml", &template).objects;
    manifests.extend(load_str("constraint.yaml", &constraint).objects);
    let loaded = load_manifests(&manifests);
    let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "constraint.yaml:15:9: invalid constraint `repo-is-openpolicyagent`: `spec.parameters.repos[1]` must be string, not integer"
        ]
    );
}
