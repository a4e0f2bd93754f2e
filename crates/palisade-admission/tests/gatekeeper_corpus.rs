//! Every case of every template's `suite.yaml` in the Gatekeeper library
//! corpus, through the suite runner (the same path as `palisade admission
//! verify`). The only failures allowed are the regorus divergences listed
//! in `docs/admission.md`, and exactly those must fail.

use std::path::Path;

use palisade_admission::suite;

/// Cases that fail only because regorus differs from OPA, as
/// `suite-dir/test/case`; each is documented in `docs/admission.md`.
const KNOWN_DIVERGENCES: &[&str] = &[
    // An undefined reference in the arguments of a negated call: OPA
    // evaluates it before the `not` (the body fails), regorus inside it
    // (the `not` succeeds).
    "pod-security-policy/users/users-and-groups-together/example-allowed",
];

#[test]
fn every_gatekeeper_library_case_passes() {
    let Some(root) = palisade_testkit::corpus("admission/gatekeeper") else {
        return;
    };
    let report = suite::run_paths(&[&root]);
    assert!(
        report.errors.is_empty(),
        "unreadable suites: {:#?}",
        report.errors
    );
    assert_eq!(report.skipped(), 0, "the corpus has no skipped cases");
    let mut failed: Vec<String> = Vec::new();
    let mut details: Vec<String> = Vec::new();
    for case in report.cases.iter().filter(|c| !c.passed) {
        let dir = Path::new(&case.suite)
            .parent()
            .and_then(|p| p.strip_prefix(&root).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let name = format!("{dir}/{}/{}", case.test, case.case);
        details.push(format!("{name}: {}", case.detail));
        failed.push(name);
    }
    let total = report.cases.len();
    eprintln!(
        "gatekeeper corpus: {} of {total} cases pass, {} fail",
        report.passed(),
        report.failed()
    );
    assert_eq!(total, 200, "the corpus README counts 200 cases");
    let mut expected: Vec<String> = KNOWN_DIVERGENCES.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    failed.sort();
    assert!(
        failed == expected,
        "failing cases differ from the documented divergences.\nfailing:\n{}\nexpected failures: {expected:?}",
        details.join("\n")
    );
}
