//! The Kyverno pattern-policy corpus through the `kyverno test` runner:
//! at least 95% of the visible results agree, and the ones that do not are
//! exactly the documented list (also in `docs/admission.md`). The
//! `kyverno-deny/` policies need JMESPath `deny`: every one of their cases
//! is counted as unsupported at load, with the load error checked.

use std::path::Path;

use palisade_admission::kyverno_test::{self, CaseStatus};

/// Cases where this engine and `kyverno test` disagree, each explained in
/// `docs/admission.md`.
const KNOWN_DISAGREEMENTS: &[&str] = &[];

#[test]
fn pattern_policies_agree_with_kyverno() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno") else {
        return;
    };
    let files = kyverno_test::find_test_files(&[&root]);
    assert_eq!(files.len(), 61, "test file count changed");
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
    eprintln!("kyverno corpus: {agreeing}/{total} results agree");
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
    assert!(agreeing * 100 >= total * 95, "{agreeing}/{total} below 95%");
}

#[test]
fn deny_policies_are_unsupported_at_load() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno-deny") else {
        return;
    };
    let files = kyverno_test::find_test_files(&[&root]);
    assert_eq!(files.len(), 30, "test file count changed");
    let mut unsupported = 0usize;
    let mut other = Vec::new();
    for file in &files {
        for case in kyverno_test::run_test_file(file).unwrap_or_else(|e| panic!("{e}")) {
            if case.status == CaseStatus::Unsupported
                && case.detail.contains("is not supported")
                && (case
                    .detail
                    .contains("`validate.deny` with JMESPath conditions")
                    || case.detail.contains("variable in pattern"))
            {
                unsupported += 1;
            } else {
                other.push(format!(
                    "{} {}: {:?} {}",
                    case.suite, case.case, case.status, case.detail
                ));
            }
        }
    }
    eprintln!("kyverno-deny corpus: {unsupported} cases unsupported at load");
    assert!(
        other.is_empty(),
        "cases not refused at load:\n{}",
        other.join("\n")
    );
    assert!(unsupported >= 85, "{unsupported}");
}
