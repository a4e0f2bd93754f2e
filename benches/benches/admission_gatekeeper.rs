//! Gatekeeper pod-security-policy templates: one review through Palisade's
//! path versus the same template and input through regorus's API directly.
//!
//! - `palisade`: `PolicySet::review` on a parsed request: match, the input
//!   built from the request, the compiled `violation` rule run on a pooled
//!   regorus VM, violations folded into an AdmissionResponse;
//! - `palisade_interpreter`: the same forced onto regorus's interpreter
//!   (`RegoMode::Interpreter`: a clone of the prepared engine per review);
//! - `regorus`: a prepared engine cloned, the same input converted from its
//!   JSON (`serde_json::Value`, as a regorus user holding the request has
//!   it) and set, `violation` evaluated;
//! - `regorus_prebuilt`: the same with the input converted once, outside
//!   the loop (regorus's evaluation alone);
//! - `input_only`: the part of our path that builds `input.review`.
//!
//! The object under review is the first case of each template's suite that
//! expects a violation, read from the shared corpus (skipped when absent).
//!
//! `pack/palisade` and `pack/palisade_interpreter`: one `PolicySet` holding
//! every template's constraint (what the webhook serves with the PSP pack)
//! reviewing each case's object in turn; time per review of the whole pack.
//!
//! `palisade`, `regorus` and `regorus_prebuilt` run a second time measuring the benchmark
//! thread's CPU time (`cpu/...`, `palisade_benches::cpu::ThreadCpu`), which
//! stays meaningful on a shared machine where the thread is often preempted.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, SamplingMode};
use palisade_benches::cpu::ThreadCpu;

use palisade::admission::gatekeeper::{
    Constraint, ConstraintTemplate, EngineChoice, GatekeeperPolicy, RegoMode, review_value,
};
use palisade::admission::{AdmissionRequest, AdmissionReview, Context, PolicySet};
use palisade::manifest;
use serde::Deserialize;
use serde_json::Value as Json;

/// One template's benchmark inputs.
struct Case {
    name: String,
    policies: PolicySet,
    interpreted: PolicySet,
    /// The constraint bound to its template (compiled), for the pack.
    policy: GatekeeperPolicy,
    request: AdmissionRequest,
    direct: regorus::Engine,
    rule: String,
    input: regorus::Value,
    input_json: Json,
}

fn first_object(path: &Path) -> Option<Json> {
    manifest::load_file(path)
        .objects
        .into_iter()
        .next()
        .map(|m| m.object)
}

