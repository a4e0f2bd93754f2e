//! `peers-palisade`: Palisade's runner for the runtime peers benchmark
//! (`benches/peers/run`, see `benches/peers/README.md`).
//!
//! It reads the same filter list as the libsinsp runner (the corpus's
//! `captures/filters.jsonl`, here the modern `filter` form) and the flat
//! events of `<capture>.events.jsonl`, converts the events to the engine's
//! form, then evaluates every filter on every event, repeated, timing only
//! evaluation, and checks each filter's matches against the recorded ones.
//!
//! ```text
//! usage: peers-palisade [--reps N] FILTERS.jsonl EVENTS.jsonl...
//! ```
//!
//! Output lines have the libsinsp runner's `key=value` format (one per
//! capture, then `total`): `ns` is the evaluation time of all repetitions,
//! `ns_rep_median` that of the median repetition, `ns_best` the sum over
//! events of each event's fastest repetition, `ns_per_eval` = `ns_best` per
//! evaluation of one filter on one event. Exit status: 0 all filters compiled and agreed,
//! 1 some did not, 2 bad usage or input, 3 the engine is not available.

mod engine;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;

use crate::engine::{Compiled, Engine};

/// One record of `filters.jsonl`.
struct Filter {
    /// The modern-syntax filter.
    text: String,
    /// `capture name -> evt.num list` recorded with sysdig.
    recorded: BTreeMap<String, Vec<u64>>,
}

/// The events of one capture.
struct Capture {
    /// File name without `.events.jsonl`.
    name: String,
    /// One JSON object per event.
    /// The `<capture>.events.jsonl` text: one JSON object per event.
    text: String,
    /// `evt.num` of each line.
    nums: Vec<u64>,
}

/// What one capture (or the total) measured.
#[derive(Default)]
struct Outcome {
    events: u64,
    evals: u64,
    /// Evaluation time of all repetitions.
    ns: u128,
    /// Evaluation time of the median repetition.
    ns_median: u128,
    /// Sum over events of each event's fastest repetition.
    ns_best: u128,
    agree: u64,
    disagree: u64,
}

fn load_filters(path: &Path) -> Result<Vec<Filter>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut filters = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), lineno + 1);
        let record: Value =
            serde_json::from_str(line).map_err(|e| format!("{}: not JSON: {e}", at()))?;
        let text = record
            .get("filter")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: field `filter` missing or not a string", at()))?;
        let matches = record
            .get("matches")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{}: field `matches` missing or not an object", at()))?;
        let mut recorded = BTreeMap::new();
        for (capture, nums) in matches {
            let nums = nums
                .as_array()
                .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
                .ok_or_else(|| format!("{}: `matches.{capture}` is not a list of evt.num", at()))?;
            recorded.insert(capture.clone(), nums);
        }
        filters.push(Filter {
            text: text.to_owned(),
            recorded,
        });
    }
    Ok(filters)
}

fn load_capture(path: &Path) -> Result<Capture, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    let name = file
        .strip_suffix(".events.jsonl")
        .unwrap_or(file)
        .to_owned();
    let mut nums = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let num = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|event| event.get("evt.num").and_then(Value::as_u64))
            .ok_or_else(|| {
                format!(
                    "{}:{}: not an event object with an `evt.num`",
                    path.display(),
                    lineno + 1
                )
            })?;
        nums.push(num);
    }
    Ok(Capture { name, text, nums })
}

/// Runs the compiled filters on every event of `capture`, `reps` times,
/// and compares the matches of the first repetition with the recorded ones.
fn run_capture<E: Engine>(
    compiled: &mut Compiled<E>,
    filters: &[Filter],
    capture: &Capture,
    reps: u32,
) -> Result<Outcome, String> {
    let events = compiled
        .engine
        .events(&capture.text)
        .map_err(|e| format!("{}: {e}", capture.name))?;
    if events.len() != capture.nums.len() {
        return Err(format!(
            "{}: the engine decoded {} events from {} lines",
            capture.name,
            events.len(),
            capture.nums.len()
        ));
    }
    let mut hits = vec![false; filters.len()];
    let mut matched: Vec<Vec<u64>> = vec![Vec::new(); filters.len()];
    let mut rep_ns = Vec::new();
    let mut best = vec![u128::MAX; events.len()];
    for rep in 0..reps {
        let mut ns = 0u128;
        for ((event, &num), fastest) in events.iter().zip(&capture.nums).zip(&mut best) {
            hits.fill(false);
            let start = Instant::now();
            compiled.engine.eval(black_box(event), &mut hits);
            let elapsed = start.elapsed().as_nanos();
            ns += elapsed;
            *fastest = (*fastest).min(elapsed);
            if rep == 0 {
                for (found, _) in matched.iter_mut().zip(&hits).filter(|(_, hit)| **hit) {
                    found.push(num);
                }
            }
        }
        rep_ns.push(ns);
    }
    rep_ns.sort_unstable();

    let compiled_count = filters.len() - compiled.rejected.len();
    let mut outcome = Outcome {
        events: events.len() as u64,
        evals: events.len() as u64 * compiled_count as u64 * u64::from(reps),
        ns: rep_ns.iter().sum(),
        ns_median: median(&rep_ns),
        ns_best: if reps == 0 { 0 } else { best.iter().sum() },
        ..Outcome::default()
    };
    for (index, (filter, found)) in filters.iter().zip(&matched).enumerate() {
        let rejected = compiled.rejected.iter().any(|(i, _)| *i == index);
        let recorded = filter.recorded.get(&capture.name);
        if !rejected && recorded == Some(found) {
            outcome.agree += 1;
        } else {
            outcome.disagree += 1;
            eprintln!(
                "disagree capture={} filter={index} palisade={found:?} recorded={recorded:?}",
                capture.name
            );
        }
    }
    Ok(outcome)
}

