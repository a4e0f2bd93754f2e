//! `peers-network`: the network rows of `benches/peers/run` (see
//! `benches/peers/README.md`).
//!
//! Generated clusters (`palisade::network::synthetic::cluster`) of 100,
//! 1,000 and 10,000 pods, with namespaces and policies in proportion (20
//! pods and 4 policies per namespace: the network benchmark's mix of
//! NetworkPolicies, CiliumNetworkPolicies, AdminNetworkPolicies and a
//! BaselineAdminNetworkPolicy). Decisions are flows pod -> pod (and a few
//! pod <-> address outside the cluster) on four ports: every pair at 100
//! pods, a deterministic sample of pairs above. Each decision is made by
//! the resolver (`Resolver::check`, verdict with reasons) and by the naive
//! evaluator (`palisade::network::naive`: every policy walked for each decision); the
//! verdicts must agree. Reported: time per decision (each engine at its
//! fastest of N passes over the sample), the resolver's build time, and
//! how both grow with the cluster.
//!
//! ```text
//! usage: peers-network [--reps N] [--sizes 100,1000,10000]
//! ```
//!
//! Output: detail lines (`network pods=...`), then table rows
//! `row|work|engine|time per item|ratio|agree`. Exit status: 0 agreement,
//! 1 disagreement, 2 bad usage.

#[path = "../timing.rs"]
#[expect(
    dead_code,
    reason = "shared with the admission runner, which uses all of it"
)]
mod timing;

use std::hint::black_box;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Instant;

use palisade::network::EndpointId;
use palisade::network::Protocol;
use palisade::network::synthetic::{Sizes, cluster};
use palisade::network::{Catalog, Resolver};
use palisade::network::{Flow, FlowEnd};

use crate::timing::{batch_best, human_ns};
use palisade::network::naive::{self, End};

const PORTS: [(Protocol, u16); 4] = [
    (Protocol::Tcp, 8080),
    (Protocol::Tcp, 443),
    (Protocol::Udp, 53),
    (Protocol::Tcp, 25),
];

/// Addresses outside the cluster: in the partner network, in 10/8 but
/// in the excepted 10.96/12, and on the internet.
const IPS: [&str; 4] = ["198.51.100.7", "10.1.2.3", "10.96.0.10", "8.8.8.8"];

/// Flows of more than this many pairs are sampled.
const SAMPLE: usize = 10_000;

fn sizes_of(pods: usize) -> Sizes {
    let namespaces = (pods / 20).max(1);
    Sizes {
        namespaces,
        apps: 5,
        pods_per_app: 4,
        policies: namespaces * 4,
    }
}

/// The decisions of a cluster of `n` pods: every pair and port when that
/// is at most [`SAMPLE`] pairs, a spread sample otherwise, plus flows
/// between every 50th pod and the outside addresses.
fn flows(n: u32, ips: &[IpAddr]) -> Vec<Flow> {
    let mut out = Vec::new();
    let pairs = u64::from(n) * u64::from(n);
    let pair = |i: u64| -> (u32, u32) {
        if pairs as usize <= SAMPLE {
            ((i / u64::from(n)) as u32, (i % u64::from(n)) as u32)
        } else {
            let a = i.wrapping_mul(7919) % u64::from(n);
            let b = (i.wrapping_mul(104_729) + i / 7) % u64::from(n);
            (a as u32, b as u32)
        }
    };
    for i in 0..pairs.min(SAMPLE as u64) {
        let (a, b) = pair(i);
        for (k, &(protocol, port)) in PORTS.iter().enumerate() {
            // Above the sample size, one port per pair (rotating).
            if pairs as usize > SAMPLE && (i as usize) % PORTS.len() != k {
                continue;
            }
            out.push(Flow {
                src: FlowEnd::Endpoint(EndpointId(a)),
                dst: FlowEnd::Endpoint(EndpointId(b)),
                protocol,
                port,
            });
        }
    }
    for pod in (0..n).step_by(50) {
        for ip in ips {
            for &(protocol, port) in &PORTS {
                out.push(Flow {
                    src: FlowEnd::Endpoint(EndpointId(pod)),
                    dst: FlowEnd::Ip(*ip),
                    protocol,
                    port,
                });
                out.push(Flow {
                    src: FlowEnd::Ip(*ip),
                    dst: FlowEnd::Endpoint(EndpointId(pod)),
                    protocol,
                    port,
                });
            }
        }
    }
    out
}

fn end<'a>(catalog: &'a Catalog, end: &FlowEnd) -> Option<End<'a>> {
    match end {
        FlowEnd::Endpoint(id) => catalog.inventory.endpoints.get(id.index()).map(End::Pod),
        FlowEnd::Ip(ip) => Some(End::Ip(*ip)),
        _ => None,
    }
}

fn naive_allowed(catalog: &Catalog, flow: &Flow) -> bool {
    match (end(catalog, &flow.src), end(catalog, &flow.dst)) {
        (Some(src), Some(dst)) => naive::allowed(catalog, &src, &dst, flow.protocol, flow.port),
        _ => false,
    }
}

fn row(cells: &[&str]) {
    println!("row|{}", cells.join("|"));
}

/// What one size measured.
struct Measured {
    pods: usize,
    naive_ns: f64,
    resolver_ns: f64,
    build_ns: f64,
}

