//! The console's client for admission webhooks: decisions are queued
//! without waiting and posted in batches to `POST /api/v1/admission` by one
//! background thread, so a console that is down or slow never slows or
//! fails admission.
//!
//! - The queue is bounded (`queue` decisions): when it is full, a new
//!   decision is dropped and counted (`dropped`), never waited for.
//! - A batch is sent when it holds `batch` decisions or `flush_every` after
//!   its first one.
//! - A batch the console does not take (no connection, 5xx, 408, 429) is
//!   retried with exponential backoff (`retries`), from 100 ms up to
//!   `max_backoff`; decisions arriving meanwhile wait in the queue (and are
//!   dropped, counted, once it is full). A batch the console refuses as
//!   malformed (another 4xx) is not retried: counted as `failed` and logged.
//! - [`Forwarder::close`] sends what is queued once more, within a deadline.
//!
//! The counters are Prometheus metrics the webhook serves ([`Forwarder::register`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::decisions::AdmissionDecision;

/// Where and how decisions are forwarded.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// The console's base URL (`https://palisade-console.palisade.svc`).
    pub url: String,
    /// The cluster the decisions are made in (`?cluster=`).
    pub cluster: String,
    /// The bearer token the console asks for, when it has `--token-file`.
    pub token: Option<String>,
    /// A PEM file of the CA certificates to trust for the console (the
    /// public web's roots when absent).
    pub ca: Option<PathBuf>,
    /// Decisions waiting at most; beyond, new ones are dropped (counted).
    pub queue: usize,
    /// Decisions per request at most.
    pub batch: usize,
    /// How long the first decision of a batch waits for others.
    pub flush_every: Duration,
    /// The longest pause between two attempts at one batch.
    pub max_backoff: Duration,
    /// The deadline of one request.
    pub timeout: Duration,
}

impl ForwardConfig {
    /// The documented defaults for a console at `url`, cluster `default`.
    pub fn new(url: String) -> ForwardConfig {
        ForwardConfig {
            url,
            cluster: "default".to_owned(),
            token: None,
            ca: None,
            queue: 10_000,
            batch: 500,
            flush_every: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
        }
    }
}

/// The forwarder could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot forward decisions to the console: {reason}")]
#[diagnostic(
    code(palisade::webhook::console),
    help(
        "`--console` takes the console's base URL (`https://HOST:PORT`), `--console-ca` a PEM file of CA certificates, `--cluster` letters, digits, `-`, `.` or `_`"
    )
)]
pub struct ForwardError {
    /// What is wrong.
    pub reason: String,
}

/// What the forwarder counts.
#[derive(Debug, Clone, Default)]
pub struct ForwardCounters {
    /// Decisions the console took.
    pub sent: Counter,
    /// Decisions dropped because the queue was full.
    pub dropped: Counter,
    /// Decisions the console refused as malformed (not retried), or left
    /// unsent at shutdown.
    pub failed: Counter,
    /// Attempts that failed and were retried.
    pub retries: Counter,
    /// Decisions waiting to be sent.
    pub queued: Gauge,
}

/// A running forwarder. Recording never blocks.
#[derive(Debug)]
pub struct Forwarder {
    sender: SyncSender<AdmissionDecision>,
    counters: ForwardCounters,
    closing: Arc<AtomicBool>,
    done: Mutex<Receiver<()>>,
}

/// How one attempt at a batch ended.
enum Attempt {
    /// The console took it.
    Sent,
    /// Worth another try later.
    Retry(String),
    /// Refused for good.
    Refused(String),
}

/// The HTTP side of the worker thread.
struct Poster {
    agent: ureq::Agent,
    endpoint: String,
    token: Option<String>,
}

impl Poster {
    fn post(&self, batch: &[AdmissionDecision]) -> Attempt {
        let mut body = String::new();
        for decision in batch {
            if let Ok(line) = serde_json::to_string(decision) {
                body.push_str(&line);
                body.push('\n');
            }
        }
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("content-type", "application/x-ndjson");
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        match request.send(body) {
            Ok(_) => Attempt::Sent,
            Err(ureq::Error::StatusCode(code))
                if (400..500).contains(&code) && code != 408 && code != 429 =>
            {
                Attempt::Refused(format!("the console answered {code}"))
            }
            Err(e) => Attempt::Retry(e.to_string()),
        }
    }
}

/// Reads the CA certificates of `path`.
fn roots(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, ForwardError> {
    let pem = std::fs::read(path).map_err(|e| ForwardError {
        reason: format!("cannot read `{}`: {e}", path.display()),
    })?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ForwardError {
            reason: format!("`{}`: {e}", path.display()),
        })?;
    if certs.is_empty() {
        return Err(ForwardError {
            reason: format!("`{}` holds no PEM `CERTIFICATE` block", path.display()),
        });
    }
    Ok(certs)
}