/// The median of sorted `values` (0 when empty).
fn median(values: &[u128]) -> u128 {
    let mid = values.len() / 2;
    match (values.get(mid.wrapping_sub(1)), values.get(mid)) {
        (Some(a), Some(b)) if values.len().is_multiple_of(2) => (a + b) / 2,
        (_, Some(b)) => *b,
        _ => 0,
    }
}

struct Args {
    reps: u32,
    filters: String,
    events: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut reps = 5;
    let mut positional = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--reps" {
            reps = args
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or("`--reps` needs a positive number")?;
        } else if arg.starts_with("--") {
            return Err(format!("unknown option `{arg}`"));
        } else {
            positional.push(arg);
        }
    }
    let mut positional = positional.into_iter();
    match (positional.next(), positional.len()) {
        (Some(filters), 1..) => Ok(Args {
            reps,
            filters,
            events: positional.collect(),
        }),
        _ => Err("need a filters file and at least one events file".to_owned()),
    }
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let filters = load_filters(Path::new(&args.filters))?;
    let captures = args
        .events
        .iter()
        .map(|path| load_capture(Path::new(path)))
        .collect::<Result<Vec<_>, _>>()?;
    let texts: Vec<&str> = filters.iter().map(|f| f.text.as_str()).collect();
    let mut compiled = match engine::compile(&texts) {
        Ok(compiled) => compiled,
        Err(unavailable) => {
            println!("unavailable reason={}", unavailable.reason);
            return Ok(ExitCode::from(3));
        }
    };
    for (index, reason) in &compiled.rejected {
        eprintln!("compile-error filter={index} {reason}");
    }

    let mut total = Outcome::default();
    for capture in &captures {
        let o = run_capture(&mut compiled, &filters, capture, args.reps)?;
        println!(
            "capture name={} events={} filters={} compiled={} reps={} evals={} ns={} ns_rep_median={} ns_best={} agree={} disagree={}",
            capture.name,
            o.events,
            filters.len(),
            filters.len() - compiled.rejected.len(),
            args.reps,
            o.evals,
            o.ns,
            o.ns_median,
            o.ns_best,
            o.agree,
            o.disagree
        );
        total.events += o.events;
        total.evals += o.evals;
        total.ns += o.ns;
        total.ns_median += o.ns_median;
        total.ns_best += o.ns_best;
        total.agree += o.agree;
        total.disagree += o.disagree;
    }
    // ns per evaluation (one filter on one event), each event at its fastest
    #[expect(clippy::cast_precision_loss, reason = "a ratio for display")]
    let per_eval = if total.evals == 0 {
        0.0
    } else {
        total.ns_best as f64 * f64::from(args.reps) / total.evals as f64
    };
    println!(
        "total captures={} events={} filters={} reps={} evals={} ns={} ns_rep_median={} ns_best={} ns_per_eval={per_eval:.3} agree={} disagree={}",
        captures.len(),
        total.events,
        filters.len(),
        args.reps,
        total.evals,
        total.ns,
        total.ns_median,
        total.ns_best,
        total.agree,
        total.disagree
    );
    let ok = compiled.rejected.is_empty() && total.disagree == 0;
    Ok(ExitCode::from(if ok { 0 } else { 1 }))
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(|args| run(&args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("peers-palisade: {message}");
            eprintln!("usage: peers-palisade [--reps N] FILTERS.jsonl EVENTS.jsonl...");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    //! The harness on the real corpus, driven by two test engines: one that
    //! replays the recorded matches (so every filter must agree) and one
    //! that matches nothing (so exactly the non-empty recorded sets must
    //! disagree). They test the bookkeeping, not an engine.

    use std::collections::{BTreeSet, HashMap};
    use std::path::PathBuf;

    use super::*;

    fn captures_dir() -> Option<PathBuf> {
        palisade_testkit::corpus("falco/captures")
    }

    /// Matches filter `i` on exactly the evt.nums recorded for it.
    struct Replay {
        sets: Vec<BTreeSet<u64>>,
    }

    impl Engine for Replay {
        type Event = u64;

        fn events(&self, jsonl: &str) -> Result<Vec<u64>, String> {
            jsonl
                .lines()
                .map(|line| {
                    let event: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
                    event["evt.num"]
                        .as_u64()
                        .ok_or_else(|| "no evt.num".to_owned())
                })
                .collect()
        }

        fn eval(&mut self, event: &u64, hits: &mut [bool]) {
            for (hit, set) in hits.iter_mut().zip(&self.sets) {
                *hit = set.contains(event);
            }
        }
    }

    struct Nothing;

    impl Engine for Nothing {
        type Event = ();

        fn events(&self, jsonl: &str) -> Result<Vec<()>, String> {
            Ok(jsonl.lines().map(|_| ()).collect())
        }

        fn eval(&mut self, _event: &(), _hits: &mut [bool]) {}
    }

    /// The filters, the captures' events, and each capture's event count
    /// from `captures.json`.
    type Corpus = (Vec<Filter>, Vec<Capture>, HashMap<String, u64>);

    fn recorded() -> Option<Corpus> {
        let dir = captures_dir()?;
        let filters = load_filters(&dir.join("filters.jsonl")).unwrap();
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("captures.json")).unwrap())
                .unwrap();
        let mut expected_events = HashMap::new();
        let mut captures = Vec::new();
        for cap in manifest["captures"].as_array().unwrap() {
            let name = cap["name"].as_str().unwrap().to_owned();
            let file = cap["events_file"].as_str().unwrap();
            captures.push(load_capture(&dir.join(file)).unwrap());
            expected_events.insert(name, cap["events"].as_u64().unwrap());
        }
        Some((filters, captures, expected_events))
    }

    #[test]
    fn loads_every_filter_and_event_of_the_corpus() {
        let Some((filters, captures, expected_events)) = recorded() else {
            return;
        };
        assert_eq!(filters.len(), 803, "filters.jsonl records");
        assert_eq!(captures.len(), 8, "captures in captures.json");
        for capture in &captures {
            assert_eq!(
                Some(&(capture.nums.len() as u64)),
                expected_events.get(&capture.name),
                "events of {}",
                capture.name
            );
            for filter in &filters {
                assert!(filter.recorded.contains_key(&capture.name));
            }
        }
    }

    #[test]
    fn replayed_matches_agree_and_empty_matches_disagree() {
        let Some((filters, captures, _)) = recorded() else {
            return;
        };
        for capture in &captures {
            let sets = filters
                .iter()
                .map(|f| f.recorded[&capture.name].iter().copied().collect())
                .collect();
            let mut replay = Compiled {
                engine: Replay { sets },
                rejected: Vec::new(),
            };
            let o = run_capture(&mut replay, &filters, capture, 2).unwrap();
            assert_eq!(
                (o.agree, o.disagree),
                (803, 0),
                "replay on {}",
                capture.name
            );
            assert_eq!(o.evals, capture.nums.len() as u64 * 803 * 2);

            let non_empty = filters
                .iter()
                .filter(|f| !f.recorded[&capture.name].is_empty())
                .count() as u64;
            let mut nothing = Compiled {
                engine: Nothing,
                rejected: vec![(0, "rejected for the test".to_owned())],
            };
            let o = run_capture(&mut nothing, &filters, capture, 1).unwrap();
            let first_empty = u64::from(filters[0].recorded[&capture.name].is_empty());
            assert_eq!(
                o.disagree,
                non_empty + first_empty,
                "nothing on {}: non-empty sets plus the rejected filter",
                capture.name
            );
            assert_eq!(o.agree + o.disagree, 803);
        }
    }

    #[test]
    fn median_of_repetitions() {
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[7]), 7);
        assert_eq!(median(&[1, 3]), 2);
        assert_eq!(median(&[1, 3, 100]), 3);
    }

    #[test]
    fn arguments() {
        let args = |s: &str| parse_args(s.split_whitespace().map(str::to_owned));
        let a = args("--reps 3 f.jsonl a.events.jsonl b.events.jsonl").unwrap();
        assert_eq!(
            (a.reps, a.filters.as_str(), a.events.len()),
            (3, "f.jsonl", 2)
        );
        assert!(args("f.jsonl").is_err());
        assert!(args("--reps 0 f.jsonl e.jsonl").is_err());
        assert!(args("--bogus f.jsonl e.jsonl").is_err());
    }

    #[test]
    fn bad_input_names_the_line() {
        let dir = std::env::temp_dir().join(format!("peers-palisade-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.events.jsonl");
        std::fs::write(&path, "{\"evt.num\": 1}\n{\"evt.type\": \"open\"}\n").unwrap();
        let err = load_capture(&path).err().unwrap();
        assert!(err.contains("x.events.jsonl:2"), "{err}");
        std::fs::write(&path, "{\"filter\": \"evt.num = 1\", \"matches\": []}\n").unwrap();
        let err = load_filters(&path).err().unwrap();
        assert!(err.contains(":1: field `matches`"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
