//! Gatekeeper load errors point at the offending field: the line and
//! column where it is written (or, for a missing field, the closest
//! enclosing one), not where the object starts.
//!
//! The templates and constraints of the bad-input suite state their exact
//! message and position in `tests/bad_input/{templates,constraints}/*.expected`
//! (compared by `tests/bad_input.rs`); this file covers what needs the
//! Gatekeeper library's own template.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use palisade_admission::gatekeeper::load_manifests;
use palisade_core::manifest::load_str;

/// Parameters that do not fit the template's schema (found when the
/// constraint is bound to the Gatekeeper library's `allowedrepos` template)
/// point at the parameter.
#[test]
fn parameter_errors_point_at_the_parameter() {
    let Some(corpus) = palisade_testkit::corpus("admission/gatekeeper/general/allowedrepos") else {
        return;
    };
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