/// The Rego modules of a template, read the way a regorus user would.
fn rego_modules(template: &Json) -> Option<(String, Vec<String>)> {
    let target = template.pointer("/spec/targets/0")?;
    let source = target
        .get("code")
        .and_then(Json::as_array)
        .and_then(|code| {
            code.iter()
                .find(|c| c.get("engine").and_then(Json::as_str) == Some("Rego"))
        })
        .and_then(|c| c.get("source"))
        .unwrap_or(target);
    let rego = source.get("rego")?.as_str()?.to_owned();
    let libs = source
        .get("libs")
        .and_then(Json::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((rego, libs))
}

fn load_case(dir: &Path) -> Option<Case> {
    let suite = manifest::load_file(&dir.join("suite.yaml"))
        .objects
        .into_iter()
        .next()?;
    let test = suite.object.get("tests")?.get(0)?;
    let template_json = first_object(&dir.join(test.get("template")?.as_str()?))?;
    let constraint_json = first_object(&dir.join(test.get("constraint")?.as_str()?))?;
    let case = test.get("cases")?.as_array()?.iter().find(|c| {
        c.get("assertions")
            .and_then(Json::as_array)
            .and_then(|a| a.first())
            .and_then(|a| a.get("violations"))
            .is_none_or(|v| v != "no" && v != 0)
    })?;
    let object = first_object(&dir.join(case.get("object")?.as_str()?))?;
    let request = if object.get("kind").and_then(Json::as_str) == Some("AdmissionReview") {
        AdmissionReview::parse(&object).ok()?.request
    } else {
        AdmissionRequest::from_object(object).ok()?
    };

    let template = ConstraintTemplate::from_json(&template_json, None).ok()?;
    let rule = template.rule().to_owned();
    let constraint = Constraint::from_json(&constraint_json, None).ok()?;
    let parameters = constraint.parameters().clone();
    // The Rego implementation (a template may also carry CEL).
    let mut interpreted_template = template.clone();
    interpreted_template.set_rego_mode(RegoMode::Interpreter);
    let mut interpreted = PolicySet::new();
    interpreted.add(
        GatekeeperPolicy::bind_with(
            constraint.clone(),
            Arc::new(interpreted_template),
            EngineChoice::Rego,
        )
        .ok()?,
    );
    let policy =
        GatekeeperPolicy::bind_with(constraint, Arc::new(template), EngineChoice::Rego).ok()?;
    let mut policies = PolicySet::new();
    policies.add(policy.clone());

    // The same template through regorus directly: compiled and prepared once.
    let (rego, libs) = rego_modules(&template_json)?;
    let mut direct = regorus::Engine::new();
    direct.set_rego_v0(true);
    direct.set_strict_builtin_errors(false);
    direct.add_policy("template.rego".into(), rego).ok()?;
    for (i, lib) in libs.into_iter().enumerate() {
        direct.add_policy(format!("lib{i}.rego"), lib).ok()?;
    }
    let input_json = serde_json::json!({
        "review": request.to_json(),
        "parameters": parameters,
    });
    let input = regorus::Value::from(input_json.clone());
    direct.set_input(input.clone());
    direct.eval_rule(rule.clone()).ok()?;

    Some(Case {
        name: dir.file_name()?.to_string_lossy().into_owned(),
        policies,
        interpreted,
        policy,
        request,
        direct,
        rule,
        input,
        input_json,
    })
}

fn load_cases() -> Vec<Case> {
    let Some(root) = palisade_testkit::corpus("admission/gatekeeper/pod-security-policy") else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    dirs.sort();
    let context = Context::new();
    let mut cases = Vec::new();
    for dir in dirs {
        let Some(case) = load_case(&dir) else {
            eprintln!("skipping {}: no reviewable case", dir.display());
            continue;
        };
        // Both paths must agree before they are timed.
        let ours = case.policies.evaluate(&case.request, &context);
        let mut engine = case.direct.clone();
        engine.set_input(case.input.clone());
        let direct_count = engine
            .eval_rule(case.rule.clone())
            .ok()
            .and_then(|v| v.as_set().ok().map(|s| s.len()))
            .unwrap_or_default();
        if ours.violations.len() != direct_count {
            eprintln!(
                "skipping {}: ours found {} violations, regorus {direct_count}",
                case.name,
                ours.violations.len()
            );
            continue;
        }
        cases.push(case);
    }
    cases
}

fn run_palisade(case: &Case, context: &Context) -> palisade::admission::AdmissionResponse {
    case.policies.review(black_box(&case.request), context)
}

fn run_palisade_interpreter(
    case: &Case,
    context: &Context,
) -> palisade::admission::AdmissionResponse {
    case.interpreted.review(black_box(&case.request), context)
}

/// Every case's constraint in one set, compiled and on the interpreter.
fn packs(cases: &[Case]) -> (PolicySet, PolicySet) {
    let (mut compiled, mut interpreted) = (PolicySet::new(), PolicySet::new());
    for case in cases {
        compiled.add(case.policy.clone());
        let mut template = case.policy.template().clone();
        template.set_rego_mode(RegoMode::Interpreter);
        interpreted.add(GatekeeperPolicy::new(
            case.policy.constraint().clone(),
            Arc::new(template),
        ));
    }
    (compiled, interpreted)
}

fn run_regorus(case: &Case) -> Option<regorus::Value> {
    let mut engine = case.direct.clone();
    let input = regorus::Value::deserialize(black_box(&case.input_json))
        .unwrap_or(regorus::Value::Undefined);
    engine.set_input(input);
    engine.eval_rule(case.rule.clone()).ok()
}

fn run_regorus_prebuilt(case: &Case) -> Option<regorus::Value> {
    let mut engine = case.direct.clone();
    engine.set_input(black_box(case.input.clone()));
    engine.eval_rule(case.rule.clone()).ok()
}

fn gatekeeper_cpu(c: &mut Criterion<ThreadCpu>) {
    let context = Context::new();
    let mut group = c.benchmark_group("cpu/admission_gatekeeper");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    let cases = load_cases();
    for case in &cases {
        group.bench_function(format!("{}/palisade", case.name), |b| {
            b.iter(|| run_palisade(case, &context))
        });
        group.bench_function(format!("{}/palisade_interpreter", case.name), |b| {
            b.iter(|| run_palisade_interpreter(case, &context))
        });
        group.bench_function(format!("{}/regorus", case.name), |b| {
            b.iter(|| run_regorus(case))
        });
        group.bench_function(format!("{}/regorus_prebuilt", case.name), |b| {
            b.iter(|| run_regorus_prebuilt(case))
        });
    }
    bench_packs(&mut group, &cases, &context);
    group.finish();
}

/// `pack/palisade` and `pack/palisade_interpreter`: the whole pack on each
/// case's object in turn.
fn bench_packs<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    cases: &[Case],
    context: &Context,
) {
    if cases.is_empty() {
        return;
    }
    let (compiled, interpreted) = packs(cases);
    for (name, pack) in [
        ("palisade", &compiled),
        ("palisade_interpreter", &interpreted),
    ] {
        let mut next = cases.iter().cycle();
        group.bench_function(format!("pack/{name}"), |b| {
            b.iter(|| {
                let request = next.next().map(|c| &c.request);
                request.map(|r| pack.review(black_box(r), context))
            })
        });
    }
}

fn gatekeeper(c: &mut Criterion) {
    let context = Context::new();
    let mut group = c.benchmark_group("admission_gatekeeper");
    let cases = load_cases();
    for case in &cases {
        group.bench_function(format!("{}/palisade", case.name), |b| {
            b.iter(|| run_palisade(case, &context))
        });
        group.bench_function(format!("{}/palisade_interpreter", case.name), |b| {
            b.iter(|| run_palisade_interpreter(case, &context))
        });
        // The part of our path that regorus's gets for free: `input.review`
        // built from the parsed request.
        group.bench_function(format!("{}/input_only", case.name), |b| {
            b.iter(|| review_value(black_box(&case.request), &context))
        });
        group.bench_function(format!("{}/regorus", case.name), |b| {
            b.iter(|| run_regorus(case))
        });
        group.bench_function(format!("{}/regorus_prebuilt", case.name), |b| {
            b.iter(|| run_regorus_prebuilt(case))
        });
    }
    bench_packs(&mut group, &cases, &context);
    group.finish();
}

palisade_benches::wall_and_cpu_main!(wall: gatekeeper; cpu: gatekeeper_cpu);
