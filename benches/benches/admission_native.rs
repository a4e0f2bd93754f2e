//! Admission, native paths: one review of a parsed object by (a) the Pod
//! Security Standards at `restricted:latest` and (b) the built-in policy
//! pack. Target: under 5 µs per review.
//!
//! Every benchmark runs twice: with criterion's wall-clock measurement
//! (`admission/...`) and with the benchmark thread's CPU time
//! (`cpu/admission/...`, `palisade_benches::cpu::ThreadCpu`), which
//! stays meaningful on a shared machine where the thread is often
//! preempted (the wall clock then counts time other processes ran).

use std::hint::black_box;

use criterion::measurement::Measurement;
use criterion::{Criterion, SamplingMode};
use palisade_benches::cpu::ThreadCpu;

use palisade::admission::builtin::BuiltinPack;
use palisade::admission::pss::{self, Level, LevelVersion, Version};
use palisade::admission::{AdmissionRequest, Context};
use serde_json::{Value, json};

/// A Pod with two containers, an init container, limits, labels, probes
/// and volumes. The compliant one passes `restricted` and the built-in pack;
/// the other has a privileged container, an unlisted image and a hostPath
/// volume.
fn pod(compliant: bool) -> Value {
    let container = |name: &str, privileged: bool, image: String| {
        json!({
            "name": name,
            "image": image,
            "ports": [{"containerPort": 8080}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "privileged": privileged,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"}
            }
        })
    };
    let image = |name: &str| format!("ghcr.io/example/{name}:1.4.2");
    let (sidecar_image, first_volume) = if compliant {
        (image("sidecar"), json!({"name": "cache", "emptyDir": {}}))
    } else {
        (
            "docker.io/library/busybox".to_owned(),
            json!({"name": "host", "hostPath": {"path": "/"}}),
        )
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web", "namespace": "shop",
            "labels": {"app": "web", "owner": "team-shop", "env": "prod"},
            "annotations": {"example.com/revision": "42"}
        },
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [container("migrate", false, image("migrate"))],
            "containers": [
                container("web", !compliant, image("web")),
                container("sidecar", false, sidecar_image)
            ],
            "volumes": [first_volume, {"name": "config", "configMap": {"name": "web"}}]
        }
    })
}

#[expect(
    clippy::expect_used,
    reason = "the benchmark's own object is a valid Pod"
)]
fn bench<M: Measurement + 'static>(c: &mut Criterion<M>, prefix: &str) {
    let restricted = LevelVersion::new(Level::Restricted, Version::Latest);
    let pack = BuiltinPack::default();
    let set = pack.policy_set();
    let context = Context::new();
    let mut group = c.benchmark_group(format!("{prefix}admission"));
    if !prefix.is_empty() {
        // The CPU clock advances in scheduler ticks: few, long samples.
        group.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    for (label, pod) in [("allowed", pod(true)), ("denied", pod(false))] {
        group.bench_function(format!("pss_restricted/{label}"), |b| {
            b.iter(|| pss::evaluate(black_box(restricted), black_box(&pod)))
        });
        group.bench_function(format!("builtin_pack/{label}"), |b| {
            b.iter(|| pack.check(black_box(&pod)))
        });
        let request = AdmissionRequest::from_object(pod.clone()).expect("a Kubernetes object");
        group.bench_function(format!("builtin_pack_policy_set/{label}"), |b| {
            b.iter(|| set.evaluate(black_box(&request), black_box(&context)))
        });
    }
    group.finish();
}

fn wall(c: &mut Criterion) {
    bench(c, "");
}

fn cpu(c: &mut Criterion<ThreadCpu>) {
    bench(c, "cpu/");
}

palisade_benches::wall_and_cpu_main!(wall: wall; cpu: cpu);
