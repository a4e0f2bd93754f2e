//! Writer, file and program sinks behind their delivery threads.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use palisade_core::Severity;
use palisade_runtime::alerts::{Alert, AlertKind};
use palisade_runtime::output::FieldValue;
use palisade_runtime::sinks::program::ProgramSink;
use palisade_runtime::sinks::writer::{self, LineFormat};
use palisade_runtime::sinks::{Dispatcher, SinkWorker};

fn alert(n: u64) -> Alert {
    Alert {
        kind: AlertKind::Rule,
        rule: "Rule".into(),
        priority: Severity::Notice,
        time: 1_714_558_805_408_091_526,
        output: format!("10:20:05.408091526: Notice alert {n}"),
        output_fields: vec![("evt.num".into(), FieldValue::UInt(n))],
        source: "syscall".into(),
        tags: Arc::from(Vec::<String>::new()),
        hostname: "h".into(),
    }
}

/// A path named `name` in a fresh directory, removed with the returned guard.
fn temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

#[test]
fn file_sink_appends_json_lines() {
    let (_path_dir, path) = temp("alerts.jsonl");
    for round in 0..2 {
        let sink = writer::file(&path, LineFormat::Json).unwrap();
        let worker = SinkWorker::spawn(Box::new(sink), 16);
        worker.send(Arc::new(alert(round * 10)));
        worker.send(Arc::new(alert(round * 10 + 1)));
        assert_eq!(worker.close(Duration::from_secs(5)).snapshot(), (2, 0, 0));
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let nums: Vec<u64> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["priority"], "Notice");
            v["output_fields"]["evt.num"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(nums, [0, 1, 10, 11]);
}

#[test]
fn program_sink_pipes_text_lines() {
    let (_path_dir, path) = temp("program.txt");
    let command = format!("cat >> '{}'", path.display());
    let mut dispatcher = Dispatcher::new();
    dispatcher.add(Box::new(ProgramSink::new(command, LineFormat::Text)), 8);
    let (_file_dir, file) = temp("both.txt");
    dispatcher.add(Box::new(writer::file(&file, LineFormat::Text).unwrap()), 8);
    for n in 0..3 {
        dispatcher.send(alert(n));
    }
    let stats = dispatcher.close(Duration::from_secs(5));
    assert_eq!(stats.len(), 2);
    for (name, s) in &stats {
        assert_eq!(s.snapshot(), (3, 0, 0), "{name}");
    }
    let expected = "10:20:05.408091526: Notice alert 0\n10:20:05.408091526: Notice alert 1\n10:20:05.408091526: Notice alert 2\n";
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
    // The program exits when its input closes (sink dropped with the worker).
    let mut text = String::new();
    for _ in 0..200 {
        text = std::fs::read_to_string(&path).unwrap_or_default();
        if text == expected {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(text, expected);
}

#[test]
fn a_missing_directory_is_an_error_naming_the_file() {
    let err = writer::file(
        std::path::Path::new("/nonexistent-dir/x/alerts.json"),
        LineFormat::Json,
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent-dir/x/alerts.json"));
}
