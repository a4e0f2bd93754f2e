//! The CPU time of the benchmarking thread, as a criterion measurement.
//!
//! On a shared, loaded machine wall time also counts the time other
//! processes held the core; the thread's CPU time does not. Benches run
//! their groups twice, with criterion's wall clock and with [`ThreadCpu`]
//! (the groups prefixed `cpu`), and `docs/performance.md` reports both.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Criterion measurement of the benchmarking thread's CPU time
/// (`CLOCK_THREAD_CPUTIME_ID` through the `cpu-time` crate), formatted like
/// wall time.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, start: Self::Intermediate) -> Self::Value {
        start.elapsed()
    }

    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        a.saturating_add(*b)
    }

    fn zero(&self) -> Self::Value {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_secs_f64() * 1e9
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// Runs `f` `n` times on this thread and returns the thread's CPU time per
/// run, in nanoseconds (for figures a bench prints beside criterion's).
pub fn cpu_ns_per_run(n: u32, mut f: impl FnMut(u32)) -> f64 {
    let start = cpu_time::ThreadTime::now();
    for i in 0..n {
        f(i);
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(n.max(1))
}

/// The `main` of a bench whose groups run twice: the `wall` targets with
/// criterion's wall clock, the `cpu` targets with [`ThreadCpu`].
///
/// ```ignore
/// palisade_benches::wall_and_cpu_main!(wall: compile, matching; cpu: matching_cpu);
/// ```
#[macro_export]
macro_rules! wall_and_cpu_main {
    (wall: $($wall:path),+; cpu: $($cpu:path),+) => {
        criterion::criterion_group!(wall_clock, $($wall),+);
        criterion::criterion_group! {
            name = cpu_time;
            config = criterion::Criterion::default().with_measurement($crate::cpu::ThreadCpu);
            targets = $($cpu),+
        }
        criterion::criterion_main!(wall_clock, cpu_time);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_loop_takes_cpu_time_and_a_sleep_does_not() {
        let cpu = ThreadCpu;
        let start = cpu.start();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        let busy = cpu.end(start);
        assert!(busy > Duration::ZERO, "{x}");
        let start = cpu.start();
        std::thread::sleep(Duration::from_millis(200));
        let slept = cpu.end(start);
        assert!(slept < Duration::from_millis(100), "{slept:?}");
        assert_eq!(cpu.add(&busy, &cpu.zero()), busy);
        let mut runs = 0;
        assert!(cpu_ns_per_run(3, |_| runs += 1) >= 0.0);
        assert_eq!(runs, 3);
    }
}
