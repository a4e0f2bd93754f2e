//! Decoding `.scap` captures natively: event records per second through the
//! reader (block framing, event header, parameter table, every parameter
//! decoded), on one thread, from memory.
//!
//! - `scap/decode/plain`: the 8 corpus captures, decompressed beforehand;
//! - `scap/decode/gzip`: the same captures as stored (gzip), decompression
//!   included;
//! - `scap/replay/events`: the captures as stored, read as events rules run
//!   on (decode, thread/fd/user/container state, the 74 fields of each
//!   shown event);
//! - `scap/replay/official_rules`: the same, and every shown event matched
//!   against all the official rules (the three files, 93 rules), as
//!   `palisade runtime replay --events X.scap` does: end to end.
//!
//! Skipped with a notice when the corpus is absent.

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade::runtime::scap::{Capture, CaptureEvents};
use palisade::runtime::{MatchMode, RuleSet, Schema, alert_schema};
use palisade_benches::runtime_stream::{build, load, rule_texts};

/// Reads every record of `bytes`, decoding every parameter; returns the
/// number of records.
fn decode(bytes: &[u8]) -> u64 {
    let Ok(mut capture) = Capture::from_reader("bench.scap", bytes) else {
        return 0;
    };
    let mut n = 0;
    while let Ok(Some(event)) = capture.next_event() {
        n += 1;
        for param in event.params() {
            black_box(param.value());
        }
        black_box(event.type_name());
    }
    n
}

fn decoding(c: &mut Criterion) {
    let Some(dir) = palisade_testkit::corpus("falco/captures") else {
        return;
    };
    let mut stored = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    paths.sort();
    for path in paths {
        if let Ok(bytes) = std::fs::read(&path) {
            stored.push(bytes);
        }
    }
    let plain: Vec<Vec<u8>> = stored
        .iter()
        .map(|gz| {
            let mut out = Vec::new();
            let _ = flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut out);
            out
        })
        .collect();
    let records: u64 = plain.iter().map(|p| decode(p)).sum();
    let mut group = c.benchmark_group("scap/decode");
    group.throughput(Throughput::Elements(records));
    group.bench_function("plain", |b| {
        b.iter(|| plain.iter().map(|p| decode(black_box(p))).sum::<u64>())
    });
    group.bench_function("gzip", |b| {
        b.iter(|| stored.iter().map(|p| decode(black_box(p))).sum::<u64>())
    });
    group.finish();
}

/// Reads every capture of `stored` as events and, with `rules`, matches
/// each; returns the shown events and the rules fired.
fn replay(stored: &[Vec<u8>], schema: &Schema, rules: Option<&RuleSet>) -> (u64, u64) {
    let mut matcher = rules.map(RuleSet::matcher);
    let (mut events, mut fired) = (0, 0);
    for bytes in stored {
        let Ok(mut capture) = CaptureEvents::from_reader("bench.scap", &bytes[..]) else {
            continue;
        };
        let _ = capture.for_each(schema, &mut |event| {
            events += 1;
            if let Some(m) = matcher.as_mut() {
                fired += m.matches(event).len() as u64;
            }
        });
    }
    (events, fired)
}

fn replaying(c: &mut Criterion) {
    let Some(dir) = palisade_testkit::corpus("falco") else {
        return;
    };
    let Some(captures) = palisade_testkit::captures() else {
        return;
    };
    let stored: Vec<Vec<u8>> = captures
        .iter()
        .filter_map(|c| std::fs::read(&c.scap).ok())
        .collect();
    let Some(texts) = rule_texts(&dir) else {
        return;
    };
    let schema = alert_schema();
    let rules = build(&schema, &load(&schema, &texts), MatchMode::First);
    let (events, _) = replay(&stored, &schema, None);
    let mut group = c.benchmark_group("scap/replay");
    group.throughput(Throughput::Elements(events));
    group.bench_function("events", |b| {
        b.iter(|| replay(black_box(&stored), &schema, None))
    });
    group.bench_function("official_rules", |b| {
        b.iter(|| replay(black_box(&stored), &schema, Some(&rules)))
    });
    group.finish();
}

criterion_group!(benches, decoding, replaying);
criterion_main!(benches);
