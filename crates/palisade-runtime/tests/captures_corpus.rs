//! Every filter of `captures/filters.jsonl`, compiled and run on every
//! capture, matches exactly the events sysdig matched.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::BTreeMap;

use palisade_core::Severity;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{MatchMode, Matcher, RuleSet, RuleSpec};
use palisade_runtime::scap::{CaptureEvents, FIELDS};

/// The Falco schema, every capture's events by name (each capture's event
/// count checked against `captures.json`) and the text of `filters.jsonl`;
/// `None` (with a notice) without the corpus.
fn recorded() -> Option<(Schema, BTreeMap<String, FlatEvents>, String)> {
    palisade_testkit::corpus("falco/captures/captures.json")?;
    let dir = palisade_testkit::corpus_root().join("falco/captures");
    let schema = Schema::falco();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("captures.json")).unwrap()).unwrap();
    let mut captures = BTreeMap::new();
    for cap in manifest["captures"].as_array().unwrap() {
        let name = cap["name"].as_str().unwrap().to_owned();
        let text = std::fs::read_to_string(dir.join(cap["events_file"].as_str().unwrap())).unwrap();
        let events = FlatEvents::parse(&text, &schema).unwrap();
        assert_eq!(
            events.events().len() as u64,
            cap["events"].as_u64().unwrap(),
            "{name}: event count"
        );
        captures.insert(name, events);
    }
    let filters = std::fs::read_to_string(dir.join("filters.jsonl")).unwrap();
    Some((schema, captures, filters))
}

/// The event numbers of a recorded `matches` list.
fn nums(list: &serde_json::Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// The numbers of the events `matcher` fires on.
fn matched(matcher: &mut Matcher, events: &FlatEvents) -> Vec<u64> {
    events
        .events()
        .iter()
        .filter(|e| !matcher.matches(*e).is_empty())
        .map(|e| e.num().unwrap())
        .collect()
}

#[test]
fn every_filter_matches_the_recorded_events() {
    let Some((schema, captures, filters)) = recorded() else {
        return;
    };
    let (mut filters_ok, mut checks, mut checks_ok) = (0, 0, 0);
    let mut failures = Vec::new();
    let total = filters.lines().count();
    for (line_no, line) in filters.lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let filter = record["filter"].as_str().unwrap();
        let label = format!(
            "line {} ({}): {filter}",
            line_no + 1,
            record["from"].as_str().unwrap_or("")
        );
        let expr = match parse(filter) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{label}: parse error: {e}"));
                continue;
            }
        };
        let mut builder = RuleSet::builder(schema.clone());
        if let Err(e) = builder.add(RuleSpec::new("filter", expr, Severity::Notice)) {
            failures.push(format!("{label}: compile error: {e}"));
            continue;
        }
        let rules = builder.build();
        let mut matcher = rules.matcher();
        let mut all_ok = true;
        for (cap, expected) in record["matches"].as_object().unwrap() {
            checks += 1;
            let (expected, got) = (nums(expected), matched(&mut matcher, &captures[cap]));
            if got == expected {
                checks_ok += 1;
            } else {
                all_ok = false;
                let extra: Vec<_> = got
                    .iter()
                    .filter(|n| !expected.contains(n))
                    .take(5)
                    .collect();
                let missing: Vec<_> = expected
                    .iter()
                    .filter(|n| !got.contains(n))
                    .take(5)
                    .collect();
                failures.push(format!(
                    "{label} on {cap}: extra {extra:?} missing {missing:?}"
                ));
            }
        }
        if all_ok {
            filters_ok += 1;
        }
    }
    eprintln!(
        "captures corpus: {filters_ok}/{total} filters, {checks_ok}/{checks} filter x capture checks agree"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(filters_ok, total);
}

