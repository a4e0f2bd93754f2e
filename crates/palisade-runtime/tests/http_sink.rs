//! The HTTP sink against real HTTP servers on loopback: one that accepts,
//! one that fails twice then succeeds, one that never answers.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use palisade_core::Severity;
use palisade_runtime::alerts::clock::FakeClock;
use palisade_runtime::alerts::pipeline::{Pipeline, PipelineConfig};
use palisade_runtime::alerts::{Alert, AlertKind};
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};
use palisade_runtime::sinks::SinkWorker;
use palisade_runtime::sinks::http::{HttpConfig, HttpSink};
use palisade_testkit::http::{Log, PostServer};

/// A recording server (the testkit's), as the URL and the log the tests
/// read.
fn server(answer: fn(usize) -> u16) -> (String, Log) {
    let server = PostServer::start("/alerts", answer);
    (server.url, server.log)
}

fn alert(n: u64) -> Alert {
    Alert {
        kind: AlertKind::Rule,
        rule: "Test rule".into(),
        priority: Severity::Warning,
        time: 1_700_000_000_000_000_000 + n,
        output: format!("00:00:00.000000000: Warning alert {n}"),
        output_fields: vec![(
            "evt.num".into(),
            palisade_runtime::output::FieldValue::UInt(n),
        )],
        source: "syscall".into(),
        tags: Arc::from(vec!["test".to_owned()]),
        hostname: "test-host".into(),
    }
}

fn fast(url: &str, timeout_ms: u64, retries: u32) -> HttpConfig {
    HttpConfig {
        url: url.to_owned(),
        timeout: Duration::from_millis(timeout_ms),
        retries,
        backoff: Duration::from_millis(10),
    }
}

#[test]
fn posts_falco_json() {
    let (url, seen) = server(|_| 200);
    let worker = SinkWorker::spawn(Box::new(HttpSink::new(fast(&url, 2000, 2))), 16);
    for n in 0..3 {
        worker.send(Arc::new(alert(n)));
    }
    let stats = worker.close(Duration::from_secs(10));
    assert_eq!(stats.snapshot(), (3, 0, 0));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    let first: serde_json::Value = serde_json::from_str(&seen[0].1).unwrap();
    assert_eq!(first["rule"], "Test rule");
    assert_eq!(first["priority"], "Warning");
    assert_eq!(first["time"], "2023-11-14T22:13:20.000000000Z");
    assert_eq!(first["output_fields"]["evt.num"], 0);
    assert_eq!(first["hostname"], "test-host");
    assert_eq!(first["source"], "syscall");
    assert_eq!(first["tags"], serde_json::json!(["test"]));
}

#[test]
fn retries_a_server_that_fails_twice() {
    let (url, seen) = server(|n| if n < 2 { 500 } else { 200 });
    let worker = SinkWorker::spawn(Box::new(HttpSink::new(fast(&url, 2000, 3))), 16);
    worker.send(Arc::new(alert(7)));
    worker.send(Arc::new(alert(8)));
    let stats = worker.close(Duration::from_secs(10));
    assert_eq!(stats.snapshot(), (2, 0, 0), "delivered, failed, dropped");
    let seen = seen.lock().unwrap();
    let statuses: Vec<u16> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
    // The same alert was posted three times, then the next one once.
    assert_eq!(seen[0].1, seen[2].1);
    assert!(seen[3].1.contains("alert 8"));
}

#[test]
fn gives_up_after_retries_and_counts_the_failure() {
    let (url, seen) = server(|_| 503);
    let worker = SinkWorker::spawn(Box::new(HttpSink::new(fast(&url, 2000, 2))), 16);
    worker.send(Arc::new(alert(1)));
    let stats = worker.close(Duration::from_secs(10));
    assert_eq!(stats.snapshot(), (0, 1, 0));
    assert_eq!(seen.lock().unwrap().len(), 3);
    let error = stats.last_error.lock().unwrap().clone().unwrap();
    assert!(error.contains("gave up after 3 attempts"), "{error}");
    assert!(error.contains("503"), "{error}");
}

