//! Timing shared by the admission and network peers runners: each engine
//! is timed in batches of calls, repeated, and counts with its fastest
//! batch. On a shared machine a preempted batch is never the fastest, so
//! the minimum is stable where means swing.

use std::hint::black_box;
use std::time::Instant;

/// Wall-clock nanoseconds of one call of `f` (a first, untimed call warms it).
fn once_ns<R>(f: &mut impl FnMut() -> R) -> f64 {
    black_box(f());
    let start = Instant::now();
    black_box(f());
    start.elapsed().as_nanos() as f64
}

/// How many calls make a batch of about `target_ns`, at least one.
pub fn batch_for(call_ns: f64, target_ns: f64) -> u32 {
    if call_ns <= 0.0 {
        return 1000;
    }
    (target_ns / call_ns).clamp(1.0, 100_000.0) as u32
}

/// Nanoseconds per call of `f`: the fastest of `reps` batches of `batch` calls.
pub fn batch_best<R>(reps: u32, batch: u32, mut f: impl FnMut() -> R) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        let per_call = start.elapsed().as_nanos() as f64 / f64::from(batch.max(1));
        best = best.min(per_call);
    }
    best
}

/// Nanoseconds per call of `a` and of `b`, interleaved (a batch of `a`, a
/// batch of `b`, `reps` times, batches of about 100 µs) so that both see
/// the same load; each counts with its fastest batch.
pub fn pair_best<A, B>(
    reps: u32,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> (f64, f64) {
    let batch_a = batch_for(once_ns(&mut a), 100_000.0);
    let batch_b = batch_for(once_ns(&mut b), 100_000.0);
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps.max(1) {
        best_a = best_a.min(batch_best(1, batch_a, &mut a));
        best_b = best_b.min(batch_best(1, batch_b, &mut b));
    }
    (best_a, best_b)
}

/// Geometric mean of positive ratios (1 when there are none).
pub fn geomean(ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 1.0;
    }
    (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

/// `1234567.8` ns as `1.23 ms`, `12.3 µs`, `456 ns`.
pub fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e4 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}
