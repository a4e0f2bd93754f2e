//! Log lines without a system call (or a wait on a slow terminal) on the
//! request path: each formatted line is appended to an in-memory buffer and
//! a background thread writes the buffer to standard error in batches (at
//! once when it passes [`HIGH_WATER`], else within [`BATCH`] of the first
//! line). The buffer is bounded: past [`LIMIT`] lines are dropped and
//! counted, and the count is reported in the log once there is room again.
//! The buffer is written out when the [`LogFlusher`] is dropped, at exit.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the first line of a batch may wait for more.
const BATCH: Duration = Duration::from_millis(20);

/// Buffered bytes that make the writer start at once.
const HIGH_WATER: usize = 64 * 1024;

/// The most bytes buffered; further lines are dropped (and counted) until
/// the writer catches up.
const LIMIT: usize = 8 * 1024 * 1024;

/// Lines waiting to be written.
#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    dropped: u64,
    closed: bool,
}

/// The buffer shared by the loggers and the writer thread.
#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where `tracing` writes: the shared buffer.
#[derive(Debug, Clone)]
pub struct LogSink(Arc<Shared>);

/// Writes the buffer out when dropped and stops the writer thread.
#[derive(Debug)]
pub struct LogFlusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread; lines written to the [`LogSink`] reach
/// standard error.
pub fn start() -> (LogSink, LogFlusher) {
    let shared = Arc::new(Shared::default());
    let writer = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("palisade-log".to_owned())
        .spawn(move || write_out(&writer, &mut std::io::stderr()))
        .ok();
    if thread.is_none() {
        // No writer thread: lines go straight to standard error.
        shared.lock().closed = true;
    }
    (LogSink(Arc::clone(&shared)), LogFlusher { shared, thread })
}

/// The writer thread: waits for lines, lets a batch gather, writes it.
fn write_out(shared: &Shared, out: &mut impl Write) {
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let mut pending = shared.lock();
        while pending.bytes.is_empty() && !pending.closed {
            pending = shared
                .wake
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if !pending.closed && pending.bytes.len() < HIGH_WATER {
            pending = shared
                .wake
                .wait_timeout(pending, BATCH)
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
        std::mem::swap(&mut pending.bytes, &mut spare);
        let dropped = std::mem::take(&mut pending.dropped);
        let closed = pending.closed;
        drop(pending);
        // Nowhere to report a failed write to standard error.
        let _ = out.write_all(&spare);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "palisade: {dropped} log line(s) dropped: standard error was not read fast enough"
            );
        }
        let _ = out.flush();
        spare.clear();
        if closed && shared.lock().bytes.is_empty() {
            return;
        }
    }
}

impl Write for LogSink {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.lock();
        if pending.closed {
            drop(pending);
            return std::io::stderr().write(line);
        }
        if pending.bytes.len().saturating_add(line.len()) > LIMIT {
            pending.dropped += 1;
            return Ok(line.len());
        }
        let was_empty = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(line);
        let full = pending.bytes.len() >= HIGH_WATER;
        drop(pending);
        if was_empty || full {
            self.0.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LogSink;

    fn make_writer(&'a self) -> LogSink {
        self.clone()
    }
}

impl Drop for LogFlusher {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
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
        let shared = Arc::new(Shared::default());
        let captured = Captured::default();
        let writer = Arc::clone(&shared);
        let mut out = captured.clone();
        let thread = std::thread::spawn(move || write_out(&writer, &mut out));
        let mut sink = LogSink(Arc::clone(&shared));
        for i in 0..1000 {
            sink.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        drop(LogFlusher {
            shared,
            thread: Some(thread),
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[999], "line 999");
    }

    #[test]
    fn a_full_buffer_drops_lines_and_says_so() {
        let shared = Arc::new(Shared::default());
        let mut sink = LogSink(Arc::clone(&shared));
        let line = vec![b'x'; 1024 * 1024];
        for _ in 0..10 {
            sink.write_all(&line).unwrap();
        }
        assert_eq!(shared.lock().bytes.len(), 8 * 1024 * 1024);
        assert_eq!(shared.lock().dropped, 2);
        shared.lock().closed = true;
        let captured = Captured::default();
        write_out(&shared, &mut captured.clone());
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.ends_with(
            "palisade: 2 log line(s) dropped: standard error was not read fast enough\n"
        ));
    }
}
