//! The Kyverno corpora through the `kyverno test` runner: pattern policies
//! (at least 95% of the visible results agree), `validate.cel` rules and
//! CEL `ValidatingPolicy` documents (at least 98% each); the ones that do
//! not agree are exactly the documented list (also in `docs/admission.md`). The
//! `kyverno-deny/` policies need JMESPath `deny`: every one of their cases
//! is counted as unsupported at load, with the load error checked.

use std::path::Path;

use palisade_admission::kyverno_test::{self, CaseStatus};

/// Cases where this engine and `kyverno test` disagree, each explained in
/// `docs/admission.md`.
const KNOWN_DISAGREEMENTS: &[&str] = &[];

#[test]
fn pattern_policies_agree_with_kyverno() {
    let Some((total, disagreements)) = run("admission/kyverno", 61) else {
        return;
    };
    assert_disagreements(&disagreements, KNOWN_DISAGREEMENTS);
    let agreeing = total - disagreements.len();
    assert!(agreeing * 100 >= total * 95, "{agreeing}/{total} below 95%");
}

/// Kyverno `ClusterPolicy` rules with `validate.cel` (`kyverno-cel/`): every
/// result agrees.
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

/// Kyverno `ValidatingPolicy` (`kyverno-vpol/`): every result agrees,
/// `image.GetMetadata` answered from the tests' `context.yaml` `spec.images`
/// and `time.now()` from the clock included.
#[test]
fn validating_policies_agree_with_kyverno() {
    let Some((total, disagreements)) = run("admission/kyverno-vpol", 70) else {
        return;
    };
    assert_eq!(total, 1063, "the corpus README counts 1063 results");
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}

/// Mutate cases where this engine and `kyverno test` disagree, each
/// explained in `docs/admission.md`.
const MUTATE_KNOWN_DISAGREEMENTS: &[&str] = &[
    "karpenter/set-karpenter-non-cpu-limits set-karpenter-non-cpu-limits/set-ephemeral-storage/Pod/test/test4",
];

/// The Kyverno classic `mutate` corpus: each `patchedResource` must equal
/// the mutated resource as data. At least 90% of the results agree, and the
/// ones that do not are exactly the documented list.
#[test]
fn mutate_policies_agree_with_kyverno() {
    let Some((total, disagreements)) = run("admission/kyverno-mutate", 30) else {
        return;
    };
    assert_eq!(total, 67, "result count changed");
    assert_disagreements(&disagreements, MUTATE_KNOWN_DISAGREEMENTS);
    let agreeing = total - disagreements.len();
    assert!(agreeing * 100 >= total * 90, "{agreeing}/{total} below 90%");
}

/// The cases that disagree (`<policy> <case>`) are exactly `known`.
fn assert_disagreements(disagreements: &[String], known: &[&str]) {
    let names: Vec<&str> = disagreements
        .iter()
        .map(|d| d.split(": want").next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        known,
        "disagreements changed:\n{}",
        disagreements.join("\n")
    );
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
        let cases = match kyverno_test::run_test_file(file) {
            Ok(cases) => cases,
            // An unreadable test file fails the test as a disagreement.
            Err(e) => {
                disagreements.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
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
