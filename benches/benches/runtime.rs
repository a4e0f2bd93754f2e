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

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use palisade::runtime::{FlatEvent, MatchMode, RuleSet, Schema};
use palisade_benches::cpu::ThreadCpu;
use palisade_benches::runtime_stream::{adversarial, build, captures, load, realistic, rule_texts};

fn compile(c: &mut Criterion) {
    let Some(texts) = palisade_testkit::corpus("falco").and_then(|falco| rule_texts(&falco)) else {
        eprintln!("skipping runtime/compile: no official rules files");
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

fn run<M: Measurement>(
    c: &mut Criterion<M>,
    group: &str,
    name: &str,
    rules: &RuleSet,
    events: &[FlatEvent],
) {
    let mut group = c.benchmark_group(group);
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

fn matching_in<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let Some(falco) = palisade_testkit::corpus("falco") else {
        return;
    };
    let Some(texts) = rule_texts(&falco) else {
        eprintln!(
            "skipping {group}: no official rules files in {}",
            falco.display()
        );
        return;
    };
    let schema = Schema::falco();
    let rules = build(&schema, &load(&schema, &texts), MatchMode::All);
    run(c, group, "realistic", &rules, &realistic(&schema, 4_096));
    run(c, group, "adversarial", &rules, &adversarial(&schema, 256));
    // The same kind of events, few enough to stay in cache, as a freshly
    // decoded event is.
    run(
        c,
        group,
        "adversarial_hot",
        &rules,
        &adversarial(&schema, 32),
    );
    let replay = captures(&falco, &schema);
    if replay.is_empty() {
        eprintln!(
            "skipping {group}/captures: no captures in {}",
            falco.display()
        );
    } else {
        run(c, group, "captures", &rules, &replay);
    }
}

fn matching(c: &mut Criterion) {
    matching_in(c, "runtime/match");
}

fn matching_cpu(c: &mut Criterion<ThreadCpu>) {
    matching_in(c, "runtime/match_cpu");
}

palisade_benches::wall_and_cpu_main!(wall: compile, matching; cpu: matching_cpu);