fn run_size(pods: usize, reps: u32, ips: &[IpAddr]) -> (Measured, bool) {
    let sizes = sizes_of(pods);
    let catalog = cluster(sizes);
    let n = catalog.inventory.endpoints.len();
    // Build: the fastest of `reps` (the catalog cloned outside the clock).
    let mut build_ns = f64::INFINITY;
    for _ in 0..reps.max(1) {
        let copy = catalog.clone();
        let start = Instant::now();
        let resolver = black_box(Resolver::new(copy));
        build_ns = build_ns.min(start.elapsed().as_nanos() as f64);
        drop(resolver);
    }
    let resolver = Resolver::new(catalog.clone());
    let flows = flows(n as u32, ips);
    let (mut agree, mut disagree, mut allowed) = (0usize, 0usize, 0usize);
    for flow in &flows {
        let ours = resolver.check(flow).allowed;
        let theirs = naive_allowed(&catalog, flow);
        if ours == theirs {
            agree += 1;
            allowed += usize::from(ours);
        } else {
            disagree += 1;
            if disagree <= 20 {
                eprintln!(
                    "network: DISAGREE {pods} pods: {:?} -> {:?} {}/{}: resolver {ours}, naive {theirs}",
                    flow.src, flow.dst, flow.protocol, flow.port
                );
            }
        }
    }
    let count = flows.len().max(1) as f64;
    // One pass over the sample is a batch; the fastest of `reps` passes
    // (more for small clusters, up to about half a second of naive
    // passes, so a quick pass is not left to the luck of a few), the two
    // engines interleaved.
    let (mut resolver_ns, mut naive_ns) = (f64::INFINITY, f64::INFINITY);
    let first_pass = batch_best(1, 1, || {
        flows
            .iter()
            .filter(|f| naive_allowed(&catalog, black_box(f)))
            .count()
    });
    let passes = reps.max((5e8 / first_pass.max(1.0)).min(50.0) as u32);
    for _ in 0..passes {
        resolver_ns = resolver_ns.min(batch_best(1, 1, || {
            flows
                .iter()
                .filter(|f| resolver.check(black_box(f)).allowed)
                .count()
        }));
        naive_ns = naive_ns.min(batch_best(1, 1, || {
            flows
                .iter()
                .filter(|f| naive_allowed(&catalog, black_box(f)))
                .count()
        }));
    }
    let (resolver_ns, naive_ns) = (resolver_ns / count, naive_ns / count);
    println!(
        "network pods={n} namespaces={} policies={} identities={} decisions={} allowed={allowed} build_ns={build_ns:.0} resolver_ns={resolver_ns:.1} naive_ns={naive_ns:.1} speedup={:.1} agree={agree} disagree={disagree}",
        catalog.inventory.namespaces.len(),
        catalog.policies.policies.len(),
        resolver.identities().len(),
        flows.len(),
        naive_ns / resolver_ns,
    );
    let work = format!(
        "network: {n} pods, {} namespaces, {} policies ({} decisions{})",
        catalog.inventory.namespaces.len(),
        catalog.policies.policies.len(),
        flows.len(),
        if n * n > SAMPLE { ", sampled" } else { "" }
    );
    let agreed = if disagree == 0 {
        format!("yes ({agree}/{agree} verdicts, {allowed} allowed)")
    } else {
        format!("NO ({disagree} of {} differ)", agree + disagree)
    };
    row(&[
        &work,
        "naive per-pair evaluator (every policy per decision)",
        &format!("{}/decision", human_ns(naive_ns)),
        "1.00x (baseline)",
        &agreed,
    ]);
    row(&[
        &work,
        "palisade-network Resolver::check",
        &format!(
            "{}/decision (build {})",
            human_ns(resolver_ns),
            human_ns(build_ns)
        ),
        &format!("{:.1}x", naive_ns / resolver_ns),
        &agreed,
    ]);
    (
        Measured {
            pods: n,
            naive_ns,
            resolver_ns,
            build_ns,
        },
        disagree == 0,
    )
}

fn main() -> ExitCode {
    let mut reps = 5u32;
    let mut sizes = vec![100usize, 1_000, 10_000];
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next();
        match (arg.as_str(), value) {
            ("--reps", Some(v)) if v.parse::<u32>().is_ok() => reps = v.parse().unwrap_or(5),
            ("--sizes", Some(v)) => {
                sizes = v.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            }
            _ => {
                eprintln!("usage: peers-network [--reps N] [--sizes 100,1000,10000]");
                return ExitCode::from(2);
            }
        }
    }
    let ips: Vec<IpAddr> = IPS.iter().filter_map(|s| s.parse().ok()).collect();
    let mut all_agree = true;
    let mut measured = Vec::new();
    for pods in sizes {
        let (m, agree) = run_size(pods, reps, &ips);
        all_agree &= agree;
        measured.push(m);
    }
    if let Some(first) = measured.first() {
        for m in &measured {
            let scale = m.pods as f64 / first.pods as f64;
            println!(
                "network growth pods={} size_x={scale:.0} naive_per_decision_x={:.1} resolver_per_decision_x={:.1} build_x={:.1}",
                m.pods,
                m.naive_ns / first.naive_ns,
                m.resolver_ns / first.resolver_ns,
                m.build_ns / first.build_ns
            );
        }
    }
    if all_agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
