//! Bad-input suites of the runtime layer: every malformed rules file,
//! condition and event stream under `tests/bad_input/<kind>/` gives the
//! error in its `<case>.expected` file (file:line:column, or a position in
//! the condition or stream), and nothing panics.

use palisade_core::Severity;
use palisade_runtime::builtin;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::k8saudit::{self, AuditEvents};
use palisade_runtime::loader::Loader;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};
use palisade_runtime::scap::Capture;
use palisade_testkit::bad_input;

#[test]
fn bad_rules_files_are_errors_with_positions() {
    let schema = Schema::falco();
    bad_input::run("tests/bad_input/rules", |case| {
        let mut loader = Loader::with_checker(&schema);
        loader.add_file(case.path);
        let loaded = loader.finish();
        if let Some(e) = loaded.errors.first() {
            return Some(e.to_string());
        }
        builtin::ruleset(&loaded, &schema)
            .err()
            .map(|e| e.to_string())
    });
}

#[test]
fn bad_conditions_are_errors_with_positions() {
    let schema = Schema::falco();
    bad_input::run("tests/bad_input/conditions", |case| {
        // A condition is text inside a rules file: the entry point takes
        // `&str`, so a case must be UTF-8 (the rules suite covers bytes).
        let text = std::str::from_utf8(case.bytes).unwrap();
        match parse(text) {
            Err(e) => Some(e.to_string()),
            Ok(expr) => {
                // The rule's name is the test's: the message is the
                // compiler's alone.
                let mut builder = RuleSet::builder(schema.clone());
                builder
                    .add(RuleSpec::new("r", expr, Severity::Notice))
                    .err()
                    .map(|e| e.source.to_string())
            }
        }
    });
}

#[test]
fn bad_event_streams_are_errors_with_line_and_column() {
    let schema = Schema::falco();
    bad_input::run("tests/bad_input/events", |case| {
        FlatEvents::parse_bytes(case.bytes, &schema)
            .err()
            .map(|e| e.to_string())
    });
}

#[test]
fn bad_captures_are_errors_with_byte_offsets() {
    // The cases are written by `scripts/scap_bad_inputs.py`.
    bad_input::run("tests/bad_input/scap", |case| {
        let mut capture = match Capture::from_reader(case.path_str(), case.bytes) {
            Ok(capture) => capture,
            Err(e) => return Some(e.to_string()),
        };
        loop {
            match capture.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => return Some(e.to_string()),
            }
        }
    });
}

#[test]
fn bad_audit_events_are_counted_with_line_and_column() {
    let schema = k8saudit::schema();
    // A small limit, so that a "huge" request object stays a small case.
    bad_input::run(
        "tests/bad_input/k8saudit",
        |case| match AuditEvents::parse_bytes_limited(case.bytes, &schema, 4096) {
            Err(e) => Some(e.to_string()),
            Ok(events) if events.errors().is_empty() => None,
            Ok(events) => Some(
                events
                    .errors()
                    .iter()
                    .map(ToString::to_string)
                    .chain([format!("{} events read", events.events().len())])
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        },
    );
}
