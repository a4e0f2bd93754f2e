//! The selecting matcher agrees with the plain matcher on the official
//! rules over every capture event: all rules selected gives the same hits,
//! and a selection gives exactly the selected subset (in `first` mode, the
//! first selected hit).

use palisade_core::Severity;
use palisade_runtime::alerts::selection::{Selection, SelectionHandle, Step};
use palisade_runtime::builtin;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::ruleset::MatchMode;

#[test]
fn selection_agrees_with_the_matcher_on_official_rules_and_captures() {
    let Some(root) = palisade_testkit::corpus("falco") else {
        return;
    };
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    // The built-in rules first (they fire on the demo events and captures),
    // then the official ones.
    builtin::add_to(&mut loader);
    for file in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ] {
        loader.add_file(&root.join("rules").join(file));
    }
    let loaded = loader.finish();
    assert!(loaded.is_ok(), "{:?}", loaded.errors);
    let rules = builtin::ruleset(&loaded, &schema).unwrap();
    let mut events = Vec::new();
    for entry in std::fs::read_dir(root.join("captures")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".events.jsonl") {
            let text = std::fs::read_to_string(&path).unwrap();
            events.extend(FlatEvents::parse(&text, &schema).unwrap().into_events());
        }
    }
    assert!(events.len() > 1000, "{} capture events", events.len());
    events.extend(
        FlatEvents::parse(builtin::DEMO_EVENTS, &schema)
            .unwrap()
            .into_events(),
    );

    let all = Selection {
        mode: MatchMode::All,
        ..Selection::default()
    };
    let handle = SelectionHandle::new(rules.clone(), all.clone());
    let mut selecting = handle.matcher();
    let mut plain = rules.matcher();
    let mut total_hits = 0;
    let mut mismatches = Vec::new();
    for event in &events {
        let expected = plain.matches(event).indexes().to_vec();
        total_hits += expected.len();
        if selecting.matches(event) != expected.as_slice() {
            mismatches.push(event.line());
        }
    }
    assert!(total_hits >= 6, "{total_hits} hits");
    assert!(mismatches.is_empty(), "lines {mismatches:?}");

    // A selection: at least Notice, without the `shell` tag, in `first` mode.
    let selected = |i: u32| {
        let rule = &rules.rules()[i as usize];
        rule.priority >= Severity::Notice && !rule.tags.iter().any(|t| t == "shell")
    };
    handle.set(Selection {
        min_priority: Severity::Notice,
        steps: vec![Step::DisableTag("shell".into())],
        mode: MatchMode::First,
        ..all
    });
    let mut selected_hits = 0;
    for event in &events {
        let expected: Vec<u32> = plain
            .matches(event)
            .indexes()
            .iter()
            .copied()
            .filter(|&i| selected(i))
            .take(1)
            .collect();
        selected_hits += expected.len();
        if selecting.matches(event) != expected.as_slice() {
            mismatches.push(event.line());
        }
    }
    assert!(mismatches.is_empty(), "lines {mismatches:?}");
    assert!(
        selected_hits > 0 && selected_hits < total_hits,
        "{selected_hits} of {total_hits}"
    );
}
