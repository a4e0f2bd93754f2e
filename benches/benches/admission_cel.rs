//! Admission in CEL (issue 15): the measurements behind `docs/performance.md`.
//!
//! - `cel/pss_vpol/{palisade,cel_core}`: every Pod Security
//!   `ValidatingPolicy` of the corpus (`kyverno-vpol/pod-security-vpol`) on
//!   one Pod, through Palisade (`ValidatingPolicy::decide`: match, inputs,
//!   variables, validations, cost check) and through the `cel-core` crate
//!   called directly on the same expressions and the same JSON Pod (goal:
//!   overhead <= 1.15x); and `palisade_review` (the same policies as one
//!   `PolicySet` review, the Pod converted once for all) against
//!   `cel_core_converted_once` (the direct path converting it once too).
//! - `cel/gatekeeper/{cel,rego}/<template>`: one Gatekeeper template with a
//!   `K8sNativeValidation` implementation, the same constraint and object,
//!   through its CEL and through its Rego (goal: CEL >= 5x faster).
//! - `cel/load_compile_all`: loading and compiling every CEL policy of the
//!   corpus (kyverno-cel, kyverno-vpol, the 15 Gatekeeper CEL templates).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cel_core::{CelType, Env, MapActivation, MapKey, Value, ValueMap};
use criterion::{Criterion, criterion_group, criterion_main};
use palisade::admission::cel::{
    PolicyResult, VARIABLES, ValidatingPolicy, from_json, is_validating_policy,
    load_validating_policies,
};
use palisade::admission::gatekeeper::{
    Constraint, ConstraintTemplate, EngineChoice, GatekeeperPolicy,
};
use palisade::admission::{AdmissionRequest, AdmissionReview, Context, Policy, PolicySet, pattern};
use palisade::manifest;
use serde_json::{Value as Json, json};

fn pod() -> Json {
    let container = |name: &str, privileged: bool| {
        json!({
            "name": name, "image": format!("ghcr.io/example/{name}:1.4.2"),
            "ports": [{"containerPort": 8080}],
            "securityContext": {"allowPrivilegeEscalation": false, "privileged": privileged,
                "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"}}
        })
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [container("migrate", false)],
            "containers": [container("web", true), container("sidecar", false)],
            "volumes": [{"name": "cache", "emptyDir": {}}]
        }
    })
}

/// Every YAML file under `dir`, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            out.push(p);
        }
    }
}

/// One policy for the direct path: its variables and validations compiled
/// by `cel-core` alone.
struct Direct {
    variables: Vec<(Arc<str>, cel_core::Program)>,
    validations: Vec<cel_core::Program>,
}

fn direct_program(env: &Env, source: &str) -> Option<cel_core::Program> {
    let ast = env
        .compile(source)
        .or_else(|_| env.parse_only(source))
        .ok()?;
    env.program(&ast).ok()
}

