//! `peers-admission`: the admission rows of `benches/peers/run` (see
//! `benches/peers/README.md`).
//!
//! 1. Gatekeeper: every case of every pod-security-policy template's
//!    `suite.yaml` whose constraint matches the object, reviewed by
//!    Palisade's full path (`PolicySet::review`: match, input built from the
//!    request, the compiled program run on a pooled VM, violations folded
//!    into an AdmissionResponse), by the same path forced onto regorus's
//!    interpreter (an engine clone per review), and by regorus's API called
//!    directly on the same compiled template with the input prepared once:
//!    its interpreter (engine clone, input set, `violation` evaluated) and
//!    its compiled program on one reused VM. All count violations; they
//!    must agree.
//!    For the templates that also carry a `K8sNativeValidation`, the same
//!    cases through Palisade's CEL engine against regorus on their Rego
//!    (same violation counts required).
//! 2. Pod Security Standards: every PSS fixture pod of the corpus, checked
//!    by Palisade's native PSS (`pss::evaluate` at the fixture's level,
//!    `latest`) and by the Gatekeeper templates that check the same things
//!    (regorus directly, prepared inputs); allowed/denied must agree on the
//!    corresponding checks.
//!
//! ```text
//! usage: peers-admission [--reps N] [--only gatekeeper|pss] GATEKEEPER_PSP_DIR PSS_DIR
//! ```
//!
//! Output: detail lines (`gatekeeper template=...`, `pss ...`), then table
//! rows `row|work|engine|time per item|ratio|agree`. Each item counts with
//! its fastest of N batches, the two engines interleaved. Exit status: 0
//! agreement, 1 disagreement, 2 bad usage or input.

#[path = "../timing.rs"]
mod timing;

mod gatekeeper;
mod pss;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use palisade::admission::gatekeeper::review_value;
use palisade::admission::pss::Level;

use crate::timing::{geomean, human_ns, pair_best};

/// Parsed command line.
struct Args {
    reps: u32,
    /// `gatekeeper` or `pss` to run only that part.
    only: Option<String>,
    gatekeeper: PathBuf,
    pss: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut reps = 5;
    let mut only = None;
    let mut paths = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--reps" {
            reps = it
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or("--reps needs a number")?;
        } else if arg == "--only" {
            only = Some(it.next().ok_or("--only needs `gatekeeper` or `pss`")?);
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    let mut paths = paths.into_iter();
    match (paths.next(), paths.next(), paths.next()) {
        (Some(gatekeeper), Some(pss), None) => Ok(Args {
            reps,
            only,
            gatekeeper,
            pss,
        }),
        _ => Err(
            "usage: peers-admission [--reps N] [--only gatekeeper|pss] GATEKEEPER_PSP_DIR PSS_DIR"
                .to_owned(),
        ),
    }
}

fn row(cells: &[&str]) {
    println!("row|{}", cells.join("|"));
}

/// Summed nanoseconds of one template's cases on each path.
#[derive(Default)]
struct Times {
    cases: usize,
    palisade: f64,
    regorus: f64,
    /// Building `input.review` alone.
    input: f64,
    /// regorus converting the input from JSON per review.
    converting: f64,
    /// Palisade forced onto the interpreter.
    interpreted: f64,
    /// regorus's compiled program on its VM.
    rvm: f64,
}

