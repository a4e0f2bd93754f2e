//! Log lines without a system call (or a wait on a slow terminal) on the
//! request path: `tracing-appender` hands each formatted line to a
//! background thread, which writes them to standard error through a buffer
//! flushed whenever no more lines are waiting (one write per batch). At
//! most [`LINES`] lines wait; past that, lines are dropped and counted, and
//! the count is reported when the server stops. Everything waiting is
//! written when the [`LogGuard`] is dropped, at exit.

use std::io::{BufWriter, Write};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// The most lines waiting to be written.
pub const LINES: usize = 32 * 1024;

/// Writes what is waiting when dropped, then reports dropped lines.
#[derive(Debug)]
pub struct LogGuard {
    worker: Option<WorkerGuard>,
    dropped: ErrorCounter,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // The worker writes everything waiting before it stops.
        drop(self.worker.take());
        let dropped = self.dropped.dropped_lines();
        if dropped > 0 {
            eprintln!(
                "palisade: {dropped} log line(s) dropped: standard error was not read fast enough"
            );
        }
    }
}

/// Starts the writer thread; lines written to the returned writer reach
/// `out` (standard error in the server).
pub fn start<W: Write + Send + 'static>(out: W) -> (NonBlocking, LogGuard) {
    let (writer, worker) = NonBlockingBuilder::default()
        .buffered_lines_limit(LINES)
        .lossy(true)
        .thread_name("palisade-log")
        .finish(BufWriter::new(out));
    let dropped = writer.error_counter();
    (
        writer,
        LogGuard {
            worker: Some(worker),
            dropped,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_in_order_and_all_are_written_at_close() {
        let out = Shared::default();
        let (mut writer, guard) = start(out.clone());
        for i in 0..1000 {
            writer.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines.first(), Some(&"line 0"));
        assert_eq!(lines.last(), Some(&"line 999"));
    }
}
