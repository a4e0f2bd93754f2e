//! Conformance of the rules loader with Falco's rule-loader tests
//! (`corpus/falco/loader.jsonl`): load verdicts, error and warning
//! messages, resolved conditions, rule info and enabled-rule counts.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{self, ConditionChecker, Loaded};
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{MatchMode, RuleSet, RuleSpec};
use palisade_runtime::scap::CaptureEvents;
use serde_json::Value;

fn messages(diags: &[loader::Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.message.as_str()).collect()
}

/// Checks every expectation of one record; returns the disagreements.
fn check(record: &Value, loaded: &Loaded) -> Vec<String> {
    let mut fails = Vec::new();
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
            "schema_validation" => {
                let ok = loaded.schema_problems.is_empty();
                if want.as_str() != Some(if ok { "ok" } else { "failed" }) {
                    fails.push(format!(
                        "schema_validation: expected {want}, problems: {:?}",
                        messages(&loaded.schema_problems)
                    ));
                }
            }
            "detect" => match detect(loaded, want) {
                Ok(()) => {}
                Err(e) => fails.push(e),
            },
            other => fails.push(format!("unknown expectation {other:?}")),
        }
    }
    fails
}

/// Runs the loaded rules over a capture's `.scap` file with the VM, as the
/// legacy Falco tests ran Falco over it: `detected` says whether an alert
/// of `priority` fires. As a guard against a vacuous pass, every rule's
/// condition *without* its exceptions must fire on the capture.
fn detect(loaded: &Loaded, want: &Value) -> Result<(), String> {
    let capture = want["capture"].as_str().unwrap();
    // The capture itself, read natively, as Falco read it.
    let path = palisade_testkit::corpus_root().join(format!("falco/captures/{capture}.scap"));
    let schema = Schema::falco();
    let events = CaptureEvents::open(&path)
        .and_then(|c| c.read_all(&schema))
        .map_err(|e| e.to_string())?;
    let fires = |specs: Vec<RuleSpec>| -> Result<Vec<String>, String> {
        let mut builder = RuleSet::builder(schema.clone());
        builder.mode(MatchMode::All);
        for spec in specs {
            builder.add(spec).map_err(|e| e.to_string())?;
        }
        let ruleset = builder.build();
        let mut matcher = ruleset.matcher();
        let mut alerts = Vec::new();
        for event in events.events() {
            for rule in matcher.matches(event).iter() {
                alerts.push(rule.priority.falco_name().to_ascii_uppercase());
            }
        }
        Ok(alerts)
    };
    let enabled = loaded.rules.iter().filter(|r| r.enabled);
    let alerts = fires(
        enabled
            .clone()
            .map(|r| RuleSpec::new(r.name.clone(), r.condition.clone(), r.priority))
            .collect(),
    )?;
    let priority = want["priority"].as_str().unwrap();
    let detected = alerts.iter().any(|p| p == priority);
    if Some(detected) != want["detected"].as_bool() {
        return Err(format!(
            "detect on {capture}: detected = {detected}, expected {}",
            want["detected"]
        ));
    }
    let bare = fires(
        enabled
            .map(|r| {
                RuleSpec::new(
                    r.name.clone(),
                    parse(&r.source_condition).unwrap(),
                    r.priority,
                )
            })
            .collect(),
    )?;
    if !bare.iter().any(|p| p == priority) {
        return Err(format!(
            "detect on {capture}: the rules without exceptions do not fire either"
        ));
    }
    Ok(())
}

fn run_corpus(checker: &dyn ConditionChecker) -> Option<(usize, usize, Vec<String>)> {
    let path = palisade_testkit::corpus("falco/loader.jsonl")?;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut count = 0;
    let mut failures = Vec::new();
    let mut expectations = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let name = record["name"].as_str().unwrap();
        let loaded = loader::load([("rules.yaml", record["yaml"].as_str().unwrap())], checker);
        let fails = check(&record, &loaded);
        expectations += record["expect"].as_object().unwrap().len();
        count += 1;
        for f in fails {
            failures.push(format!("{name}: {f}"));
        }
    }
    Some((count, expectations, failures))
}

#[test]
fn loader_corpus_agrees_with_falco() {
    let Some((count, expectations, failures)) = run_corpus(&Schema::falco()) else {
        return;
    };
    eprintln!(
        "loader corpus: {count} records, {expectations} expectations, {} failed",
        failures.len()
    );
    assert_eq!(count, 95, "record count changed");
    assert!(
        failures.is_empty(),
        "{} loader expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