/// Runs the Gatekeeper comparison; `Ok(true)` when the counts agree.
fn run_gatekeeper(dir: &Path, reps: u32) -> Result<bool, String> {
    let loaded = gatekeeper::load(dir)?;
    for skipped in &loaded.skipped {
        eprintln!("gatekeeper: not compared: {skipped}");
    }
    let (mut agree, mut disagree) = (0usize, 0usize);
    let (mut violations_palisade, mut violations_regorus) = (0usize, 0usize);
    let mut per_template: BTreeMap<&str, Times> = BTreeMap::new();
    for case in &loaded.cases {
        let ours = case.palisade_count();
        let theirs = case.regorus_count();
        let interpreted = case.palisade_interpreted_count();
        let rvm = case.regorus_rvm_count();
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) if a == b && interpreted == ours && rvm == theirs => {
                agree += 1;
                violations_palisade += a;
                violations_regorus += b;
            }
            _ => {
                disagree += 1;
                eprintln!(
                    "gatekeeper: DISAGREE {}/{}: palisade {ours:?} (interpreter {interpreted:?}), regorus {theirs:?} (RVM {rvm:?})",
                    case.template, case.name
                );
            }
        }
        let (ns_palisade, ns_regorus) = pair_best(reps, || case.palisade(), || case.regorus());
        // regorus converting the input from JSON per review, and where our
        // extra time goes: building `input.review` from the request.
        let (ns_converting, ns_input) = pair_best(
            reps,
            || case.regorus_converting(),
            || review_value(&case.request, &case.context),
        );
        // Both evaluators, through Palisade and through regorus directly.
        let (ns_interpreted, ns_rvm) =
            pair_best(reps, || case.palisade_interpreted(), || case.regorus_rvm());
        let entry = per_template.entry(&case.template).or_default();
        entry.cases += 1;
        entry.palisade += ns_palisade;
        entry.regorus += ns_regorus;
        entry.input += ns_input;
        entry.converting += ns_converting;
        entry.interpreted += ns_interpreted;
        entry.rvm += ns_rvm;
    }
    // The templates with a `K8sNativeValidation`: their CEL through
    // Palisade against their Rego through regorus, on the same cases.
    let (mut cel_ns, mut cel_regorus_ns, mut cel_cases, mut cel_agree, mut cel_disagree) =
        (0.0, 0.0, 0usize, 0usize, 0usize);
    let mut cel_templates = std::collections::BTreeSet::new();
    for case in &loaded.cases {
        let Some(count) = case.palisade_cel_count() else {
            continue;
        };
        match (count, case.regorus_count()) {
            (Ok(a), Ok(b)) if a == b => cel_agree += 1,
            (ours, theirs) => {
                cel_disagree += 1;
                eprintln!(
                    "gatekeeper cel: DISAGREE {}/{}: palisade CEL {ours:?}, regorus {theirs:?}",
                    case.template, case.name
                );
            }
        }
        let (ours, theirs) = pair_best(reps, || case.palisade_cel(), || case.regorus());
        cel_ns += ours;
        cel_regorus_ns += theirs;
        cel_cases += 1;
        cel_templates.insert(case.template.as_str());
    }
    let (mut overheads, mut overheads_converting) = (Vec::new(), Vec::new());
    let (mut total_palisade, mut total_regorus, mut total_converting) = (0.0, 0.0, 0.0);
    let (mut total_interpreted, mut total_rvm) = (0.0, 0.0);
    for (template, t) in &per_template {
        let Times {
            cases,
            palisade: ours,
            regorus: theirs,
            input,
            converting,
            interpreted,
            rvm,
        } = t;
        let overhead = ours / theirs;
        overheads.push(overhead);
        overheads_converting.push(ours / converting);
        total_palisade += ours;
        total_regorus += theirs;
        total_converting += converting;
        total_interpreted += interpreted;
        total_rvm += rvm;
        println!(
            "gatekeeper template={template} cases={cases} palisade_ns={:.0} regorus_ns={:.0} overhead={overhead:.3} regorus_converting_ns={:.0} overhead_vs_converting={:.3} input_review_ns={:.0} palisade_interpreter_ns={:.0} regorus_rvm_ns={:.0} compiled_speedup={:.2}",
            ours / *cases as f64,
            theirs / *cases as f64,
            converting / *cases as f64,
            ours / converting,
            input / *cases as f64,
            interpreted / *cases as f64,
            rvm / *cases as f64,
            interpreted / ours
        );
    }
    let geo_converting = geomean(&overheads_converting);
    let n = loaded.cases.len().max(1) as f64;
    let geo = geomean(&overheads);
    let worst = overheads.iter().copied().fold(0.0, f64::max);
    println!(
        "gatekeeper total templates={} cases={} not_compared={} palisade_ns={:.0} regorus_ns={:.0} overhead={:.3} overhead_geomean={geo:.3} overhead_max={worst:.3} regorus_converting_ns={:.0} overhead_vs_converting={:.3} overhead_vs_converting_geomean={geo_converting:.3} violations={violations_palisade}/{violations_regorus} agree={agree} disagree={disagree}",
        per_template.len(),
        loaded.cases.len(),
        loaded.skipped.len(),
        total_palisade / n,
        total_regorus / n,
        total_palisade / total_regorus,
        total_converting / n,
        total_palisade / total_converting
    );
    let work = format!(
        "admission: {} Gatekeeper PSP templates, {} suite cases",
        per_template.len(),
        loaded.cases.len()
    );
    let agreed = if disagree == 0 {
        format!("yes ({agree}/{agree} violation counts, {violations_regorus} violations)")
    } else {
        format!("NO ({disagree} of {} differ)", agree + disagree)
    };
    row(&[
        &work,
        "regorus 0.14 API, prepared input",
        &format!("{}/review", human_ns(total_regorus / n)),
        "1.00x (baseline)",
        &agreed,
    ]);
    row(&[
        &work,
        "regorus 0.14 API, input converted from JSON per review",
        &format!("{}/review", human_ns(total_converting / n)),
        &format!(
            "{:.2}x (overhead {:.2}x)",
            total_regorus / total_converting,
            total_converting / total_regorus
        ),
        &agreed,
    ]);
    if cel_cases > 0 {
        let n = cel_cases as f64;
        let work = format!(
            "admission: {} Gatekeeper PSP templates with CEL, {cel_cases} suite cases",
            cel_templates.len()
        );
        let agreed = if cel_disagree == 0 {
            format!("yes ({cel_agree}/{cel_agree} violation counts)")
        } else {
            format!("NO ({cel_disagree} of {} differ)", cel_agree + cel_disagree)
        };
        row(&[
            &work,
            "regorus 0.14 API on the templates' Rego, prepared input",
            &format!("{}/review", human_ns(cel_regorus_ns / n)),
            "1.00x (baseline)",
            &agreed,
        ]);
        row(&[
            &work,
            "palisade-admission PolicySet::review, K8sNativeValidation (CEL on cel-core)",
            &format!("{}/review", human_ns(cel_ns / n)),
            &format!("{:.2}x", cel_regorus_ns / cel_ns),
            &agreed,
        ]);
    }
    row(&[
        &work,
        "regorus 0.14 RVM (compiled program, one reused VM), prepared input",
        &format!("{}/review", human_ns(total_rvm / n)),
        &format!("{:.2}x", total_regorus / total_rvm),
        &agreed,
    ]);
    row(&[
        &work,
        "palisade-admission PolicySet::review on regorus's interpreter (RegoMode::Interpreter)",
        &format!("{}/review", human_ns(total_interpreted / n)),
        &format!("{:.2}x", total_regorus / total_interpreted),
        &agreed,
    ]);
    row(&[
        &work,
        "palisade-admission PolicySet::review (compiled Rego)",
        &format!("{}/review", human_ns(total_palisade / n)),
        &format!(
            "{:.2}x (overhead {:.2}x; per template geomean {geo:.2}x, max {worst:.2}x; vs converting regorus {:.2}x, geomean {geo_converting:.2}x)",
            total_regorus / total_palisade,
            total_palisade / total_regorus,
            total_palisade / total_converting
        ),
        &agreed,
    ]);
    Ok(disagree == 0 && cel_disagree == 0)
}