impl Forwarder {
    /// Checks the configuration and starts the background thread.
    pub fn start(config: ForwardConfig) -> Result<Forwarder, ForwardError> {
        let base = config.url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ForwardError {
                reason: format!("`{base}` is not an http(s) URL"),
            });
        }
        if config.cluster.is_empty()
            || config.cluster.len() > 253
            || !config
                .cluster
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(ForwardError {
                reason: format!("cluster name `{}` is not allowed", config.cluster),
            });
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &config.ca {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots(ca)?));
        }
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_global(Some(config.timeout))
                .tls_config(tls.build())
                .build(),
        );
        let poster = Poster {
            agent,
            endpoint: format!("{base}/api/v1/admission?cluster={}", config.cluster),
            token: config.token.clone(),
        };
        let (sender, receiver) = mpsc::sync_channel(config.queue.max(1));
        let (finished, done) = mpsc::channel();
        let counters = ForwardCounters::default();
        let closing = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            poster,
            receiver,
            counters: counters.clone(),
            closing: Arc::clone(&closing),
            batch: config.batch.max(1),
            flush_every: config.flush_every,
            max_backoff: config.max_backoff,
        };
        std::thread::Builder::new()
            .name("palisade-console-forward".to_owned())
            .spawn(move || {
                worker.run();
                let _ = finished.send(());
            })
            .map_err(|e| ForwardError {
                reason: format!("cannot start its thread: {e}"),
            })?;
        Ok(Forwarder {
            sender,
            counters,
            closing,
            done: Mutex::new(done),
        })
    }

    /// Queues a decision; drops it (counted) when the queue is full.
    pub fn record(&self, decision: AdmissionDecision) {
        match self.sender.try_send(decision) {
            Ok(()) => {
                self.counters.queued.inc();
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped.inc();
            }
        }
    }

    /// The counters.
    pub fn counters(&self) -> &ForwardCounters {
        &self.counters
    }

    /// Registers the counters in `registry` as `console_forwarded`,
    /// `console_dropped`, `console_failed`, `console_retries` (counters) and
    /// `console_queue` (a gauge).
    pub fn register(&self, registry: &mut Registry) {
        let c = &self.counters;
        for (name, help, counter) in [
            (
                "console_forwarded",
                "Admission decisions the console took",
                &c.sent,
            ),
            (
                "console_dropped",
                "Admission decisions dropped because the queue to the console was full",
                &c.dropped,
            ),
            (
                "console_failed",
                "Admission decisions the console refused, or left unsent at shutdown",
                &c.failed,
            ),
            (
                "console_retries",
                "Attempts to post a batch to the console that failed and were retried",
                &c.retries,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "console_queue",
            "Admission decisions waiting to be sent to the console",
            c.queued.clone(),
        );
    }

    /// Sends what is queued, once (no retries), waiting at most
    /// `deadline`; what the console does not take is counted as failed.
    pub fn close(&self, deadline: Duration) {
        self.closing.store(true, Ordering::SeqCst);
        let done = match self.done.lock() {
            Ok(d) => d,
            Err(poisoned) => poisoned.into_inner(),
        };
        if done.recv_timeout(deadline).is_err() {
            tracing::warn!(
                left = self.counters.queued.get(),
                "decisions not sent to the console before shutdown"
            );
        }
    }
}

/// The background thread's state.
struct Worker {
    poster: Poster,
    receiver: Receiver<AdmissionDecision>,
    counters: ForwardCounters,
    closing: Arc<AtomicBool>,
    batch: usize,
    flush_every: Duration,
    max_backoff: Duration,
}

impl Worker {
    fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// The next batch: waits for a first decision, then up to
    /// `flush_every` for more (when closing: takes what is queued, without
    /// waiting). `None` once closing with an empty queue.
    fn next_batch(&self) -> Option<Vec<AdmissionDecision>> {
        let first = loop {
            match self.receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(d) => break d,
                Err(RecvTimeoutError::Timeout) if !self.closing() => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        };
        let mut batch = vec![first];
        let until = Instant::now() + self.flush_every;
        while batch.len() < self.batch {
            let next = if self.closing() {
                self.receiver.try_recv().ok()
            } else {
                let left = until.saturating_duration_since(Instant::now());
                self.receiver.recv_timeout(left).ok()
            };
            match next {
                Some(d) => batch.push(d),
                None => break,
            }
        }
        Some(batch)
    }

    fn run(self) {
        while let Some(batch) = self.next_batch() {
            let n = batch.len() as i64;
            let mut backoff = Duration::from_millis(100);
            loop {
                match self.poster.post(&batch) {
                    Attempt::Sent => {
                        self.counters.sent.inc_by(n.unsigned_abs());
                        break;
                    }
                    Attempt::Refused(reason) => {
                        self.counters.failed.inc_by(n.unsigned_abs());
                        tracing::warn!(%reason, decisions = n, "the console refused a batch of decisions; not retried");
                        break;
                    }
                    Attempt::Retry(reason) => {
                        if self.closing() {
                            self.counters.failed.inc_by(n.unsigned_abs());
                            tracing::warn!(%reason, decisions = n, "the console is unreachable at shutdown; decisions not sent");
                            break;
                        }
                        self.counters.retries.inc();
                        tracing::debug!(%reason, ?backoff, "the console did not take a batch; retrying");
                        self.pause(backoff);
                        backoff = (backoff * 2).min(self.max_backoff);
                    }
                }
            }
            self.counters.queued.dec_by(n);
        }
    }

    /// Sleeps `pause`, waking early when closing.
    fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        while !self.closing() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
