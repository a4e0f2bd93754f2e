//! The three official Falco rules files load with zero errors and every
//! rule (enabled or not) compiles, alone and together.

use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{Loaded, Loader};
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

const FALCO: &str = "falco_rules.yaml";
const INCUBATING: &str = "falco-incubating_rules.yaml";
const SANDBOX: &str = "falco-sandbox_rules.yaml";

fn load(files: &[&str]) -> Loaded {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    for f in files {
        loader.add_file(&palisade_testkit::corpus_root().join("falco/rules").join(f));
    }
    loader.finish()
}

/// Compiles every rule of `loaded`; returns (rules compiled, enabled rules).
fn compile_all(loaded: &Loaded, label: &str) -> (usize, usize) {
    assert!(
        loaded.errors.is_empty(),
        "{label}: {} load errors:\n{}",
        loaded.errors.len(),
        loaded
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let mut builder = RuleSet::builder(Schema::falco());
    let mut failures = Vec::new();
    for rule in &loaded.rules {
        if let Err(e) = builder.add(RuleSpec::new(
            rule.name.clone(),
            rule.condition.clone(),
            rule.priority,
        )) {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{label}: {} rules do not compile:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let set = builder.build();
    // Every rule is indexed by at least one event type, or by all of them.
    for rule in set.rules() {
        assert!(
            !rule.event_types.is_empty(),
            "{label}: rule `{}` can never fire",
            rule.name
        );
    }
    (set.rules().len(), loaded.enabled_rules())
}

#[test]
fn official_rules_files_compile() {
    if palisade_testkit::corpus(&format!("falco/rules/{FALCO}")).is_none() {
        return;
    }
    let cases: &[(&str, &[&str], usize, usize)] = &[
        ("falco_rules.yaml alone", &[FALCO], 25, 25),
        ("incubating alone", &[INCUBATING], 31, 31),
        ("sandbox alone", &[SANDBOX], 37, 25),
        (
            "incubating after falco_rules",
            &[FALCO, INCUBATING],
            25 + 31,
            25 + 31,
        ),
        (
            "sandbox after falco_rules",
            &[FALCO, SANDBOX],
            25 + 37,
            25 + 25,
        ),
        (
            "all three together",
            &[FALCO, INCUBATING, SANDBOX],
            25 + 31 + 37,
            25 + 31 + 25,
        ),
    ];
    for (label, files, rules, enabled) in cases {
        let loaded = load(files);
        let (compiled, en) = compile_all(&loaded, label);
        eprintln!("{label}: {compiled} rules compiled, {en} enabled");
        assert_eq!((compiled, en), (*rules, *enabled), "{label}: rule counts");
    }
}
