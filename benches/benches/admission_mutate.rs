//! Mutation and remediation: one Pod through the built-in remediation pack
//! (Kyverno mutate rules: strategic merge, `foreach`, JMESPath; goal under
//! 20 µs), the same with the Pod Security check `admission fix` adds, and
//! writing a fixed Deployment back into its YAML text (`yaml_edit`).
//!
//! Every benchmark runs with the wall clock (`mutate/...`) and with the
//! thread's CPU time (`cpu/mutate/...`), as in `admission_native`.

use std::hint::black_box;

use criterion::measurement::Measurement;
use criterion::{Criterion, SamplingMode};
use palisade_benches::cpu::ThreadCpu;
use palisade_benches::mutate_input::unhardened_pod;

use palisade::admission::mutate::fix::{FixedObject, Fixer, rewrite_file};
use palisade::admission::mutate::{self, remediation};
use palisade::admission::pattern::PatternRequest;

/// A Deployment file with comments and a second document, as `fix --write`
/// rewrites it.
const DEPLOYMENT: &str = "# web\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web  # the name\n  namespace: shop\nspec:\n  replicas: 3\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: ghcr.io/example/web:2   # pinned\n        ports:\n        - containerPort: 8080\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n";

/// Wall-clock runs (`mutate/...`).
fn wall(c: &mut Criterion) {
    bench(c, "");
}

/// CPU-time runs (`cpu/mutate/...`).
fn cpu(c: &mut Criterion<ThreadCpu>) {
    bench(c, "cpu/");
}

#[expect(clippy::expect_used, reason = "the benchmark's own inputs are valid")]
fn bench<M: Measurement + 'static>(c: &mut Criterion<M>, prefix: &str) {
    let pack = remediation::remediation_pack();
    assert!(pack.errors.is_empty(), "{:?}", pack.errors);
    let fixer = Fixer::with_pack(Vec::new());
    let raw = unhardened_pod();
    let hardened = mutate::mutate(&pack.policies, &PatternRequest::create(&raw)).object;
    let deployment = palisade::manifest::load_str("web.yaml", DEPLOYMENT)
        .objects
        .into_iter()
        .next()
        .expect("a Deployment");
    let fixed = fixer.fix(&deployment.object).object;
    let mut group = c.benchmark_group(format!("{prefix}mutate"));
    if !prefix.is_empty() {
        group.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    for (label, object) in [("unhardened", &raw), ("hardened", &hardened)] {
        group.bench_function(format!("remediation_pack/{label}"), |b| {
            b.iter(|| {
                mutate::mutate(
                    black_box(&pack.policies),
                    &PatternRequest::create(black_box(object)),
                )
            })
        });
        group.bench_function(format!("fix_with_pss_check/{label}"), |b| {
            b.iter(|| fixer.fix(black_box(object)))
        });
    }
    group.bench_function("rewrite_file/deployment", |b| {
        let objects = [FixedObject {
            document: 0,
            item: None,
            object: &fixed,
        }];
        b.iter(|| rewrite_file("web.yaml", black_box(DEPLOYMENT), &objects).expect("rewritten"))
    });
    group.finish();
}

palisade_benches::wall_and_cpu_main!(wall: wall; cpu: cpu);
