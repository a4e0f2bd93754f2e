//! Manifest loading throughput: the example cluster, parsed and flattened.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade::manifest;

const CLUSTER: &str = include_str!("../../examples/data/cluster.yaml");

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifests");
    group.throughput(Throughput::Bytes(CLUSTER.len() as u64));
    group.bench_function("load_example_cluster", |b| {
        b.iter(|| manifest::load_str("cluster.yaml", black_box(CLUSTER)))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
