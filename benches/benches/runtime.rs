//! Runtime: compile time of the official Falco rules, and events per second
//! on one thread through all their enabled rules.
//!
//! - `runtime/compile/*`: the three official rules files together;
//! - `runtime/match/realistic`: a synthetic stream where most events are
//!   `read`/`write`/`close`-like types few rules index;
//! - `runtime/match/adversarial`: only `execve`/`open*`/`connect` events
//!   with varied fields (every one runs the rules indexed for its type);
//! - `runtime/match/captures`: the corpus captures replayed in a loop
//!   (skipped with a notice when the corpus is absent).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_benches::runtime_stream::{
    adversarial, build, captures, corpus, load, realistic, rule_texts,
};
use palisade_runtime::event::FlatEvent;
use palisade_runtime::fields::Schema;
use palisade_runtime::ruleset::{MatchMode, RuleSet};

fn compile(c: &mut Criterion) {
    let Some(texts) = rule_texts() else {
        eprintln!(
            "skipping runtime/compile: corpus not found at {}",
            corpus().display()
        );
        return;
    };
    let schema = Schema::falco();
    let loaded = load(&schema, &texts);
    let mut group = c.benchmark_group("runtime/compile");
    group.bench_function("load_and_compile_3_official_files", |b| {
        b.iter(|| build(&schema, &load(&schema, black_box(&texts)), MatchMode::All))
    });
    group.bench_function("compile_3_official_files", |b| {
        b.iter(|| build(&schema, black_box(&loaded), MatchMode::All))
    });
    group.finish();
}

fn run(c: &mut Criterion, name: &str, rules: &RuleSet, events: &[FlatEvent]) {
    let mut group = c.benchmark_group("runtime/match");
    group.throughput(Throughput::Elements(events.len() as u64));
    let mut matcher = rules.matcher();
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut fired = 0usize;
            for event in events {
                fired += matcher.matches(black_box(event)).len();
            }
            fired
        })
    });
    group.finish();
}

fn matching(c: &mut Criterion) {
    let Some(texts) = rule_texts() else {
        eprintln!(
            "skipping runtime/match: corpus not found at {}",
            corpus().display()
        );
        return;
    };
    let schema = Schema::falco();
    let rules = build(&schema, &load(&schema, &texts), MatchMode::All);
    run(c, "realistic", &rules, &realistic(&schema, 100_000));
    run(c, "adversarial", &rules, &adversarial(&schema, 20_000));
    let replay = captures(&schema);
    if replay.is_empty() {
        eprintln!(
            "skipping runtime/match/captures: no captures at {}",
            corpus().display()
        );
    } else {
        run(c, "captures", &rules, &replay);
    }
}

criterion_group!(benches, compile, matching);
criterion_main!(benches);