/// Runs the PSS comparison; `Ok(true)` when the verdicts agree.
fn run_pss(psp: &Path, fixtures: &Path, reps: u32) -> Result<bool, String> {
    let sides = [
        pss::side(psp, Level::Baseline)?,
        pss::side(psp, Level::Restricted)?,
    ];
    let pods = pss::pods(fixtures)?;
    let (mut agree, mut disagree, mut denied) = (0usize, 0usize, 0usize);
    let mut divergences: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut total_native, mut total_rego) = (0.0, 0.0);
    for pod in &pods {
        let Some(side) = sides.iter().find(|s| s.level == pod.level) else {
            continue;
        };
        let inputs: Vec<regorus::Value> = side
            .templates
            .iter()
            .map(|t| pss::Side::input(t, pod))
            .collect();
        let native = side.native(pod);
        let rego = side.rego(&inputs)?;
        if native.is_empty() == rego.is_empty() {
            agree += 1;
            denied += usize::from(!native.is_empty());
        } else if let Some(why) = pss::known_divergence(pod, &native, &rego) {
            let kind = why.split(':').next().unwrap_or(why);
            *divergences.entry(kind).or_default() += 1;
            eprintln!(
                "pss: known divergence {}: native failed {native:?}, templates with violations {rego:?}: {why}",
                pod.name
            );
        } else {
            disagree += 1;
            eprintln!(
                "pss: DISAGREE {}: native failed {native:?}, templates with violations {rego:?}",
                pod.name
            );
        }
        let full = palisade::admission::pss::LevelVersion::new(
            pod.level,
            palisade::admission::pss::Version::Latest,
        );
        let (ns_native, ns_rego) = pair_best(
            reps,
            || palisade::admission::pss::evaluate(full, &pod.object),
            || side.rego(&inputs),
        );
        total_native += ns_native;
        total_rego += ns_rego;
    }
    let n = pods.len().max(1) as f64;
    for side in &sides {
        let names: Vec<&str> = side.templates.iter().map(|t| t.name).collect();
        let checks: Vec<&str> = side.checks.iter().map(|c| c.as_str()).collect();
        println!(
            "pss level={} templates={} checks={}",
            side.level.as_str(),
            names.join(","),
            checks.join(",")
        );
    }
    let known: usize = divergences.values().sum();
    let kinds: Vec<String> = divergences
        .iter()
        .map(|(k, n)| format!("{k}:{n}"))
        .collect();
    println!(
        "pss total pods={} native_ns={:.0} rego_ns={:.0} speedup={:.1} agree={agree} disagree={disagree} known_divergences={known} ({}) denied={denied}",
        pods.len(),
        total_native / n,
        total_rego / n,
        total_rego / total_native,
        kinds.join(", ")
    );
    let work = format!(
        "admission: PSS fixtures ({} pods) vs {} + {} Gatekeeper templates",
        pods.len(),
        sides[0].templates.len(),
        sides[1].templates.len()
    );
    let agreed = if disagree == 0 {
        format!(
            "yes ({agree}/{} pods, {denied} denied; {known} documented divergences)",
            agree + known
        )
    } else {
        format!("NO ({disagree} of {} differ)", agree + disagree)
    };
    row(&[
        &work,
        "regorus 0.14 API, PSP templates, prepared input",
        &format!("{}/pod", human_ns(total_rego / n)),
        "1.00x (baseline)",
        &agreed,
    ]);
    row(&[
        &work,
        "palisade-admission pss::evaluate (all checks)",
        &format!("{}/pod", human_ns(total_native / n)),
        &format!("{:.1}x", total_rego / total_native),
        &agreed,
    ]);
    Ok(disagree == 0)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let wants = |part: &str| args.only.as_deref().is_none_or(|o| o == part);
    let gatekeeper = if wants("gatekeeper") {
        run_gatekeeper(&args.gatekeeper, args.reps)
    } else {
        Ok(true)
    };
    let pss = if wants("pss") {
        run_pss(&args.gatekeeper, &args.pss, args.reps)
    } else {
        Ok(true)
    };
    match (gatekeeper, pss) {
        (Ok(true), Ok(true)) => ExitCode::SUCCESS,
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        _ => ExitCode::from(1),
    }
}
