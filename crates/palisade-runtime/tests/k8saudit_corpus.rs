//! Conformance with Falco's k8saudit regression cases
//! (`corpus/falco/k8saudit/cases.jsonl`): the rules files loaded in order,
//! the trace read as audit events, Falco's first-match rule per event, and
//! the detections compared: no alert for quiet cases, the alert priority
//! and exact per-rule counts for the others, and the reading error Falco
//! printed. Every case must agree: there are no exceptions.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use palisade_runtime::k8saudit::{self, AuditEvents, plugins::PluginVersions};
use palisade_runtime::loader::{Loaded, Loader};
use palisade_runtime::ruleset::{MatchMode, RuleSet};
use serde_json::Value;

fn load(root: &Path, files: &[&str]) -> Loaded {
    let schema = k8saudit::schema();
    let mut loader = Loader::with_checker(&schema);
    for file in files {
        loader.add_file(&root.join(file));
    }
    loader.finish()
}

/// A priority as Falco's test cases name levels (`INFO` for
/// Informational).
fn level_name(priority: palisade_core::Severity) -> String {
    match priority {
        palisade_core::Severity::Informational => "INFO".to_owned(),
        other => other.falco_name().to_uppercase(),
    }
}

/// The ruleset of `files` loaded in order, or why there is none.
fn ruleset(root: &Path, files: &[&str]) -> Result<RuleSet, String> {
    let loaded = load(root, files);
    if !loaded.is_ok() {
        return Err(format!("rules did not load: {:?}", loaded.errors));
    }
    PluginVersions::default()
        .check(&loaded)
        .map_err(|e| format!("plugin requirements: {e}"))?;
    RuleSet::from_loaded(&loaded, &k8saudit::schema(), MatchMode::First).map_err(|e| e.to_string())
}

/// Rulesets by their list of files (many cases load the same files).
type Rulesets = HashMap<Vec<String>, Result<RuleSet, String>>;

/// The disagreements of one case with Falco.
fn run_case(root: &Path, case: &Value, cache: &mut Rulesets) -> Vec<String> {
    let files: Vec<&str> = case["rules_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let key: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    let rules = match cache.entry(key).or_insert_with(|| ruleset(root, &files)) {
        Ok(rules) => rules,
        Err(e) => return vec![e.clone()],
    };
    let schema = rules.schema().clone();
    let trace = std::fs::read(root.join(case["trace"].as_str().unwrap())).unwrap();
    let events = AuditEvents::parse_bytes(&trace, &schema).unwrap();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut priorities = Vec::new();
    let mut matcher = rules.matcher();
    for event in events.events() {
        for rule in matcher.matches(event).iter() {
            *counts.entry(rule.name.clone()).or_default() += 1;
            priorities.push(level_name(rule.priority));
        }
    }
    let mut fails = Vec::new();
    let detect = case["detect"].as_bool().unwrap();
    if !detect && !counts.is_empty() {
        fails.push(format!("expected no alert, got {counts:?}"));
    }
    if detect && counts.is_empty() {
        fails.push("expected alerts, got none".to_owned());
    }
    // Falco's harness looks at the level only of cases that fire.
    if let Some(level) = case["detect_level"].as_str().filter(|_| detect)
        && !priorities.iter().any(|p| p == level)
    {
        fails.push(format!("no alert at {level}: {priorities:?}"));
    }
    if let Some(want) = case["detect_counts"].as_object() {
        for (rule, n) in want {
            let got = counts.get(rule).copied().unwrap_or(0);
            if Some(got) != n.as_u64() {
                fails.push(format!(
                    "`{rule}`: expected {n} alerts, got {got} ({counts:?})"
                ));
            }
        }
    }
    if let Some(text) = case["stderr_contains"].as_str() {
        let errors: Vec<String> = events.errors().iter().map(ToString::to_string).collect();
        if !errors.iter().any(|e| e.contains(text)) {
            fails.push(format!("no reading error contains {text:?}: {errors:?}"));
        }
    } else if !events.errors().is_empty() {
        fails.push(format!("reading errors: {:?}", events.errors()));
    }
    fails
}

#[test]
fn falco_k8saudit_cases_agree() {
    let Some(root) = palisade_testkit::corpus("falco/k8saudit") else {
        return;
    };
    let text = std::fs::read_to_string(root.join("cases.jsonl")).unwrap();
    let cases: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut failures = Vec::new();
    let mut fired = 0;
    let mut cache = Rulesets::new();
    for case in &cases {
        let fails = run_case(&root, case, &mut cache);
        if case["detect"].as_bool() == Some(true) {
            fired += 1;
        }
        if !fails.is_empty() {
            failures.push(format!("{}: {}", case["name"], fails.join("; ")));
        }
    }
    let total = cases.len();
    println!(
        "k8saudit cases: {}/{total} pass ({fired} that fire)",
        total - failures.len()
    );
    assert!(total >= 40, "only {total} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn todays_plugin_rules_load_whole() {
    let Some(root) = palisade_testkit::corpus("falco/k8saudit") else {
        return;
    };
    let file = "rules/k8s_audit_rules-latest.yaml";
    let loaded = load(&root, &[file]);
    assert!(loaded.is_ok(), "{:?}", loaded.errors);
    let warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.code, w.message))
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    PluginVersions::default().check(&loaded).unwrap();
    let text = std::fs::read_to_string(root.join(file)).unwrap();
    let declared = text.lines().filter(|l| l.starts_with("- rule:")).count();
    let enabled: Vec<&str> = loaded
        .rules
        .iter()
        .filter(|r| r.enabled && r.source == "k8s_audit")
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(enabled.len(), declared, "{enabled:?}");
    let schema = k8saudit::schema();
    let rules = RuleSet::from_loaded(&loaded, &schema, MatchMode::First).unwrap();
    assert_eq!(rules.rules().len(), declared);
    let code = schema.event_code("k8s_audit").unwrap();
    assert_eq!(rules.indexed_rules(code), declared);
    assert_eq!(rules.indexed_rules(schema.event_code("execve").unwrap()), 0);
}
