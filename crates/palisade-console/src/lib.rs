//! The Palisade console: one HTTPS service that gathers every layer's
//! findings and alerts, scores the posture and keeps the history.
//!
//! It loads policies of every layer and an inventory through the facade
//! [`palisade`], audits them on every change, ingests runtime events and
//! Falco's JSON alerts, applies the tuning routine (rules enabled or
//! disabled, observe mode, exceptions, dedup window, routing by priority)
//! and stores the history in SQLite or PostgreSQL ([`store`]). The API is in
//! [`api`]; `docs/console.md` is the user's guide.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod api;
pub mod app;
pub mod config;
pub mod demo;
mod export;
pub mod ingest;
pub mod metrics;
pub mod oncall;
mod openapi;
mod pages;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use config::ConsoleConfig;
use palisade_https::{BindError, CertStore, ShutdownSignal, TlsError, accept_loop};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// The console could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The certificate or key could not be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Tls(#[from] TlsError),
    /// The listening socket could not be opened.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Bind(#[from] BindError),
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

/// Runs the console until `stop` completes (tests and embedders).
pub async fn serve_until(
    config: ConsoleConfig,
    ready: impl FnOnce(SocketAddr),
    until: impl std::future::Future<Output = ()>,
) -> Result<(), ConsoleError> {
    let (cert, key) = certificates(&config)?;
    let certs = Arc::new(CertStore::open(&cert, &key)?);
    let acceptor = TlsAcceptor::from(Arc::new(certs.server_config()?));
    let store = store::Store::open(&config.db).await?;
    let first = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || app::App::load(&config))
            .await
            .map_err(|e| app::LoadError {
                message: e.to_string(),
            })??
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| BindError {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| BindError {
        addr: config.listen,
        source,
    })?;
    if config.token.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(%addr, "LISTENING BEYOND LOOPBACK WITHOUT A TOKEN: anyone who reaches this address can read and change the console; give --token-file");
    }
    let app = Arc::new(app::App::new(config, store, first).await?);
    app.audit().await?;
    let router = api::router(Arc::clone(&app));
    let (stop, stopped) = watch::channel(false);
    let accepting = tokio::spawn(accept_loop(
        listener,
        acceptor,
        router,
        stopped,
        Duration::from_secs(10),
    ));
    let watching = tokio::spawn(Arc::clone(&app).watch());
    ready(addr);
    tracing::info!(%addr, "console listening");
    until.await;
    watching.abort();
    let _ = stop.send(true);
    let _ = accepting.await;
    Ok(())
}
