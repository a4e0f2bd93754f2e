//! The HTTPS server: routes, the accept loop (TLS handshake, HTTP/1.1
//! connection per client) and graceful shutdown.

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Semaphore;

use super::app::App;
use super::args::ServeArgs;
use super::error::{InventoryLoadFailed, PolicyLoadFailed, ServeError};
use super::inventory::{InventorySource, InventoryStore};
use super::metrics::{self, Metrics};
use super::mutate;
use super::policies::{PolicySource, PolicyStore};
use super::reload;
use super::validate;
use palisade_https::ShutdownSignal;

/// Runs the webhook until SIGTERM or ctrl-c, then drains in-flight requests.
pub async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    // Listen for SIGTERM and ctrl-c before anything else, so a signal that
    // arrives while the first policy set loads is not lost.
    let shutdown = ShutdownSignal::listen();
    let tls = palisade_https::listen(&args.tls_cert, &args.tls_key, args.listen).await?;
    let (certs, addr) = (Arc::clone(&tls.certs), tls.addr);
    let console = super::console::start(&args)?;
    let mut metrics = Metrics::new();
    if let Some(console) = &console {
        metrics.register_console(console);
    }
    let app = Arc::new(App {
        store: PolicyStore::default(),
        inventory: InventoryStore::default(),
        has_inventory: !args.inventory.is_empty(),
        metrics,
        timeout: args.timeout,
        failure_policy: args.failure_policy,
        max_body_bytes: args.max_body_bytes,
        evaluations: Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        )),
        console,
    });
    let serving = tls.serve(router(Arc::clone(&app)), args.shutdown_timeout);
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
        serving.stop().await;
        return Err(InventoryLoadFailed {
            count: errors.len(),
            messages: errors.join("\n"),
        }
        .into());
    }
    let source = PolicySource::new(args.policies.clone(), args.builtin, args.pod_security)
        .with_engine(args.engine)
        .with_mutation(args.mutate_policies.clone(), args.remediation_pack);
    if let Err(errors) = reload::load_policies(&app, &source).await {
        serving.stop().await;
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
    serving.stop().await;
    // The decisions still queued for the console, sent once.
    let closing = Arc::clone(&app);
    let _ = tokio::task::spawn_blocking(move || {
        if let Some(console) = &closing.console {
            console.close(std::time::Duration::from_secs(2));
        }
    })
    .await;
    tracing::info!("stopped");
    Ok(())
}

/// The routes.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/validate", post(validate::handle))
        .route("/mutate", post(mutate::handle))
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
