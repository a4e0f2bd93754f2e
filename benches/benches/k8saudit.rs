//! Kubernetes audit events through Falco's official k8saudit rules
//! (`k8s_audit_rules-latest.yaml`, first match per event as Falco), on one
//! thread, from memory: every audit event of the corpus traces, one JSON
//! object per line (about 1.7 KB each).
//!
//! - `k8saudit/read`: reading only (JSON parsed, events recognized);
//! - `k8saudit/read+match`: reading and matching, what a replay of an audit
//!   log does;
//! - `k8saudit/match/cold`: matching events already read, each field's value
//!   extracted on first use (fresh copies of the events per batch, the copy
//!   untimed);
//! - `k8saudit/match/warm`: matching the same events again, their values
//!   already extracted: the VM alone.
//!
//! Skipped with a notice when the corpus is absent.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use palisade::runtime::k8saudit::{AuditEvent, AuditEvents};
use palisade::runtime::{MatchMode, RuleSet};

/// The corpus traces' audit events, one per line.
fn log_text(dir: &std::path::Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir.join("traces")) else {
        return String::new();
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut text = String::new();
    for path in paths {
        if let Ok(trace) = std::fs::read_to_string(&path) {
            for line in trace.lines().filter(|l| l.contains("\"auditID\"")) {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text
}

fn fired(rules: &RuleSet, events: &[AuditEvent]) -> usize {
    let mut matcher = rules.matcher();
    events
        .iter()
        .map(|e| matcher.matches(black_box(e)).len())
        .sum()
}

fn k8saudit(c: &mut Criterion) {
    let Some(dir) = palisade_testkit::corpus("falco/k8saudit") else {
        return;
    };
    let Ok(rules) = palisade::runtime::compile_files(
        &[dir.join("rules/k8s_audit_rules-latest.yaml")],
        MatchMode::First,
    ) else {
        eprintln!("skipping: the k8saudit rules did not compile");
        return;
    };
    let text = log_text(&dir);
    let schema = rules.schema().clone();
    let events = AuditEvents::parse(&text, &schema).into_events();
    let n = events.len() as u64;

    let mut group = c.benchmark_group("k8saudit");
    group.throughput(Throughput::Elements(n));
    group.bench_function("read", |b| {
        b.iter(|| AuditEvents::parse(black_box(&text), &schema).events().len())
    });
    group.bench_function("read+match", |b| {
        b.iter(|| {
            fired(
                &rules,
                AuditEvents::parse(black_box(&text), &schema).events(),
            )
        })
    });
    group.bench_function("match/cold", |b| {
        b.iter_batched(
            || events.clone(),
            |fresh| fired(&rules, &fresh),
            BatchSize::SmallInput,
        )
    });
    let warm = events.clone();
    fired(&rules, &warm);
    group.bench_function("match/warm", |b| b.iter(|| fired(&rules, &warm)));
    group.finish();
    let mut bytes = c.benchmark_group("k8saudit/bytes");
    bytes.throughput(Throughput::Bytes(text.len() as u64));
    bytes.bench_function("read", |b| {
        b.iter(|| AuditEvents::parse(black_box(&text), &schema).events().len())
    });
    bytes.finish();
}

criterion_group!(benches, k8saudit);
criterion_main!(benches);
