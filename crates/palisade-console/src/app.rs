//! What every request shares: the loaded policies, the tuning state, the
//! store, the metrics; loading and re-auditing on change.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use palisade::posture::{Operations, PostureContext, TestResults};
use palisade::{Palisade, Subject};

use crate::config::ConsoleConfig;
use crate::ingest::{Exception, Mode, Tuning};
use crate::metrics::Metrics;
use crate::oncall::Oncall;
use crate::store::{Run, RunFinding, Store, StoreError, now_ms};

/// The policies and inventory in force.
#[derive(Debug)]
pub struct Loaded {
    /// Every layer, loaded.
    pub palisade: Palisade,
    /// The files' fingerprint when loaded.
    pub fingerprint: u64,
}

/// The shared state.
#[derive(Debug)]
pub struct App {
    /// Settings.
    pub config: ConsoleConfig,
    /// The store.
    pub store: Store,
    /// The policies and inventory in force.
    pub loaded: RwLock<Arc<Loaded>>,
    /// Rule states and exceptions.
    pub tuning: RwLock<Arc<Tuning>>,
    /// Metrics.
    pub metrics: Metrics,
    /// One ingest batch at a time is stored (dedup counts stay exact).
    pub ingest: tokio::sync::Mutex<()>,
    /// The rate limiter.
    pub limiter: Mutex<Bucket>,
    /// The on-call sink.
    pub oncall: Option<Oncall>,
}

/// A token bucket of events per second.
#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket of `rate` events per second.
    pub fn new(rate: u64) -> Bucket {
        #[expect(clippy::cast_precision_loss, reason = "rates are far below 2^52")]
        let rate = rate as f64;
        Bucket {
            tokens: rate,
            rate,
            at: Instant::now(),
        }
    }

    /// Takes `n` tokens when some are left (the bucket may go below zero
    /// by one batch); `false` when the caller must wait.
    pub fn take(&mut self, n: usize) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens <= 0.0 {
            return false;
        }
        #[expect(clippy::cast_precision_loss, reason = "batch sizes are far below 2^52")]
        let n = n as f64;
        self.tokens -= n;
        true
    }
}

/// The policy and inventory files could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("policies or inventory did not load: {message}")]
#[diagnostic(
    code(palisade::console::load),
    help("`palisade report DIR` shows the same inputs with every problem")
)]
pub struct LoadError {
    /// What went wrong.
    pub message: String,
}

/// A fingerprint of the input files: names, sizes and modification times.
pub fn fingerprint(dirs: &[&Path]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for dir in dirs {
        if let Ok(files) = palisade::inputs::input_files(dir) {
            for file in files {
                file.hash(&mut hasher);
                if let Ok(meta) = std::fs::metadata(&file) {
                    meta.len().hash(&mut hasher);
                    meta.modified()
                        .ok()
                        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                        .hash(&mut hasher);
                }
            }
        }
    }
    hasher.finish()
}

/// Rule states, tag states and exceptions as stored.
pub async fn load_tuning(store: &Store) -> Result<Tuning, StoreError> {
    let mut tuning = Tuning::default();
    for state in store.rule_states().await? {
        tuning.disabled.insert(state.name.clone(), !state.enabled);
        if let Ok(mode) = state.mode.parse::<Mode>() {
            tuning.modes.insert(state.name, mode);
        }
    }
    tuning.disabled_tags = store.disabled_tags().await?.into_iter().collect();
    for (rule, body) in store.exceptions().await? {
        if let Ok(exception) = serde_json::from_str::<Exception>(&body) {
            tuning.exceptions.entry(rule).or_default().push(exception);
        }
    }
    Ok(tuning)
}

impl App {
    /// The directories read.
    fn dirs(config: &ConsoleConfig) -> Vec<&Path> {
        let mut dirs = vec![config.policies.as_path()];
        if let Some(inventory) = &config.inventory {
            dirs.push(inventory.as_path());
        }
        dirs
    }

    /// Loads the policies and inventory.
    pub fn load(config: &ConsoleConfig) -> Result<Loaded, LoadError> {
        let dirs = App::dirs(config);
        let fingerprint = fingerprint(&dirs);
        let palisade = Palisade::load_dirs(&dirs).map_err(|e| LoadError {
            message: e.to_string(),
        })?;
        Ok(Loaded {
            palisade,
            fingerprint,
        })
    }

