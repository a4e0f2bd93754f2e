//! Concurrency checks: one shared engine evaluated from many threads at
//! once must give every thread the answers it gives one thread alone.

/// Runs `evaluate` `rounds` times on each of `threads` scoped threads, all
/// at once, and asserts that every run equals `expected` (the answer of a
/// single-threaded run, computed by the caller before).
///
/// # Panics
/// When a run differs from `expected`, or a thread panicked.
pub fn agree<T, F>(threads: usize, rounds: usize, expected: &T, evaluate: F)
where
    T: PartialEq + std::fmt::Debug + Send,
    F: Fn() -> T + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| (0..rounds).map(|_| evaluate()).collect::<Vec<_>>()))
            .collect();
        for handle in handles {
            // A thread's panic is re-raised here, with its message.
            let runs = handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            for run in runs {
                assert_eq!(&run, expected);
            }
        }
    });
}