/// All filters compiled into one ruleset (`all` mode), as an embedder runs
/// them: checks shared across rules, check families and pattern families
/// answer many rules at once; every rule must still fire on exactly the
/// recorded events. `matches_among` over every rule must agree as well.
#[test]
fn all_filters_in_one_ruleset_match_the_recorded_events() {
    let Some((schema, captures, filters)) = recorded() else {
        return;
    };
    let mut builder = RuleSet::builder(schema.clone());
    builder.mode(MatchMode::All);
    let mut expected: Vec<BTreeMap<String, Vec<u64>>> = Vec::new();
    for line in filters.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let expr = parse(record["filter"].as_str().unwrap()).unwrap();
        builder
            .add(RuleSpec::new(
                expected.len().to_string(),
                expr,
                Severity::Notice,
            ))
            .unwrap();
        expected.push(
            record["matches"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(cap, nums)| {
                    let nums = nums
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_u64().unwrap())
                        .collect();
                    (cap.clone(), nums)
                })
                .collect(),
        );
    }
    let rules = builder.build();
    assert!(
        !rules.program().patterns.is_empty() && !rules.program().families.is_empty(),
        "the corpus filters form check families and pattern families"
    );
    let all: Vec<u32> = (0..expected.len() as u32).collect();
    let mut matcher = rules.matcher();
    let mut among = rules.matcher();
    let mut failures = Vec::new();
    let mut pairs = 0;
    for (cap, events) in &captures {
        let mut got: Vec<Vec<u64>> = vec![Vec::new(); expected.len()];
        for event in events.events() {
            let hits = matcher.matches(event).indexes().to_vec();
            let hits_among = among.matches_among(event, &all, false).to_vec();
            assert_eq!(hits, hits_among, "{cap}: matches_among on event {event:?}");
            for hit in hits {
                got[hit as usize].push(event.num().unwrap());
            }
        }
        for (i, want) in expected.iter().enumerate() {
            let Some(want) = want.get(cap) else { continue };
            pairs += 1;
            if got[i] != *want {
                failures.push(format!(
                    "filter {} on {cap}: got {:?}, recorded {want:?}",
                    i + 1,
                    got[i]
                ));
            }
        }
    }
    eprintln!(
        "captures corpus, one ruleset: {}/{pairs} filter x capture pairs agree",
        pairs - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The captures themselves, read by the native reader, give the events the
/// filters run on: every filter matches exactly the events sysdig matched,
/// on every capture, and the reader derives every field of the corpus's
/// list, in its order.
#[test]
fn every_filter_matches_on_the_captures_themselves() {
    let Some((schema, recorded_events, filters)) = recorded() else {
        return;
    };
    let dir = palisade_testkit::corpus_root().join("falco/captures");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("captures.json")).unwrap()).unwrap();
    let all: Vec<&str> = manifest["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(all, FIELDS, "the fields derived are the corpus's");
    let mut captures = BTreeMap::new();
    for cap in manifest["captures"].as_array().unwrap() {
        let name = cap["name"].as_str().unwrap().to_owned();
        let events = CaptureEvents::open(dir.join(cap["file"].as_str().unwrap()))
            .unwrap()
            .read_all(&schema)
            .unwrap();
        assert_eq!(
            events.events().len(),
            recorded_events[&name].events().len(),
            "{name}: shown events"
        );
        captures.insert(name, events);
    }
    let mut run = 0;
    let mut failures = Vec::new();
    for (line_no, line) in filters.lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let filter = record["filter"].as_str().unwrap();
        run += 1;
        let mut builder = RuleSet::builder(schema.clone());
        builder
            .add(RuleSpec::new(
                "filter",
                parse(filter).unwrap(),
                Severity::Notice,
            ))
            .unwrap();
        let rules = builder.build();
        let mut matcher = rules.matcher();
        for (cap, expected) in record["matches"].as_object().unwrap() {
            let (expected, got) = (nums(expected), matched(&mut matcher, &captures[cap]));
            if got != expected {
                failures.push(format!(
                    "line {}: {filter} on {cap}: got {got:?}, recorded {expected:?}",
                    line_no + 1
                ));
            }
        }
    }
    assert_eq!(run, 803, "filters run on the .scap files");
    assert_eq!(failures, Vec::<String>::new(), "filters that differ");
}
