//! The Palisade console: one HTTPS service that gathers every layer's
//! findings and alerts, scores the posture and keeps the history.
//!
//! It loads policies of every layer and an inventory through the facade
//! [`palisade`], audits them on every change, ingests runtime events and
//! Falco's JSON alerts, applies the tuning routine (rules enabled or
//! disabled, observe mode, exceptions, dedup window, routing by priority)
//! and stores the history in SQLite or PostgreSQL ([`store`]). The API is in
//! [`api`]; `docs/console.md` is the user's guide.

pub mod api;
pub mod app;
pub mod config;
pub mod decisions;
pub mod demo;
mod export;
pub mod flows;
pub mod forward;
pub mod ingest;
pub mod metrics;
pub mod oncall;
mod openapi;
mod pages;
pub mod store;
pub mod summary;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use config::ConsoleConfig;
use palisade_https::{ShutdownSignal, StartError, TlsError};

/// The console could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The certificate, the key or the socket could not be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Https(#[from] StartError),
    /// The store could not be opened.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] store::StoreError),
    /// The policies or inventory did not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] app::LoadError),
}

/// The certificate and key to serve: the configured pair, or a development
/// pair written to `state_dir` (its CA in `ca.crt`).
fn certificates(
    config: &ConsoleConfig,
) -> Result<(std::path::PathBuf, std::path::PathBuf), TlsError> {
    if let Some(pair) = &config.tls {
        return Ok(pair.clone());
    }
    let dir = &config.state_dir;
    let fail = |reason: String| TlsError {
        path: dir.clone(),
        reason,
    };
    let cert = dir.join("console-tls.crt");
    let key = dir.join("console-tls.key");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        config.listen.ip().to_string(),
    ];
    let dev = palisade_https::dev_cert::generate(&names, 365).map_err(|e| fail(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    std::fs::write(dir.join("console-ca.crt"), &dev.ca_cert).map_err(|e| fail(e.to_string()))?;
    std::fs::write(&cert, &dev.server_cert).map_err(|e| fail(e.to_string()))?;
    std::fs::write(&key, &dev.server_key).map_err(|e| fail(e.to_string()))?;
    Ok((cert, key))
}

/// Runs the console until SIGTERM or ctrl-c. `ready` is called with the
/// bound address once the first audit is stored and requests are served.
pub async fn serve(
    config: ConsoleConfig,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ConsoleError> {
    let shutdown = ShutdownSignal::listen();
    serve_until(config, ready, shutdown.received()).await
}

/// A console serving in the background of this async runtime ([`start`]);
/// told to stop when dropped.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ConsoleError>>,
}

impl Running {
    /// Stops it and waits until it has (connections drained).
    pub async fn stop(mut self) -> Result<(), ConsoleError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the console in the background of the current async runtime and
/// returns once it serves (tests, benchmarks and embedders); the error if it
/// cannot start.
pub async fn start(config: ConsoleConfig) -> Result<Running, ConsoleError> {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut task = tokio::spawn(serve_until(
        config,
        move |addr| {
            let _ = ready_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    match ready_rx.await {
        Ok(addr) => Ok(Running {
            addr,
            stop: Some(stop_tx),
            task,
        }),
        // It ended before it served: its error.
        Err(_) => match (&mut task).await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) | Err(_) => Err(ConsoleError::Load(app::LoadError {
                message: "the console stopped before it served".to_owned(),
            })),
        },
    }
}

/// Runs the console until `stop` completes (tests and embedders).
pub async fn serve_until(
    config: ConsoleConfig,
    ready: impl FnOnce(SocketAddr),
    until: impl std::future::Future<Output = ()>,
) -> Result<(), ConsoleError> {
    let (cert, key) = certificates(&config).map_err(StartError::from)?;
    let tls = palisade_https::listen(&cert, &key, config.listen).await?;
    let (certs, addr) = (Arc::clone(&tls.certs), tls.addr);
    let store = store::Store::open(&config.db).await?;
    let first = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || app::App::load(&config))
            .await
            .map_err(|e| app::LoadError {
                message: e.to_string(),
            })??
    };
    if config.token.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(%addr, "LISTENING BEYOND LOOPBACK WITHOUT A TOKEN: anyone who reaches this address can read and change the console; give --token-file");
    }
    let app = Arc::new(app::App::new(config, store, first).await?);
    app.audit().await?;
    let serving = tls.serve(api::router(Arc::clone(&app)), Duration::from_secs(10));
    let watching = tokio::spawn(Arc::clone(&app).watch());
    // A renewed certificate is served without a restart.
    let interval = app.config.reload_interval;
    let renewing = tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let certs = Arc::clone(&certs);
            match tokio::task::spawn_blocking(move || certs.reload_if_changed()).await {
                Ok(Some(Ok(()))) => tracing::info!("certificate reloaded"),
                Ok(Some(Err(error))) => {
                    tracing::error!(%error, "certificate not reloaded; still serving the previous one");
                }
                Ok(None) | Err(_) => {}
            }
        }
    });
    ready(addr);
    tracing::info!(%addr, "console listening");
    until.await;
    watching.abort();
    renewing.abort();
    serving.stop().await;
    Ok(())
}
