//! Conformance of the rules loader with Falco's rule-loader tests
//! (`corpus/falco/loader.jsonl`): load verdicts, error and warning
//! messages, resolved conditions, rule info and enabled-rule counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};

use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{self, ConditionChecker, Loaded};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("PALISADE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

fn messages(diags: &[loader::Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.message.as_str()).collect()
}

/// Checks every expectation of one record; returns the disagreements and
/// the expectation keys that could not be checked here.
fn check(record: &Value, loaded: &Loaded) -> (Vec<String>, Vec<String>) {
    let mut fails = Vec::new();
    let mut unchecked = Vec::new();
    let errors = messages(&loaded.errors);
    let warnings = messages(&loaded.warnings);
    for (key, want) in record["expect"].as_object().unwrap() {
        match key.as_str() {
            "load_ok" => {
                if want.as_bool() != Some(loaded.errors.is_empty()) {
                    fails.push(format!("load_ok: expected {want}, errors: {errors:?}"));
                }
            }
            "error_contains" => {
                for s in want.as_array().unwrap() {
                    let s = s.as_str().unwrap();
                    if !errors.iter().any(|e| e.contains(s)) {
                        fails.push(format!("no error contains {s:?}; errors: {errors:?}"));
                    }
                }
            }
            "warning_contains" => {
                for s in want.as_array().unwrap() {
                    let s = s.as_str().unwrap();
                    if !warnings.iter().any(|w| w.contains(s)) {
                        fails.push(format!("no warning contains {s:?}; warnings: {warnings:?}"));
                    }
                }
            }
            "warning_not_contains" => {
                for s in want.as_array().unwrap() {
                    let s = s.as_str().unwrap();
                    if warnings.iter().any(|w| w.contains(s)) {
                        fails.push(format!("a warning contains {s:?}; warnings: {warnings:?}"));
                    }
                }
            }
            "has_warnings" => {
                if want.as_bool() != Some(!warnings.is_empty()) {
                    fails.push(format!(
                        "has_warnings: expected {want}, warnings: {warnings:?}"
                    ));
                }
            }
            "condition" => {
                for (rule, text) in want.as_object().unwrap() {
                    match loaded.rule(rule) {
                        Some(r) if r.condition.as_string() == text.as_str().unwrap() => {}
                        Some(r) => fails.push(format!(
                            "condition of {rule:?}: got `{}`, expected `{}`",
                            r.condition.as_string(),
                            text.as_str().unwrap()
                        )),
                        None => {
                            fails.push(format!("no compiled rule {rule:?}; errors: {errors:?}"))
                        }
                    }
                }
            }
            "info" => {
                for (rule, info) in want.as_object().unwrap() {
                    let Some(r) = loaded.rule(rule) else {
                        fails.push(format!("no compiled rule {rule:?} for info"));
                        continue;
                    };
                    for (k, v) in info.as_object().unwrap() {
                        let got = match k.as_str() {
                            "condition" => Value::from(r.source_condition.clone()),
                            "output" => Value::from(r.output.clone()),
                            "description" => Value::from(r.desc.clone()),
                            "priority" => Value::from(r.priority.falco_name()),
                            "capture" => Value::from(r.capture),
                            "capture_duration" => Value::from(r.capture_duration),
                            other => {
                                fails.push(format!("unknown info key {other:?}"));
                                continue;
                            }
                        };
                        if &got != v {
                            fails.push(format!("info {rule:?}.{k}: got {got}, expected {v}"));
                        }
                    }
                }
            }
            "num_enabled_rules" => {
                if want.as_u64() != Some(loaded.enabled_rules() as u64) {
                    fails.push(format!(
                        "num_enabled_rules: expected {want}, got {}",
                        loaded.enabled_rules()
                    ));
                }
            }
            "errors_detail" => {
                for detail in want.as_array().unwrap() {
                    let found = loaded.errors.iter().any(|e| {
                        e.message == detail["message"].as_str().unwrap()
                            && e.code == detail["code"].as_str().unwrap()
                            && e.context.kind.as_str() == detail["item_type"].as_str().unwrap()
                            && e.context.name == detail["item_name"].as_str().unwrap()
                    });
                    if !found {
                        fails.push(format!(
                            "no error matches detail {detail}; errors: {:?}",
                            loaded.errors
                        ));
                    }
                }
            }
            // Falco's JSON-schema validation of the file is not part of
            // loading (it never changes the outcome); `detect` needs the VM.
            "schema_validation" | "detect" => unchecked.push(key.clone()),
            other => fails.push(format!("unknown expectation {other:?}")),
        }
    }
    (fails, unchecked)
}

fn run_corpus(checker: &dyn ConditionChecker) -> Option<(usize, Vec<String>, Vec<String>)> {
    let path = corpus_dir().join("falco/loader.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: loader corpus not found at {}", path.display());
        return None;
    };
    let mut count = 0;
    let mut failures = Vec::new();
    let mut detect = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let name = record["name"].as_str().unwrap();
        let loaded = loader::load([("rules.yaml", record["yaml"].as_str().unwrap())], checker);
        let (fails, unchecked) = check(&record, &loaded);
        count += 1;
        if unchecked.iter().any(|k| k == "detect") {
            detect.push(name.to_owned());
        }
        for f in fails {
            failures.push(format!("{name}: {f}"));
        }
    }
    Some((count, failures, detect))
}

#[test]
fn loader_corpus_agrees_with_falco() {
    let Some((count, failures, detect)) = run_corpus(&Schema::falco()) else {
        return;
    };
    eprintln!(
        "loader corpus: {count} records, {} failed expectations; `detect` not checked here for {} records: {detect:?}",
        failures.len(),
        detect.len()
    );
    assert_eq!(count, 95, "record count changed");
    assert!(
        failures.is_empty(),
        "{} loader expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
