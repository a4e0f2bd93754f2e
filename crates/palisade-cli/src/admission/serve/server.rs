//! The HTTPS server: routes, the accept loop (TLS handshake, HTTP/1.1
//! connection per client) and graceful shutdown.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::app::App;
use super::args::ServeArgs;
use super::error::{BindError, InventoryLoadFailed, PolicyLoadFailed, ServeError};
use super::inventory::{InventorySource, InventoryStore};
use super::metrics::{self, Metrics};
use super::policies::{PolicySource, PolicyStore};
use super::reload;
use super::tls::CertStore;
use super::validate;

/// How long a client has to finish the TLS handshake, and to send the
/// request headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the webhook until SIGTERM or ctrl-c, then drains in-flight requests.
pub async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    // Listen for SIGTERM and ctrl-c before anything else, so a signal that
    // arrives while the first policy set loads is not lost.
    let shutdown = ShutdownSignal::listen();
    let certs = Arc::new(CertStore::open(&args.tls_cert, &args.tls_key)?);
    let acceptor = TlsAcceptor::from(Arc::new(certs.server_config()?));
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|source| BindError {
            addr: args.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| BindError {
        addr: args.listen,
        source,
    })?;
    let app = Arc::new(App {
        store: PolicyStore::default(),
        inventory: InventoryStore::default(),
        has_inventory: !args.inventory.is_empty(),
        metrics: Metrics::new(),
        timeout: args.timeout,
        failure_policy: args.failure_policy,
        max_body_bytes: args.max_body_bytes,
        evaluations: Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        )),
    });
    let router = router(Arc::clone(&app));
    let (stop, stopped) = watch::channel(false);
    let accepting = tokio::spawn(accept_loop(
        listener,
        acceptor,
        router,
        stopped,
        args.shutdown_timeout,
    ));
    // Scripts and tests read the bound address (port 0 picks one) here.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on https://{addr}");
    let _ = stdout.flush();
    drop(stdout);
    tracing::info!(%addr, "listening");

    let inventory = InventorySource::new(args.inventory.clone());
    if !args.inventory.is_empty()
        && let Err(errors) = reload::load_inventory(&app, &inventory).await
    {
        let _ = stop.send(true);
        let _ = accepting.await;
        return Err(InventoryLoadFailed {
            count: errors.len(),
            messages: errors.join("\n"),
        }
        .into());
    }
    let source = PolicySource::new(args.policies.clone(), args.builtin, args.pod_security);
    if let Err(errors) = reload::load_policies(&app, &source).await {
        let _ = stop.send(true);
        let _ = accepting.await;
        return Err(PolicyLoadFailed {
            count: errors.len(),
            messages: errors.join("\n"),
        }
        .into());
    }
    let watching = tokio::spawn(reload::watch(
        Arc::clone(&app),
        source,
        inventory,
        Arc::clone(&certs),
        args.reload_interval,
    ));
    shutdown.received().await;
    tracing::info!("shutting down: no new connections, draining in-flight requests");
    watching.abort();
    let _ = stop.send(true);
    let _ = accepting.await;
    tracing::info!("stopped");
    Ok(())
}

/// The routes.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/validate", post(validate::handle))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(app)
}

/// `GET /healthz`: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 once a policy set is loaded, 503 before.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.store.current() {
        Some(generation) => (
            StatusCode::OK,
            format!(
                "ready: policy set {} ({} policies)\n",
                generation.number,
                generation.policies.len()
            ),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: policies are not loaded yet\n",
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus / OpenMetrics text.
async fn render_metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        app.metrics.render(),
    )
        .into_response()
}

/// Accepts connections until told to stop, then waits (up to
/// `shutdown_timeout`) for the open ones to finish their requests.
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    mut stop: watch::Receiver<bool>,
    shutdown_timeout: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    let watcher = graceful.watcher();
                    let acceptor = acceptor.clone();
                    let service = TowerToHyperService::new(router.clone());
                    tokio::spawn(async move {
                        let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                        let connection = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(HANDSHAKE_TIMEOUT)
                            .serve_connection(TokioIo::new(tls), service);
                        if let Err(error) = watcher.watch(connection).await {
                            tracing::debug!(%peer, %error, "connection ended with an error");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(shutdown_timeout) => {
            tracing::warn!(timeout = ?shutdown_timeout, "shutdown timeout passed; closing the remaining connections");
        }
    }
}

/// SIGTERM and ctrl-c, listened for from the start.
struct ShutdownSignal {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignal {
    /// Starts listening (signals received from now on are kept).
    fn listen() -> ShutdownSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            ShutdownSignal {
                terminate: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        ShutdownSignal {}
    }

    /// Waits for ctrl-c or SIGTERM.
    async fn received(self) {
        #[cfg(unix)]
        {
            async fn next(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt) => tracing::info!("interrupted"),
                () = next(self.terminate) => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("interrupted");
        }
    }
}
