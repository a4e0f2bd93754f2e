//! Kyverno `ClusterPolicy` rules with `validate.cel` (`kyverno-cel/`)
//! through the `kyverno test` runner: at least 98% of the visible results
//! agree, and the ones that do not are exactly the documented list (also
//! in `docs/admission.md`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::Path;

use palisade_admission::kyverno_test;

/// Cases where this engine and `kyverno test` disagree, each explained in
/// `docs/admission.md`.
const KNOWN_DISAGREEMENTS: &[&str] = &[];

#[test]
fn cel_rules_agree_with_kyverno() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno-cel") else {
        return;
    };
    let files = kyverno_test::find_test_files(&[&root]);
    assert_eq!(files.len(), 89, "test file count changed");
    let mut total = 0usize;
    let mut disagreements = Vec::new();
    for file in &files {
        let cases = kyverno_test::run_test_file(file).unwrap_or_else(|e| panic!("{e}"));
        for case in cases {
            total += 1;
            if !case.passed() {
                let rel = Path::new(&case.suite)
                    .strip_prefix(&root)
                    .map(|p| p.display().to_string())
                    .unwrap_or(case.suite.clone());
                disagreements.push(format!(
                    "{} {}: want {}, got {} ({})",
                    rel.trim_end_matches("/.kyverno-test/kyverno-test.yaml"),
                    case.case,
                    case.expected,
                    case.actual,
                    case.detail
                ));
            }
        }
    }
    let agreeing = total - disagreements.len();
    eprintln!("kyverno-cel corpus: {agreeing}/{total} results agree");
    assert_eq!(total, 933, "the corpus README counts 933 results");
    let names: Vec<String> = disagreements
        .iter()
        .map(|d| d.split(": want").next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        names,
        KNOWN_DISAGREEMENTS,
        "disagreements changed:\n{}",
        disagreements.join("\n")
    );
    assert!(agreeing * 100 >= total * 98, "{agreeing}/{total} below 98%");
}
