//! Network resolver on the issue's generated cluster: 10,000 pods in 500
//! namespaces with 2,000 mixed policies (NetworkPolicy, AdminNetworkPolicy,
//! BaselineAdminNetworkPolicy). Build, one `check`, the full identity matrix,
//! and the peak memory (VmHWM) of building plus one matrix.
#![allow(
    clippy::indexing_slicing,
    reason = "indices are taken modulo the array lengths"
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use palisade::network::EndpointId;
use palisade::network::Protocol;
use palisade::network::Resolver;
use palisade::network::synthetic::{Sizes, cluster};
use palisade::network::{Flow, FlowEnd};
use palisade_benches::cpu::cpu_ns_per_run;

/// Peak resident memory of this process so far, from `/proc/self/status`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn network(c: &mut Criterion) {
    let catalog = cluster(Sizes::ISSUE);
    let resolver = Resolver::new(catalog.clone());
    let matrix = resolver.matrix();
    eprintln!(
        "network: {} pods, {} namespaces, {} policies -> {} identities, {} distinct selectors, {} compiled rules, {} allowed identity pairs, {} distinct matrix rows; peak RSS after build + matrix: {} KiB",
        catalog.inventory.endpoints.len(),
        catalog.inventory.namespaces.len(),
        catalog.policies.policies.len(),
        resolver.identities().len(),
        resolver.selector_count(),
        resolver.rule_count(),
        matrix.allowed_pairs(),
        matrix.distinct_rows(),
        peak_rss_kib().map_or_else(|| "unknown".to_owned(), |k| k.to_string()),
    );
    drop(matrix);

    let mut group = c.benchmark_group("network");
    group.sample_size(10);
    group.bench_function("build_10k_pods_2k_policies", |b| {
        b.iter_batched(
            || catalog.clone(),
            |c| black_box(Resolver::new(c)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("matrix_10k_pods_2k_policies", |b| {
        b.iter(|| black_box(resolver.matrix()))
    });
    group.finish();

    // Flows spread over the cluster: pods i -> j on a few ports and protocols.
    let n = catalog.inventory.endpoints.len() as u32;
    let ports = [
        (Protocol::Tcp, 8080),
        (Protocol::Tcp, 443),
        (Protocol::Udp, 53),
        (Protocol::Tcp, 25),
    ];
    let flows: Vec<Flow> = (0..1024u32)
        .map(|i| {
            let (protocol, port) = ports[(i % 4) as usize];
            Flow {
                src: FlowEnd::Endpoint(EndpointId(i.wrapping_mul(7919) % n)),
                dst: FlowEnd::Endpoint(EndpointId(i.wrapping_mul(104_729) % n)),
                protocol,
                port,
            }
        })
        .collect();
    let allowed = flows.iter().filter(|f| resolver.check(f).allowed).count();
    eprintln!(
        "network: {allowed} of {} benchmark flows allowed",
        flows.len()
    );
    // CPU time per operation, robust to a busy machine.
    let per_check = cpu_ns_per_run(2_000_000, |i| {
        black_box(
            resolver
                .check(black_box(&flows[(i & 1023) as usize]))
                .allowed,
        );
    });
    let per_build = cpu_ns_per_run(5, |_| {
        black_box(Resolver::new(catalog.clone()));
    });
    let per_matrix = cpu_ns_per_run(3, |_| {
        black_box(resolver.matrix());
    });
    let fmt = |v: f64, div: f64, unit: &str| format!("{:.1} {unit}", v / div);
    eprintln!(
        "network: CPU time per check {}, per build (incl. cloning the catalog) {}, per matrix {}",
        fmt(per_check, 1.0, "ns"),
        fmt(per_build, 1e6, "ms"),
        fmt(per_matrix, 1e6, "ms"),
    );
    let mut group = c.benchmark_group("network");
    group.bench_function("check_one_flow", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(resolver.check(black_box(&flows[i])).allowed)
        })
    });
    group.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
