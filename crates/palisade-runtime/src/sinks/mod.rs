//! Where alerts go: the [`Sink`] trait and its implementations — writers
//! ([`writer::WriterSink`]: stdout, an append-only file, any `Write`),
//! `http::HttpSink` (POST of JSON with timeouts and retries; cargo feature
//! `http-sink`) and `program::ProgramSink` (a program reading alerts on its
//! stdin; cargo feature `program-sink`). Both features are on by default
//! in this crate; the facade `palisade` leaves them off unless asked for, so
//! an embedder that only matches events builds no HTTP client and cannot
//! start programs.
//!
//! Delivery runs off the hot path: a [`SinkWorker`] owns one sink on its
//! own thread, fed through a bounded queue. When the queue is full the
//! **oldest** queued alert is dropped and counted ([`SinkStats::dropped`]):
//! the matcher never waits for a slow sink. A [`Dispatcher`] fans alerts
//! out to several workers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::alerts::Alert;

#[cfg(feature = "http-sink")]
pub mod http;
#[cfg(feature = "program-sink")]
pub mod program;
pub mod writer;

/// A sink could not deliver an alert.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SinkError {
    /// Writing failed.
    #[error("sink `{sink}`: {source}")]
    #[diagnostic(
        code(palisade::runtime::sinks::io),
        help("check that the file, pipe or program is writable")
    )]
    Io {
        /// The sink.
        sink: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An HTTP delivery failed after every retry.
    #[error("sink `{sink}`: {message}")]
    #[diagnostic(
        code(palisade::runtime::sinks::http),
        help("check the URL and that the server answers 2xx within the timeout")
    )]
    Http {
        /// The sink.
        sink: String,
        /// What went wrong on the last attempt.
        message: String,
    },
}

/// A destination of alerts. Runs on its [`SinkWorker`]'s thread.
pub trait Sink: Send {
    /// A short name for reports (`stdout`, `file:/var/log/alerts.json`).
    fn name(&self) -> &str;

    /// Delivers one alert (retrying as the sink sees fit).
    fn deliver(&mut self, alert: &Alert) -> Result<(), SinkError>;

    /// Flushes buffered output (at the end, and when the queue runs empty).
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Counts of one sink worker. Read them at any time.
#[derive(Debug, Default)]
pub struct SinkStats {
    /// Alerts delivered.
    pub delivered: AtomicU64,
    /// Alerts whose delivery failed (after the sink's retries).
    pub failed: AtomicU64,
    /// Alerts dropped because the queue was full (the oldest go first) or
    /// still queued when the worker was closed past its deadline.
    pub dropped: Arc<AtomicU64>,
    /// The last delivery error, as text.
    pub last_error: Mutex<Option<String>>,
}

impl SinkStats {
    /// (delivered, failed, dropped) now.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.delivered.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Arc<Alert>>,
    closing: Option<Instant>,
    busy: bool,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    capacity: usize,
    stats: Arc<SinkStats>,
}

/// One sink on its own thread, fed by a bounded drop-oldest queue.
#[derive(Debug)]
pub struct SinkWorker {
    name: String,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The default queue length of a worker.
pub const DEFAULT_QUEUE: usize = 4096;

impl SinkWorker {
    /// Starts a thread delivering to `sink` from a queue of `capacity`
    /// alerts (at least 1).
    pub fn spawn(mut sink: Box<dyn Sink>, capacity: usize) -> SinkWorker {
        let name = sink.name().to_owned();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            capacity: capacity.max(1),
            stats: Arc::new(SinkStats::default()),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("palisade-sink-{name}"))
            .spawn(move || run(&mut *sink, &worker))
            .ok();
        if thread.is_none() {
            shared
                .stats
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .replace("cannot start the delivery thread".to_owned());
        }
        SinkWorker {
            name,
            shared,
            thread,
        }
    }

    /// The sink's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its counts.
    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.shared.stats
    }

    /// Queues `alert`; never blocks on the sink. When the queue is full,
    /// drops (and counts) the oldest queued alert.
    pub fn send(&self, alert: Arc<Alert>) {
        let mut queue = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.thread.is_none() {
            self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if queue.items.len() >= self.shared.capacity {
            queue.items.pop_front();
            self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.items.push_back(alert);
        drop(queue);
        self.shared.ready.notify_one();
    }

    /// Alerts waiting in the queue now.
    pub fn queued(&self) -> usize {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .items
            .len()
    }

    /// Delivers what is queued, waiting at most `deadline`; alerts still
    /// queued then are counted as dropped. Stops the thread once the
    /// delivery in progress ends (bounded by the sink's own timeouts).
    pub fn close(mut self, deadline: Duration) -> Arc<SinkStats> {
        self.shutdown(deadline);
        Arc::clone(&self.shared.stats)
    }

    fn shutdown(&mut self, deadline: Duration) {
        {
            let mut queue = self
                .shared
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queue.closing = Some(Instant::now() + deadline);
        }
        self.shared.ready.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SinkWorker {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown(Duration::from_secs(5));
        }
    }
}

fn run(sink: &mut dyn Sink, shared: &Shared) {
    let stats = &shared.stats;
    let record = |result: Result<(), SinkError>| {
        if let Err(e) = result {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            stats
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .replace(e.to_string());
            false
        } else {
            true
        }
    };
    loop {
        let next = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.busy = false;
            loop {
                if let Some(deadline) = queue.closing
                    && Instant::now() >= deadline
                {
                    let left = queue.items.len() as u64;
                    queue.items.clear();
                    stats.dropped.fetch_add(left, Ordering::Relaxed);
                    break None;
                }
                if let Some(alert) = queue.items.pop_front() {
                    queue.busy = true;
                    break Some(alert);
                }
                if queue.closing.is_some() {
                    break None;
                }
                // Idle: flush buffered output before sleeping.
                drop(queue);
                let _ = sink.flush();
                queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
                if queue.items.is_empty() && queue.closing.is_none() {
                    queue = shared
                        .ready
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        };
        match next {
            Some(alert) => {
                if record(sink.deliver(&alert)) {
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                record(sink.flush());
                return;
            }
        }
    }
}

/// Sends every alert to several sink workers.
#[derive(Debug, Default)]
pub struct Dispatcher {
    workers: Vec<SinkWorker>,
}

impl Dispatcher {
    /// A dispatcher without sinks.
    pub fn new() -> Dispatcher {
        Dispatcher::default()
    }

    /// Adds `sink` on its own worker with a queue of `capacity`; returns
    /// its dropped-alerts counter (for
    /// [`Pipeline::watch_drops`](crate::alerts::pipeline::Pipeline::watch_drops)).
    pub fn add(&mut self, sink: Box<dyn Sink>, capacity: usize) -> Arc<AtomicU64> {
        let worker = SinkWorker::spawn(sink, capacity);
        let dropped = Arc::clone(&worker.stats().dropped);
        self.workers.push(worker);
        dropped
    }

    /// The workers.
    pub fn workers(&self) -> &[SinkWorker] {
        &self.workers
    }

    /// Queues `alert` on every worker.
    pub fn send(&self, alert: Alert) {
        let alert = Arc::new(alert);
        for worker in &self.workers {
            worker.send(Arc::clone(&alert));
        }
    }

    /// Closes every worker (each waits at most `deadline`); returns each
    /// sink's name and counts.
    pub fn close(self, deadline: Duration) -> Vec<(String, Arc<SinkStats>)> {
        self.workers
            .into_iter()
            .map(|w| (w.name().to_owned(), w.close(deadline)))
            .collect()
    }
}