    /// Starts: opens nothing itself; the caller gives the store and the first load.
    pub async fn new(
        config: ConsoleConfig,
        store: Store,
        loaded: Loaded,
    ) -> Result<App, StoreError> {
        let tuning = load_tuning(&store).await?;
        let oncall = config
            .oncall_url
            .clone()
            .map(|url| Oncall::new(url, config.oncall_slack));
        Ok(App {
            limiter: Mutex::new(Bucket::new(config.rate_limit)),
            config,
            store,
            loaded: RwLock::new(Arc::new(loaded)),
            tuning: RwLock::new(Arc::new(tuning)),
            metrics: Metrics::new(),
            ingest: tokio::sync::Mutex::new(()),
            oncall,
        })
    }

    /// The policies in force.
    pub fn loaded(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(l) => Arc::clone(&l),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The tuning in force.
    pub fn tuning(&self) -> Arc<Tuning> {
        match self.tuning.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the tuning.
    pub fn set_tuning(&self, tuning: Tuning) {
        let mut slot = match self.tuning.write() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Arc::new(tuning);
    }

    /// What the posture knows of alert handling.
    pub fn operations(&self) -> Operations {
        let tuning = self.tuning();
        Operations {
            dedup_window: Some(self.config.dedup_window),
            oncall_routing: self.oncall.is_some(),
            disabled_rules: tuning
                .disabled
                .iter()
                .filter(|(_, off)| **off)
                .map(|(name, _)| name.clone())
                .collect(),
            observed_rules: tuning
                .modes
                .iter()
                .filter(|(_, mode)| **mode == Mode::Observe)
                .map(|(name, _)| name.clone())
                .collect(),
            exceptions: tuning.exceptions.values().map(Vec::len).sum(),
        }
    }

    /// Audits what is loaded (findings, coverage, posture) and stores the run.
    pub async fn audit(&self) -> Result<(), StoreError> {
        let loaded = self.loaded();
        let palisade = &loaded.palisade;
        let report = palisade.report(None);
        let posture = palisade.posture(&PostureContext {
            operations: Some(self.operations()),
            tests: Some(TestResults::run(&self.config.policies)),
            answers: palisade::posture::Answers::default(),
        });
        let findings = report
            .findings
            .iter()
            .map(|f| RunFinding {
                layer: f.layer.as_str().to_owned(),
                severity: f.severity.as_str().to_owned(),
                policy: f.policy.clone(),
                namespace: match &f.subject {
                    Some(Subject::Object(o)) => o.namespace.clone().unwrap_or_default(),
                    _ => String::new(),
                },
                body: serde_json::to_string(f).unwrap_or_default(),
            })
            .collect();
        let run = Run {
            cluster: self.config.cluster.clone(),
            at: now_ms(),
            score: i64::from(posture.score),
            posture: serde_json::to_string(&posture).unwrap_or_default(),
            coverage: serde_json::to_string(&report.coverage).unwrap_or_default(),
            findings,
        };
        self.store.save_run(&run).await?;
        self.metrics.audits.inc();
        Ok(())
    }

    /// Every `reload_interval`: reads rule states and exceptions again
    /// (replicas sharing a PostgreSQL store converge), and checks the files;
    /// on change, reloads and audits again. A load that fails keeps the previous set (logged).
    pub async fn watch(self: Arc<Self>) {
        let mut last_retention = Instant::now();
        loop {
            tokio::time::sleep(self.config.reload_interval).await;
            // Rule states and exceptions set through another replica.
            match load_tuning(&self.store).await {
                Ok(tuning) => self.set_tuning(tuning),
                Err(e) => tracing::warn!(error = %e, "cannot read rule states"),
            }
            let dirs = App::dirs(&self.config);
            let now = fingerprint(&dirs);
            if now != self.loaded().fingerprint {
                let config = self.config.clone();
                match tokio::task::spawn_blocking(move || App::load(&config)).await {
                    Ok(Ok(loaded)) => {
                        {
                            let mut slot = match self.loaded.write() {
                                Ok(l) => l,
                                Err(poisoned) => poisoned.into_inner(),
                            };
                            *slot = Arc::new(loaded);
                        }
                        self.metrics.reloads.inc();
                        tracing::info!("policies or inventory changed: reloaded");
                        if let Err(e) = self.audit().await {
                            tracing::warn!(error = %e, "audit after reload failed");
                        }
                    }
                    Ok(Err(e)) => {
                        self.metrics.reload_failures.inc();
                        tracing::warn!(error = %e, "reload failed; the previous policies stay in force");
                    }
                    Err(e) => tracing::warn!(error = %e, "reload task failed"),
                }
            }
            if last_retention.elapsed() >= Duration::from_secs(3600) {
                last_retention = Instant::now();
                let age = i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
                if let Err(e) = self.store.expire(now_ms().saturating_sub(age)).await {
                    tracing::warn!(error = %e, "retention failed");
                }
            }
        }
    }
}
