//! The Gatekeeper library templates that carry a `K8sNativeValidation`
//! (CEL) implementation, run with `--engine cel`: every case of their suites
//! passes, as upstream CI runs `gator verify --enable-k8s-native-validation`;
//! the other templates are skipped with the reason. With `--engine auto`
//! (CEL where present) every case gives the result it gives with `rego`.

use std::collections::BTreeMap;
use std::path::Path;

use palisade_admission::gatekeeper::EngineChoice;
use palisade_admission::suite::{self, SuiteReport};

/// `dir/test/case` -> (passed, skipped, detail).
fn by_case(root: &Path, report: &SuiteReport) -> BTreeMap<String, (bool, bool, String)> {
    report
        .cases
        .iter()
        .map(|case| {
            let dir = Path::new(&case.suite)
                .parent()
                .and_then(|p| p.strip_prefix(root).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (
                format!("{dir}/{}/{}", case.test, case.case),
                (case.passed, case.skipped, case.detail.clone()),
            )
        })
        .collect()
}

#[test]
fn cel_templates_pass_their_suites_and_auto_agrees_with_rego() {
    let Some(root) = palisade_testkit::corpus("admission/gatekeeper") else {
        return;
    };
    let cel = suite::run_paths_with(&[&root], EngineChoice::Cel);
    assert!(cel.errors.is_empty(), "{:#?}", cel.errors);
    let cel_cases = by_case(&root, &cel);
    let ran: Vec<&String> = cel_cases
        .iter()
        .filter(|(_, c)| !c.1)
        .map(|(k, _)| k)
        .collect();
    let failing: Vec<String> = cel_cases
        .iter()
        .filter(|(_, c)| !c.0 && !c.1)
        .map(|(k, c)| format!("{k}: {}", c.2))
        .collect();
    let templates: std::collections::BTreeSet<&str> = ran
        .iter()
        .filter_map(|k| k.rsplitn(3, '/').nth(2))
        .collect();
    eprintln!(
        "--engine cel: {} cases of {} templates run, {} fail, {} skipped",
        ran.len(),
        templates.len(),
        failing.len(),
        cel.skipped()
    );
    assert_eq!(
        templates.len(),
        15,
        "15 corpus templates have CEL: {templates:?}"
    );
    assert!(
        failing.is_empty(),
        "failing with --engine cel:\n{}",
        failing.join("\n")
    );
    // Skipped cases name the missing engine.
    for (name, (_, skipped, detail)) in &cel_cases {
        if *skipped {
            assert!(
                detail.contains("has no CEL implementation"),
                "{name}: {detail}"
            );
        }
    }
    assert!(
        cel.to_json()["skipped"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );

    // Same cases in the same order: compare them one by one.
    let rego = suite::run_paths_with(&[&root], EngineChoice::Rego);
    let auto = suite::run_paths_with(&[&root], EngineChoice::Auto);
    assert_eq!(rego.cases.len(), 200, "the corpus README counts 200 cases");
    assert_eq!(auto.cases.len(), rego.cases.len());
    let differ: Vec<String> = rego
        .cases
        .iter()
        .zip(&auto.cases)
        .filter(|(r, a)| {
            r.passed != a.passed || (&r.suite, &r.test, &r.case) != (&a.suite, &a.test, &a.case)
        })
        .map(|(r, a)| {
            format!(
                "{}/{}/{}: rego {} / auto {}",
                r.suite, r.test, r.case, r.detail, a.detail
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "auto differs from rego:\n{}",
        differ.join("\n")
    );
    assert_eq!(auto.passed(), rego.passed());
}
