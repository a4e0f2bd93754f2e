//! `POST /api/v1/audit?cluster=NAME`: the console as the Kubernetes API
//! server's audit webhook backend (`--audit-webhook-config-file`).
//!
//! The API server posts `EventList`s of `audit.k8s.io/v1` events; each
//! event runs the loaded rules of `source: k8s_audit` (Falco's k8saudit
//! rules) and what fires joins the syscall alerts: the same tuning (rule
//! states, exceptions), deduplication, on-call routing and pages. A body
//! with a value that is not an audit event is refused whole (`400` with its
//! line), as `POST /events` refuses a bad line: the API server retries it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use palisade::runtime::k8saudit::AuditEvents;

use super::{Ingest, store_matched};
use crate::app::App;
use crate::ingest::{self, BatchError};

/// Reads, matches and stores one webhook batch.
pub(super) async fn post_audit(
    State(app): State<Arc<App>>,
    Ingest { cluster, text }: Ingest,
) -> Response {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let matched = tokio::task::spawn_blocking(move || {
        let palisade = &loaded.palisade;
        let schema = palisade
            .rules()
            .map_or_else(palisade::runtime::alert_schema, |r| r.schema().clone());
        let events = AuditEvents::parse(&text, &schema);
        if let Some(e) = events.errors().first() {
            return Err(BatchError::located(e.line, e.column, &e.message));
        }
        Ok(ingest::match_events(
            palisade,
            &tuning,
            &cluster,
            events.events(),
        ))
    })
    .await;
    store_matched(&app, matched).await
}
