//! Kyverno's CEL policies through the `kyverno test` runner: `ClusterPolicy`
//! rules with `validate.cel` (`kyverno-cel/`) and `ValidatingPolicy`
//! (`kyverno-vpol/`). At least 98% of the visible results of each agree,
//! and the ones that do not are exactly the documented list (also in
//! `docs/admission.md`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::Path;

use palisade_admission::kyverno_test;

/// Policies of `kyverno-vpol/` whose results disagree with `kyverno test`
/// (every result of each), each explained in `docs/admission.md`: they call
/// Kyverno's `image.GetMetadata` (an OCI registry) or `time.now`.
const VPOL_DISAGREEING_POLICIES: &[&str] = &["allowed-base-images", "block-stale-images"];

#[test]
fn cel_rules_agree_with_kyverno() {
    let Some((total, disagreements)) = run("admission/kyverno-cel", 89) else {
        return;
    };
    assert_eq!(total, 933, "the corpus README counts 933 results");
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}

#[test]
fn validating_policies_agree_with_kyverno() {
    let Some((total, disagreements)) = run("admission/kyverno-vpol", 70) else {
        return;
    };
    assert_eq!(total, 1063, "the corpus README counts 1063 results");
    let policies: std::collections::BTreeSet<&str> = disagreements
        .iter()
        .filter_map(|d| {
            d.split_once(' ')
                .map(|(_, case)| case.split('/').next().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        policies.into_iter().collect::<Vec<_>>(),
        VPOL_DISAGREEING_POLICIES,
        "disagreements changed:\n{}",
        disagreements.join("\n")
    );
    let agreeing = total - disagreements.len();
    assert!(agreeing * 100 >= total * 98, "{agreeing}/{total} below 98%");
}

/// Runs every test file under the corpus folder `sub` (`files` of them):
/// the number of results and the disagreements (`None` without the corpus).
fn run(sub: &str, files_expected: usize) -> Option<(usize, Vec<String>)> {
    let root = palisade_testkit::corpus(sub)?;
    let files = kyverno_test::find_test_files(&[&root]);
    assert_eq!(files.len(), files_expected, "test file count changed");
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
    eprintln!(
        "{sub}: {}/{total} results agree",
        total - disagreements.len()
    );
    Some((total, disagreements))
}
