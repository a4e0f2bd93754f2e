//! Declared intent and observed flows on the network issue's generated
//! cluster (10,000 pods in 500 namespaces, 2,000 policies): judging Hubble
//! flow records (goal: 1 M flows/s), comparing a declaration with the
//! policies (`network intent`), and writing least-privilege policies from
//! it (`network generate`), the comparison on the policies written, and
//! what removing one namespace's ingress allows from them closes
//! (`network diff`). The declaration: in each namespace, every pod
//! of `app-a` calls every pod of `app-(a+1)` (2,500 ClientIntents, 10,000
//! declared paths), plus the implicit DNS.
#![allow(
    clippy::indexing_slicing,
    reason = "indices are taken modulo the array lengths"
)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use palisade::network::diff::diff;
use palisade::network::flows::{FlowJudge, FlowRecord, ObservedDirection, ObservedEnd};
use palisade::network::intent::Generated;
use palisade::network::intent::{Declaration, Flavor, compare, generate};
use palisade::network::synthetic::{Sizes, cluster};
use palisade::network::{Catalog, Endpoint, Issues, PolicySet, Protocol, Resolver};
use palisade_benches::cpu::cpu_ns_per_run;

/// The ClientIntents of the benchmark declaration, as YAML.
fn intents_yaml(endpoints: &[Endpoint]) -> String {
    let mut out = String::new();
    for e in endpoints {
        let Some(app) = e.labels.get("app").and_then(|a| a.strip_prefix("app-")) else {
            continue;
        };
        let next = app.parse::<usize>().unwrap_or(0) + 1;
        let targets: Vec<String> = (0..4)
            .map(|p| format!("{{kubernetes: {{name: app-{next}-{p}}}}}"))
            .collect();
        let _ = write!(
            out,
            "---\napiVersion: k8s.otterize.com/v2beta1\nkind: ClientIntents\nmetadata: {{name: {}, namespace: {}}}\nspec:\n  workload: {{name: {}}}\n  targets: [{}]\n",
            e.name,
            e.namespace,
            e.name,
            targets.join(", ")
        );
    }
    out
}

/// A Hubble record of a flow between two pods, as the export names them.
fn record(line: usize, src: &Endpoint, dst: &Endpoint, port: (Protocol, u16)) -> FlowRecord {
    let end = |e: &Endpoint| ObservedEnd {
        namespace: e.namespace.clone(),
        labels: e
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        reserved: Vec::new(),
        pod: Some(e.name.clone()),
        ip: None,
        names: Vec::new(),
    };
    FlowRecord {
        line,
        verdict: if line.is_multiple_of(3) {
            "DROPPED"
        } else {
            "FORWARDED"
        }
        .to_owned(),
        source: end(src),
        destination: end(dst),
        l4: Some(port),
        direction: if line.is_multiple_of(2) {
            ObservedDirection::Egress
        } else {
            ObservedDirection::Ingress
        },
        is_reply: false,
        drop_reason: None,
    }
}

/// The synthetic inventory with the `generated` policies `keep` keeps,
/// read back from their YAML.
fn policies_with(
    catalog: &Catalog,
    generated: &[Generated],
    keep: impl Fn(&Generated) -> bool,
) -> Resolver {
    let yaml: Vec<String> = generated
        .iter()
        .filter(|g| keep(g))
        .map(Generated::to_yaml)
        .collect();
    let manifests = palisade::manifest::load_str("generated.yaml", &yaml.join("---\n")).objects;
    let policies = PolicySet::from_manifests(&manifests, &mut Issues::default());
    Resolver::new(Catalog {
        inventory: catalog.inventory.clone(),
        policies,
    })
}

fn network_intent(c: &mut Criterion) {
    let catalog = cluster(Sizes::ISSUE);
    let resolver = Resolver::new(catalog.clone());
    let endpoints = &catalog.inventory.endpoints;
    let text = intents_yaml(endpoints);
    let manifests = palisade::manifest::load_str("intents.yaml", &text).objects;
    let mut issues = Issues::default();
    let declaration = Declaration::from_manifests(&manifests, &mut issues);

    // Flow records spread over the cluster.
    let n = endpoints.len();
    let ports = [8080, 443, 53, 9090].map(|p| {
        (
            if p == 53 {
                Protocol::Udp
            } else {
                Protocol::Tcp
            },
            p,
        )
    });
    let records: Vec<FlowRecord> = (0..4096usize)
        .map(|i| {
            let src = &endpoints[i.wrapping_mul(7919) % n];
            let dst = &endpoints[i.wrapping_mul(104_729) % n];
            record(i + 1, src, dst, ports[i % 4])
        })
        .collect();
    let judge = FlowJudge::new(&resolver, Some(&declaration), &mut issues);
    let per_flow = cpu_ns_per_run(200_000, |i| {
        black_box(judge.judge(black_box(&records[(i & 4095) as usize])).ok());
    });
    let write = || {
        let mut issues = Issues::default();
        generate(
            &catalog.inventory,
            &declaration,
            Flavor::Kubernetes,
            &mut issues,
        )
        .ok()
    };
    let per_generate = cpu_ns_per_run(3, |_| {
        black_box(write());
    });
    // The comparison runs on the least-privilege set written from the
    // declaration (the synthetic policies allow about 17 M endpoint pairs
    // nobody declared: the report would list and explain every one).
    let generated = write().unwrap_or_default();
    let least = policies_with(&catalog, &generated, |_| true);
    let start = std::time::Instant::now();
    let report = compare(&least, &declaration, &mut issues);
    let compare_wall = start.elapsed();
    let per_compare = cpu_ns_per_run(1, |_| {
        black_box(compare(&least, &declaration, &mut Issues::default()));
    });
    // A change: the first namespace's ingress allows removed.
    let first = catalog.inventory.endpoints[0].namespace.clone();
    let tighter = policies_with(&catalog, &generated, |g| {
        let name = g.object.pointer("/metadata/name").and_then(|n| n.as_str());
        !(g.namespace == first && name.is_some_and(|n| n.ends_with("-ingress")))
    });
    let start = std::time::Instant::now();
    let found = diff(&least, &tighter);
    let diff_wall = start.elapsed();
    eprintln!(
        "network diff: {} generated policies, the ingress allows of `{first}` removed: {} pairs of ends changed, {} paths opened, {} closed; {:.2} s wall",
        generated.len(),
        found.changes.len(),
        found.opened.len(),
        found.closed.len(),
        diff_wall.as_secs_f64(),
    );
    eprintln!(
        "network intent: {} intents; judging a flow record {:.0} ns CPU ({:.2} M flows/s on one core); intent compare on the generated set {:.2} s CPU ({:.2} s wall; {} undeclared, {} blocked); generate (kubernetes) {:.1} ms CPU",
        declaration.intents.len(),
        per_flow,
        1e3 / per_flow,
        per_compare / 1e9,
        compare_wall.as_secs_f64(),
        report.undeclared.len(),
        report.blocked.len(),
        per_generate / 1e6,
    );
    let mut group = c.benchmark_group("network_intent");
    group.bench_function("judge_one_flow_record", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            black_box(judge.judge(black_box(&records[i])).ok())
        })
    });
    group.sample_size(10);
    group.bench_function("generate_kubernetes_10k_pods", |b| {
        b.iter(|| black_box(write()))
    });
    group.finish();
}

criterion_group!(benches, network_intent);
criterion_main!(benches);
