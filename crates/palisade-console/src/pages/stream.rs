//! `GET /runtime/stream`: the runtime page's live stream, as server-sent
//! events. Every second it reads the newest alerts of both lists from the
//! store (so it sees what every replica stored) and sends the rows that are
//! new or changed since the last send, rendered by the same template as the
//! page ([`super::runtime::alert_row`]); the first send carries them all.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde_json::json;

use super::runtime::{LISTS, ROWS, alert_row};
use crate::app::App;

/// How often the store is read for each open stream.
const TICK: Duration = Duration::from_secs(1);

/// What was last sent: alert id -> (count, last seen ms).
type Sent = HashMap<i64, (i64, i64)>;

/// `GET /runtime/stream`: `alerts` events whose data is a JSON array of
/// `{"id", "routed", "last_seen", "html"}` (the row's markup).
pub async fn alerts(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = stream::unfold(
        (app, Sent::new(), true),
        |(app, mut sent, first)| async move {
            let mut wait = !first;
            loop {
                if wait {
                    tokio::time::sleep(TICK).await;
                }
                wait = true;
                let (changed, now) = changes(&app, &sent).await;
                sent = now;
                if !changed.is_empty() {
                    let event = Event::default()
                        .event("alerts")
                        .data(serde_json::Value::Array(changed).to_string());
                    return Some((Ok(event), (app, sent, false)));
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// The rows of both lists that differ from `sent`, and what is shown now.
async fn changes(app: &App, sent: &Sent) -> (Vec<serde_json::Value>, Sent) {
    let mut changed = Vec::new();
    let mut now = Sent::new();
    for (routed, _) in LISTS {
        match app.store.recent_alerts(routed, None, ROWS).await {
            Ok(rows) => {
                for (at, alert) in rows {
                    let state = (alert.count, at);
                    if sent.get(&alert.id) != Some(&state) {
                        changed.push(json!({
                            "id": alert.id,
                            "routed": routed,
                            "last_seen": at,
                            "html": alert_row(at, &alert).into_string(),
                        }));
                    }
                    now.insert(alert.id, state);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live stream: reading alerts failed");
                return (Vec::new(), sent.clone());
            }
        }
    }
    (changed, now)
}
