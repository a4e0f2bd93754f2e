//! Decoding `.scap` captures natively: event records per second through the
//! reader (block framing, event header, parameter table, every parameter
//! decoded), on one thread, from memory.
//!
//! - `scap/decode/plain`: the 8 corpus captures, decompressed beforehand;
//! - `scap/decode/gzip`: the same captures as stored (gzip), decompression
//!   included.
//!
//! Skipped with a notice when the corpus is absent.

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade::runtime::scap::Capture;

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

criterion_group!(benches, decoding);
criterion_main!(benches);