/// A server that accepts connections and never answers.
fn silent_server() -> (String, Arc<AtomicUsize>, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (count, done) = (Arc::clone(&accepted), Arc::clone(&stop));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            if done.load(Ordering::SeqCst) {
                return;
            }
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (url, accepted, stop)
}

#[test]
fn a_server_that_never_answers_fills_the_queue_and_drops_are_counted() {
    let (url, accepted, stop) = silent_server();
    let worker = SinkWorker::spawn(Box::new(HttpSink::new(fast(&url, 150, 1))), 8);
    let sent = 500;
    for n in 0..sent {
        worker.send(Arc::new(alert(n)));
    }
    // The queue never holds more than its capacity.
    assert!(worker.queued() <= 8);
    let dropped_while_sending = worker.stats().snapshot().2;
    // All but the 8 queued and the one (at most two) in delivery were
    // dropped, oldest first; sending never waited for the server.
    assert!(
        dropped_while_sending >= sent - 8 - 2,
        "dropped {dropped_while_sending}"
    );
    // Wait (bounded) until the worker is busy posting to the server.
    for _ in 0..500 {
        if accepted.load(Ordering::SeqCst) > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = worker.close(Duration::ZERO);
    let (delivered, failed, dropped) = stats.snapshot();
    assert_eq!(delivered, 0);
    // Every alert is accounted for: failed after its retries, or dropped.
    assert_eq!(failed + dropped, sent, "failed {failed}, dropped {dropped}");
    assert!(failed >= 1);
    assert!(accepted.load(Ordering::SeqCst) >= 1);
    stop.store(true, Ordering::SeqCst);
}

#[test]
fn the_matcher_never_blocks_on_a_dead_sink() {
    let (url, _accepted, stop) = silent_server();
    let mut builder = RuleSet::builder(Schema::falco());
    let mut spec = RuleSpec::new(
        "exec",
        parse("evt.type = execve").unwrap(),
        Severity::Notice,
    );
    spec.output = "exec %proc.name %evt.num".into();
    builder.add(spec).unwrap();
    let rules = builder.build();
    let clock = FakeClock::new(0);
    let mut pipeline =
        Pipeline::new(rules.clone(), PipelineConfig::default(), Box::new(clock)).unwrap();
    let worker = SinkWorker::spawn(Box::new(HttpSink::new(fast(&url, 150, 1))), 4);
    pipeline.watch_drops("http", Arc::clone(&worker.stats().dropped));
    let lines: Vec<String> = (1..=2000)
        .map(|n| format!(r#"{{"evt.num":{n},"evt.type":"execve","proc.name":"p"}}"#))
        .collect();
    let events = FlatEvents::parse(&lines.join("\n"), rules.schema()).unwrap();
    let mut delivered = 0;
    for event in events.events() {
        pipeline.process(event, &mut |a| {
            delivered += 1;
            worker.send(Arc::new(a));
        });
    }
    let mut summaries = Vec::new();
    pipeline.flush(&mut |a| summaries.push(a));
    assert_eq!(delivered, 2000);
    assert_eq!(pipeline.stats().events, 2000);
    // The drops are reported in the summary alert.
    assert_eq!(summaries.len(), 1);
    let dropped_reported = summaries[0]
        .output_fields
        .iter()
        .find(|(k, _)| &**k == "dropped[http]")
        .map(|(_, v)| v.clone())
        .unwrap();
    let palisade_runtime::output::FieldValue::UInt(reported) = dropped_reported else {
        panic!("dropped count")
    };
    assert!(reported >= 2000 - 4 - 2, "reported {reported}");
    let stats = worker.close(Duration::ZERO);
    let (_, failed, dropped) = stats.snapshot();
    assert_eq!(failed + dropped, 2000);
    stop.store(true, Ordering::SeqCst);
}
