//! Runtime alert pipeline: what formatting, dedup and a JSON sink add to
//! matching, on the realistic stream of `runtime` (shared generator in
//! `palisade_benches::runtime_stream`), through all enabled official rules
//! (rule matching `all`).
//!
//! - `runtime/pipeline/match_only`: the selecting matcher alone (baseline);
//! - `runtime/pipeline/match_and_alerts_dedup`: matching + the pipeline with
//!   the default 5-minute dedup + Falco JSON to a null writer;
//! - `runtime/pipeline/match_and_alerts_no_dedup`: the same with dedup off,
//!   so every alert is formatted and serialized (worst case);
//! - `runtime/pipeline/alerts_only_no_dedup`: the pipeline alone on the
//!   recorded hits of the stream (formatting + JSON of every alert).
//!
//! `runtime/pipeline_cpu/*` measure the same in CPU time of the thread.

use std::hint::black_box;
use std::io::Write;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use palisade::runtime::alerts::{Alert, FakeClock, Pipeline, PipelineConfig, Selection};
use palisade::runtime::sinks::{LineFormat, write_line};
use palisade::runtime::{MatchMode, Schema, builtin, register_output_fields};
use palisade_benches::cpu::ThreadCpu;
use palisade_benches::runtime_stream::{load, realistic, rule_texts};

fn config(dedup: bool) -> PipelineConfig {
    PipelineConfig {
        selection: Selection {
            mode: MatchMode::All,
            ..Selection::default()
        },
        dedup_window: if dedup {
            PipelineConfig::default().dedup_window
        } else {
            None
        },
        hostname: Some("bench".to_owned()),
        ..PipelineConfig::default()
    }
}

fn pipeline_in<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let Some(texts) = palisade_testkit::corpus("falco").and_then(|falco| rule_texts(&falco)) else {
        eprintln!("skipping runtime/pipeline: no official rules files");
        return;
    };
    let mut schema = Schema::falco();
    register_output_fields(&mut schema);
    let loaded = load(&schema, &texts);
    let rules = match builtin::ruleset(&loaded, &schema) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("skipping runtime/pipeline: {e}");
            return;
        }
    };
    let events = realistic(&schema, 4_096);
    let clock = FakeClock::new(1_700_000_000_000_000_000);
    let new_pipeline =
        |dedup: bool| Pipeline::new(rules.clone(), config(dedup), Box::new(clock.clone())).ok();
    let (Some(mut with_dedup), Some(mut without), Some(mut alone)) =
        (new_pipeline(true), new_pipeline(false), new_pipeline(false))
    else {
        eprintln!("skipping runtime/pipeline: an output does not compile");
        return;
    };
    // The hits of the stream, for the pipeline-alone case.
    let mut selecting = with_dedup.selection().matcher();
    let hits: Vec<(usize, usize)> = events
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            selecting
                .matches(e)
                .iter()
                .map(|&r| (i, r as usize))
                .collect::<Vec<_>>()
        })
        .collect();
    eprintln!(
        "runtime/pipeline: {} events, {} alerts per pass ({:.2} per 100 events)",
        events.len(),
        hits.len(),
        hits.len() as f64 * 100.0 / events.len() as f64
    );
    let mut null = std::io::sink();
    let mut sink = |alert: Alert| {
        let _ = write_line(&mut null, &alert, LineFormat::Json);
        let _ = null.flush();
    };

    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("match_only", |b| {
        b.iter(|| {
            let mut fired = 0usize;
            for event in &events {
                fired += selecting.matches(black_box(event)).len();
            }
            fired
        })
    });
    group.bench_function("match_and_alerts_dedup", |b| {
        b.iter(|| {
            let mut fired = 0usize;
            for event in &events {
                fired += with_dedup.process(black_box(event), &mut sink);
            }
            fired
        })
    });
    group.bench_function("match_and_alerts_no_dedup", |b| {
        b.iter(|| {
            let mut fired = 0usize;
            for event in &events {
                fired += without.process(black_box(event), &mut sink);
            }
            fired
        })
    });
    group.bench_function("alerts_only_no_dedup", |b| {
        b.iter(|| {
            for &(event, rule) in &hits {
                if let Some(event) = events.get(event) {
                    alone.fire(rule, black_box(event), 1_700_000_000_000_000_000, &mut sink);
                }
            }
        })
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    pipeline_in(c, "runtime/pipeline");
}

fn pipeline_cpu(c: &mut Criterion<ThreadCpu>) {
    pipeline_in(c, "runtime/pipeline_cpu");
}

palisade_benches::wall_and_cpu_main!(wall: pipeline; cpu: pipeline_cpu);
