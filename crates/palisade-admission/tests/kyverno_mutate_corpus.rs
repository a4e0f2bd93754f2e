//! The Kyverno classic `mutate` corpus through the `kyverno test` runner:
//! each `patchedResource` must equal the mutated resource as data. At
//! least 90% of the results agree, and the ones that do not are exactly
//! the documented list (also in `docs/admission.md`).

use std::path::Path;

use palisade_admission::kyverno_test;

/// Cases where this engine and `kyverno test` disagree, each explained in
/// `docs/admission.md`.
const KNOWN_DISAGREEMENTS: &[&str] = &[
    "karpenter/set-karpenter-non-cpu-limits set-karpenter-non-cpu-limits/set-ephemeral-storage/Pod/test/test4",
];

#[test]
fn mutate_policies_agree_with_kyverno() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno-mutate") else {
        return;
    };
    let files = kyverno_test::find_test_files(&[&root]);
    assert_eq!(files.len(), 30, "test file count changed");
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
    assert_eq!(total, 67, "result count changed");
    let agreeing = total - disagreements.len();
    eprintln!("kyverno-mutate corpus: {agreeing}/{total} results agree");
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
    assert!(agreeing * 100 >= total * 90, "{agreeing}/{total} below 90%");
}
