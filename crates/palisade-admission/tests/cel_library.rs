//! The Kubernetes CEL libraries Palisade adds to the CEL crate (quantity,
//! IP/CIDR, URL, semver, sets), data-driven: each file under
//! `tests/cel_library/` lists expressions with the value they give (itself
//! a CEL expression), the evaluation error or the compile error they
//! raise, written from the API server's own tests
//! (`k8s.io/apiserver/pkg/cel/library/*_test.go`).

use std::path::Path;

use cel_core::{MapActivation, Value};
use palisade_admission::cel::Environment;
use palisade_core::yaml;
use serde::Deserialize;

/// One expression and what it must give.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    expr: String,
    /// A CEL expression of the expected value.
    value: Option<String>,
    /// Text the evaluation error holds.
    error: Option<String>,
    /// Text the compile error holds.
    load_error: Option<String>,
}

fn evaluate(env: &Environment, source: &str) -> Result<Value, String> {
    let expression = env
        .compile(source, "test", None)
        .map_err(|e| format!("compile error: {}", e.reason))?;
    expression
        .evaluate(&MapActivation::new(), 1)
        .map_err(|e| format!("evaluation error: {}", e.reason))
}

/// What is wrong with `case`, if anything.
fn check(env: &Environment, case: &Case) -> Option<String> {
    let expr = &case.expr;
    match (&case.value, &case.error, &case.load_error) {
        (Some(value), None, None) => {
            let expected = match evaluate(env, value) {
                Ok(v) => v,
                Err(e) => return Some(format!("{expr}: the expected value `{value}`: {e}")),
            };
            match evaluate(env, expr) {
                Ok(got) if got == expected => None,
                got => Some(format!("{expr}: got {got:?}, expected {expected:?}")),
            }
        }
        (None, Some(error), None) => match evaluate(env, expr) {
            Err(e) if e.starts_with("evaluation error") && e.contains(error.as_str()) => None,
            got => Some(format!(
                "{expr}: got {got:?}, expected an evaluation error with `{error}`"
            )),
        },
        (None, None, Some(error)) => match env.compile(expr, "test", None) {
            Err(e) if e.reason.contains(error.as_str()) => None,
            Err(e) => Some(format!(
                "{expr}: compile error `{}` lacks `{error}`",
                e.reason
            )),
            Ok(_) => Some(format!(
                "{expr}: compiled, expected a compile error with `{error}`"
            )),
        },
        _ => Some(format!(
            "{expr}: give exactly one of value, error, load_error"
        )),
    }
}

#[test]
fn kubernetes_library_functions_behave_as_in_the_api_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cel_library");
    let files = ["net", "quantity", "semver", "sets", "url"].map(|n| dir.join(format!("{n}.yaml")));
    let env = Environment::new(&[]);
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let documents = yaml::parse_stream(&text);
        let [Ok(document)] = documents.as_slice() else {
            panic!("{}: one YAML document expected", file.display());
        };
        let cases: Vec<Case> = serde_json::from_value(document.root.to_json())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        total += cases.len();
        failures.extend(
            cases
                .iter()
                .filter_map(|c| check(&env, c))
                .map(|f| format!("{}: {f}", file.display())),
        );
    }
    assert!(total >= 200, "{total} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