fn direct(env: &Env, spec: &Json) -> Option<Direct> {
    let list = |key: &str| {
        spec.get(key)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut variables = Vec::new();
    for v in list("variables") {
        let name = v.get("name")?.as_str()?;
        variables.push((
            Arc::from(name),
            direct_program(env, v.get("expression")?.as_str()?)?,
        ));
    }
    let mut validations = Vec::new();
    for v in list("validations") {
        validations.push(direct_program(env, v.get("expression")?.as_str()?)?);
    }
    Some(Direct {
        variables,
        validations,
    })
}

/// The direct evaluation: the object converted (by `object`, per policy),
/// variables in order, every validation; the number that failed.
fn run_direct(policies: &[Direct], object: impl Fn() -> Value) -> usize {
    let mut failed = 0;
    for p in policies {
        let mut activation = MapActivation::new();
        activation.insert("object", object());
        let mut vars: Vec<(MapKey, Value)> = Vec::new();
        for (name, program) in &p.variables {
            activation.insert(
                "variables",
                Value::Map(Arc::new(ValueMap::from_entries(vars.iter().cloned()))),
            );
            vars.push((MapKey::String(Arc::clone(name)), program.eval(&activation)));
        }
        activation.insert(
            "variables",
            Value::Map(Arc::new(ValueMap::from_entries(vars.iter().cloned()))),
        );
        failed += p
            .validations
            .iter()
            .filter(|v| v.eval(&activation) != Value::Bool(true))
            .count();
    }
    failed
}

fn pss_vpol(c: &mut Criterion, corpus: &Path) {
    let mut files = Vec::new();
    yaml_files(&corpus.join("kyverno-vpol/pod-security-vpol"), &mut files);
    let manifests: Vec<manifest::Manifest> = files
        .iter()
        .filter(|f| !f.to_string_lossy().contains(".kyverno-test"))
        .flat_map(|f| manifest::load_file(f).objects)
        .collect();
    let palisade: Vec<ValidatingPolicy> = load_validating_policies(&manifests).policies;
    let mut env = Env::with_standard_library().with_all_extensions();
    for v in VARIABLES {
        env.add_variable(v, CelType::Dyn);
    }
    let direct: Vec<Direct> = manifests
        .iter()
        .filter(|m| is_validating_policy(m))
        .filter_map(|m| direct(&env, m.object.get("spec")?))
        .collect();
    assert_eq!(
        palisade.len(),
        direct.len(),
        "the same policies on both paths"
    );
    let object = pod();
    let Ok(request) = AdmissionRequest::from_object(object.clone()) else {
        return;
    };
    let mut context = Context::new();
    context
        .add_object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    let mut group = c.benchmark_group("cel/pss_vpol");
    group.bench_function(format!("palisade/{}", palisade.len()), |b| {
        b.iter(|| {
            palisade
                .iter()
                .filter(|p| !matches!(p.decide(black_box(&request), &context), PolicyResult::Pass))
                .count()
        })
    });
    group.bench_function(format!("cel_core/{}", direct.len()), |b| {
        b.iter(|| run_direct(black_box(&direct), || from_json(black_box(&object))))
    });
    // A review through the policy set converts the Pod once for all the
    // policies (the request cache); the direct path likewise.
    let mut set = PolicySet::new();
    for p in load_validating_policies(&manifests).policies {
        set.add(p);
    }
    group.bench_function(format!("palisade_review/{}", palisade.len()), |b| {
        b.iter(|| set.evaluate(black_box(&request), &context).violations.len())
    });
    group.bench_function(format!("cel_core_converted_once/{}", direct.len()), |b| {
        b.iter(|| {
            let converted = from_json(black_box(&object));
            run_direct(black_box(&direct), || converted.clone())
        })
    });
    group.finish();
}

fn gatekeeper(c: &mut Criterion, corpus: &Path) {
    let mut group = c.benchmark_group("cel/gatekeeper");
    for template in [
        "pod-security-policy/privileged-containers",
        "pod-security-policy/capabilities",
        "general/requiredlabels",
    ] {
        let dir = corpus.join("gatekeeper").join(template);
        let load = |p: PathBuf| manifest::load_file(&p).objects.into_iter().next();
        let Some(t) = load(dir.join("template.yaml")) else {
            continue;
        };
        let Ok(t) = ConstraintTemplate::from_manifest(&t) else {
            continue;
        };
        let t = Arc::new(t);
        let mut samples = Vec::new();
        yaml_files(&dir.join("samples"), &mut samples);
        let Some(constraint) = samples
            .iter()
            .find(|p| p.ends_with("constraint.yaml"))
            .cloned()
            .and_then(load)
        else {
            continue;
        };
        let Some(object) = samples
            .iter()
            .find(|p| p.to_string_lossy().contains("disallowed"))
            .cloned()
            .and_then(load)
        else {
            continue;
        };
        let request = if object.kind() == Some("AdmissionReview") {
            match AdmissionReview::parse(&object.object) {
                Ok(r) => r.request,
                Err(_) => continue,
            }
        } else {
            match AdmissionRequest::from_object(object.object.clone()) {
                Ok(r) => r,
                Err(_) => continue,
            }
        };
        let context = Context::new();
        let name = template.rsplit('/').next().unwrap_or(template);
        for (engine, label) in [(EngineChoice::Cel, "cel"), (EngineChoice::Rego, "rego")] {
            let Ok(c) = Constraint::from_manifest(&constraint) else {
                continue;
            };
            let Ok(policy) = GatekeeperPolicy::bind_with(c, Arc::clone(&t), engine) else {
                continue;
            };
            group.bench_function(format!("{label}/{name}"), |b| {
                b.iter(|| {
                    policy
                        .validate(black_box(&request), &context)
                        .map(|v| v.len())
                })
            });
        }
    }
    group.finish();
}

fn load_compile(c: &mut Criterion, corpus: &Path) {
    let mut cel_files = Vec::new();
    yaml_files(&corpus.join("kyverno-cel"), &mut cel_files);
    cel_files.retain(|f| !f.to_string_lossy().contains(".kyverno-test"));
    let mut vpol_files = Vec::new();
    yaml_files(&corpus.join("kyverno-vpol"), &mut vpol_files);
    vpol_files.retain(|f| !f.to_string_lossy().contains(".kyverno-test"));
    let vpol: Vec<manifest::Manifest> = vpol_files
        .iter()
        .flat_map(|f| manifest::load_file(f).objects)
        .collect();
    let mut gk_files = Vec::new();
    yaml_files(&corpus.join("gatekeeper"), &mut gk_files);
    let templates: Vec<manifest::Manifest> = gk_files
        .iter()
        .filter(|f| f.ends_with("template.yaml"))
        .flat_map(|f| manifest::load_file(f).objects)
        .filter(|m| m.object.to_string().contains("K8sNativeValidation"))
        .collect();
    let mut group = c.benchmark_group("cel");
    group.sample_size(10);
    group.bench_function("load_compile_all", |b| {
        b.iter(|| {
            let classic: usize = cel_files
                .iter()
                .map(|f| pattern::load_file(f).policies.len())
                .sum();
            let validating = load_validating_policies(black_box(&vpol)).policies.len();
            let gk = templates
                .iter()
                .filter(|t| ConstraintTemplate::from_manifest(t).is_ok_and(|t| t.cel().is_some()))
                .count();
            classic + validating + gk
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    pss_vpol(c, &corpus);
    gatekeeper(c, &corpus);
    load_compile(c, &corpus);
}

criterion_group!(admission_cel, benches);
criterion_main!(admission_cel);
