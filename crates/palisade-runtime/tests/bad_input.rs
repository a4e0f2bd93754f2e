#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Bad-input suites of the runtime layer: every malformed rules file,
//! condition and event stream under `tests/bad_input/<kind>/` gives an
//! error that names where it is (file:line:column, or a position), and
//! nothing panics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use palisade_core::Severity;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_input")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{kind}: only {} cases", files.len());
    files
}

/// Runs `check` on every case; `check` returns the error text, or `None`
/// when the input was accepted. Fails listing every case that panicked,
/// was accepted, or whose error does not satisfy `names_place`.
fn run(
    kind: &str,
    check: impl Fn(&Path, &[u8]) -> Option<String>,
    names_place: impl Fn(&Path, &str) -> bool,
) {
    let mut failures = Vec::new();
    let files = cases(kind);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        match catch_unwind(AssertUnwindSafe(|| check(file, &bytes))) {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(None) => failures.push(format!("{name}: accepted")),
            Ok(Some(message)) if !names_place(file, &message) => {
                failures.push(format!("{name}: error does not say where: {message}"));
            }
            Ok(Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{kind}: {} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn schema() -> Schema {
    Schema::falco()
}

/// `file:line:column` with the file's name.
fn has_file_position(file: &Path, message: &str) -> bool {
    let name = file.display().to_string();
    message
        .split(&format!("{name}:"))
        .nth(1)
        .is_some_and(|rest| {
            rest.split(':')
                .take(2)
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
}

#[test]
fn bad_rules_files_are_errors_with_positions() {
    let schema = schema();
    run(
        "rules",
        |file, _| {
            let mut loader = Loader::with_checker(&schema);
            loader.add_file(file);
            let loaded = loader.finish();
            if let Some(e) = loaded.errors.first() {
                return Some(e.to_string());
            }
            let mut builder = RuleSet::builder(schema.clone());
            for rule in loaded.rules.iter().filter(|r| r.enabled) {
                if let Err(e) = builder.add(RuleSpec::new(
                    rule.name.clone(),
                    rule.condition.clone(),
                    rule.priority,
                )) {
                    return Some(format!(
                        "{}:{}:{}: {e}",
                        rule.context.file, rule.context.line, rule.context.column
                    ));
                }
            }
            None
        },
        has_file_position,
    );
}

#[test]
fn bad_conditions_are_errors_with_positions() {
    let schema = schema();
    run(
        "conditions",
        |_, bytes| {
            let text = std::str::from_utf8(bytes).unwrap();
            match parse(text) {
                Err(e) => Some(format!("{}:{}: {e}", e.pos().line, e.pos().column)),
                Ok(expr) => {
                    let mut builder = RuleSet::builder(schema.clone());
                    builder
                        .add(RuleSpec::new("r", expr, Severity::Notice))
                        .err()
                        .map(|e| e.to_string())
                }
            }
        },
        |_, message| {
            message.chars().next().is_some_and(|c| c.is_ascii_digit()) || message.contains('`')
        },
    );
}

#[test]
fn bad_event_streams_are_errors_with_line_and_column() {
    let schema = schema();
    run(
        "events",
        |_, bytes| match std::str::from_utf8(bytes) {
            Err(e) => Some(format!("line 1: invalid UTF-8: {e}")),
            Ok(text) => FlatEvents::parse(text, &schema)
                .err()
                .map(|e| format!("line {}, column {}: {e}", e.line, e.column)),
        },
        |_, message| message.starts_with("line "),
    );
}
