//! Differential test of the two regorus evaluators: every case of every
//! Gatekeeper library suite in the corpus runs on the compiled program
//! (regorus's RVM) and on the interpreter, and both must find the same
//! violation messages, pass or fail alike, and fail to evaluate alike.
//! Every library template must compile: a template regorus's compiler
//! refuses runs on the interpreter (with the reason logged), and the list
//! of such templates below must then say so.

use std::collections::BTreeMap;

use palisade_admission::gatekeeper::{EngineChoice, RegoMode};
use palisade_admission::suite::{self, CaseResult};

/// Library templates (directory under `admission/gatekeeper`) that regorus
/// cannot compile, which stay on the interpreter.
const NOT_COMPILED: &[&str] = &[];

/// The template directory of a case, relative to the corpus root.
fn template_dir(case: &CaseResult, root: &std::path::Path) -> String {
    std::path::Path::new(&case.suite)
        .parent()
        .and_then(|p| p.strip_prefix(root).ok())
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn sorted(messages: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = messages.iter().map(String::as_str).collect();
    out.sort_unstable();
    out
}

#[test]
fn compiled_rego_finds_what_the_interpreter_finds_on_every_library_case() {
    let Some(root) = palisade_testkit::corpus("admission/gatekeeper") else {
        return;
    };
    let interpreted = suite::run_paths_on(&[&root], EngineChoice::Rego, RegoMode::Interpreter);
    let compiled = suite::run_paths_on(&[&root], EngineChoice::Rego, RegoMode::Compiled);
    assert!(interpreted.errors.is_empty(), "{:?}", interpreted.errors);
    assert!(compiled.errors.is_empty(), "{:?}", compiled.errors);
    assert_eq!(interpreted.cases.len(), compiled.cases.len());

    let mut not_compiled: BTreeMap<String, String> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    let mut violations = 0;
    for (i, c) in interpreted.cases.iter().zip(&compiled.cases) {
        let name = format!("{}/{}/{}", template_dir(i, &root), i.test, i.case);
        assert_eq!(
            (&i.suite, &i.test, &i.case),
            (&c.suite, &c.test, &c.case),
            "both runs list the same cases"
        );
        if i.skipped || i.case == "(invalid constraint)" {
            assert_eq!((i.passed, i.skipped), (c.passed, c.skipped), "{name}");
            continue;
        }
        if c.detail.contains("is not compiled") {
            not_compiled.insert(template_dir(c, &root), c.detail.clone());
            continue;
        }
        compared += 1;
        violations += i.violations.len();
        if sorted(&i.violations) != sorted(&c.violations) || i.passed != c.passed {
            disagreements.push(format!(
                "{name}:\n  interpreter: {}\n  compiled:    {}",
                i.detail, c.detail
            ));
        }
    }
    eprintln!(
        "compiled vs interpreter: {compared} cases compared, {violations} violations, {} templates not compiled",
        not_compiled.len()
    );
    assert!(
        disagreements.is_empty(),
        "the compiled program and the interpreter disagree:\n{}",
        disagreements.join("\n")
    );
    let listed: Vec<&str> = not_compiled.keys().map(String::as_str).collect();
    assert_eq!(
        listed, NOT_COMPILED,
        "templates regorus does not compile: {not_compiled:#?}"
    );
    assert_eq!(compared, 200, "every case of the corpus is compared");
    assert!(violations > 0, "the corpus cases find violations");
}
