//! The HTTP API under `/api/v1` (JSON), `/metrics` and `/healthz`.
//!
#![allow(
    clippy::result_large_err,
    reason = "helpers return the refusal response itself, built once per refused request"
)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use palisade_https::body::{BodyError, read_body};
use serde_json::{Value, json};

mod audit;

use crate::app::App;
use crate::ingest::{self, Batch, BatchError, Exception, Mode, printable};
use crate::store::{
    FINDING_FILTERS, Filter, Filters, Listed, RuleState, StoredAlert, StoredDecision,
    StoredFlowFinding, now_ms, parse_rfc3339, rfc3339,
};

/// How long a client has to send an ingest body.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest page.
const MAX_LIMIT: i64 = 1000;

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.max_body_bytes;
    let api = Router::new()
        .route("/events", post(post_events))
        .route("/falco", post(post_falco))
        .route("/flows", post(post_flows).get(get_flows))
        .route("/audit", post(audit::post_audit))
        .route("/admission", post(post_admission))
        .route("/decisions", get(get_decisions))
        .route("/alerts", get(get_alerts))
        .route("/rules", get(get_rules))
        .route("/rules/{name}", put(put_rule))
        .route("/rules/{name}/exceptions", post(post_exception))
        .route("/tags", get(get_tags))
        .route("/tags/{name}", put(put_tag))
        .route("/exceptions/export", get(export_exceptions))
        .route("/posture", get(get_posture))
        .route("/coverage", get(get_coverage))
        .route("/findings", get(get_findings))
        .route("/summary", get(get_summary))
        .route("/policies", get(get_policies))
        .route("/policies/export", get(export_policies))
        .route("/openapi.json", get(openapi))
        .fallback(not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            authenticate,
        ))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        // The web pages (issue 18): their routes, the login form and the
        // session guard are all in `crate::pages`.
        .merge(crate::pages::router(Arc::clone(&app)))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

/// A refused request: counted by its reason (the status: `bad_request`,
/// `not_found`, `not_implemented`) and answered `{"error": message}`.
fn refuse(app: &App, status: StatusCode, message: String) -> Response {
    app.metrics.refuse(match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::NOT_IMPLEMENTED => "not_implemented",
        _ => "bad_request",
    });
    error(status, message)
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// With `--token-file`, every call carries `Authorization: Bearer TOKEN`.
async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if let Some(token) = &app.config.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| {
            // Compare every byte, whatever the first difference.
            g.len() == token.len()
                && g.bytes()
                    .zip(token.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        // Or the web pages' session cookie (and CSRF token when it changes state).
        let ok = ok || crate::pages::session::admits(token, &request);
        if !ok {
            app.metrics.refuse("unauthorized");
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(
                    json!({"error": "a bearer token is required (`Authorization: Bearer TOKEN`)"}),
                ),
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// `GET /readyz`: 200 while the store answers, 503 (with the reason)
/// when it does not, so a replica that lost its database leaves the Service.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.store.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")).into_response(),
    }
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    refuse(
        &app,
        StatusCode::NOT_FOUND,
        "no such endpoint; see /api/v1/openapi.json".to_owned(),
    )
}

/// `?cluster=NAME` of ingest calls.
fn cluster_of(app: &App, query: &HashMap<String, String>) -> Result<String, Response> {
    match query.get("cluster") {
        None => Ok(app.config.cluster.clone()),
        Some(c)
            if !c.is_empty()
                && c.len() <= 253
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '_')) =>
        {
            Ok(c.clone())
        }
        Some(c) => Err(refuse(
            app,
            StatusCode::BAD_REQUEST,
            format!(
                "`cluster` must be 1 to 253 letters, digits, `-`, `.` or `_`: `{}`",
                printable(c)
            ),
        )),
    }
}

/// The body as UTF-8, refusals counted.
fn body_text(
    app: &App,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<String, Response> {
    let bytes = body.map_err(|rejection| {
        let status = rejection.status();
        app.metrics
            .refuse(if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "bad_request"
            });
        error(status, rejection.body_text())
    })?;
    utf8(app, bytes)
}

/// The body as UTF-8; the counted 400 with the line of the first bad byte.
fn utf8(app: &App, bytes: Bytes) -> Result<String, Response> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        app.metrics.refuse("bad_request");
        let line = bytes
            .get(..e.utf8_error().valid_up_to())
            .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "the body is not UTF-8", "line": line})),
        )
            .into_response()
    })
}

/// The `?cluster=NAME` and the UTF-8 body of an ingest call (`POST
/// /events`, `/falco`, `/admission`); refusals counted.
struct Ingest {
    cluster: String,
    text: String,
}

impl FromRequest<Arc<App>> for Ingest {
    type Rejection = Response;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Ingest, Response> {
        let query = Query::<HashMap<String, String>>::try_from_uri(request.uri())
            .map_err(|e| refuse(app, StatusCode::BAD_REQUEST, e.body_text()))?;
        let cluster = cluster_of(app, &query)?;
        let limit = app.config.max_body_bytes;
        let body = read_body(request.into_body(), limit, BODY_TIMEOUT).await;
        let bytes = body.map_err(|e| match e {
            BodyError::TooLarge => {
                app.metrics.refuse("too_large");
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {limit} bytes (`--max-body-bytes`)"),
                )
            }
            BodyError::Slow => refuse(
                app,
                StatusCode::BAD_REQUEST,
                "the body did not arrive within 10 s".to_owned(),
            ),
            BodyError::Read(reason) => refuse(
                app,
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {reason}"),
            ),
        })?;
        Ok(Ingest {
            cluster,
            text: utf8(app, bytes)?,
        })
    }
}

/// Takes `n` items from the ingestion rate limit; the counted 429 when
/// none are left.
fn rate_limit(app: &App, n: usize) -> Result<(), Response> {
    let allowed = match app.limiter.lock() {
        Ok(mut bucket) => bucket.take(n),
        Err(poisoned) => poisoned.into_inner().take(n),
    };
    if allowed {
        return Ok(());
    }
    app.metrics.refuse("rate_limited");
    Err((
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "1")],
        axum::Json(
            json!({"error": "ingestion rate limit reached; retry the whole batch after a second"}),
        ),
    )
        .into_response())
}

fn batch_error(app: &App, e: BatchError) -> Response {
    app.metrics.refuse("bad_request");
    (StatusCode::BAD_REQUEST, axum::Json(e)).into_response()
}

/// Counts, rate-limits, stores and routes a parsed batch.
async fn store_batch(app: &Arc<App>, batch: Batch) -> Response {
    if let Err(r) = rate_limit(app, batch.accepted) {
        return r;
    }
    let _turn = app.ingest.lock().await;
    let stored = match app.store.upsert_alerts(&batch.alerts).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "storing alerts failed");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store failed; nothing was stored, retry".to_owned(),
            );
        }
    };
    app.metrics.ingested.inc_by(batch.accepted as u64);
    app.metrics
        .alerts
        .inc_by(batch.alerts.iter().map(|a| a.count.unsigned_abs()).sum());
    app.metrics.disabled.inc_by(batch.disabled as u64);
    app.metrics.excepted.inc_by(batch.excepted as u64);
    if let Some(oncall) = &app.oncall {
        let window = i64::try_from(app.config.dedup_window.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        for (alert, up) in batch.alerts.iter().zip(&stored) {
            if alert.routed != "oncall" || up.notified_at.is_some_and(|at| now - at < window) {
                continue;
            }
            if let Err(e) = app.store.mark_notified(up.id, now).await {
                tracing::warn!(error = %e, "cannot record an on-call notification");
                continue;
            }
            let sent = StoredAlert {
                id: up.id,
                rule: alert.rule.clone(),
                priority: alert.priority.clone(),
                count: up.count,
                first_seen: rfc3339(alert.first_seen),
                last_seen: rfc3339(alert.last_seen),
                output: alert.output.clone(),
                fields: serde_json::from_str(&alert.fields).unwrap_or(Value::Null),
                cluster: alert.cluster.clone(),
                routed: alert.routed.clone(),
            };
            let oncall = oncall.clone();
            let app = Arc::clone(app);
            tokio::task::spawn_blocking(move || match oncall.send(&sent) {
                Ok(()) => {
                    app.metrics.oncall_sent.inc();
                }
                Err(e) => {
                    app.metrics.oncall_failed.inc();
                    tracing::warn!(error = %printable(&e), "on-call sink refused an alert");
                }
            });
        }
    }
    axum::Json(json!({"accepted": batch.accepted})).into_response()
}

/// `POST /events?cluster=NAME`: JSON lines of flat events.
async fn post_events(State(app): State<Arc<App>>, Ingest { cluster, text }: Ingest) -> Response {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let parsed = tokio::task::spawn_blocking(move || {
        ingest::events(&loaded.palisade, &tuning, &cluster, &text)
    })
    .await;
    store_matched(&app, parsed).await
}

/// Stores the batch a blocking matching task gave, or answers its refusal.
async fn store_matched(
    app: &Arc<App>,
    matched: Result<Result<Batch, BatchError>, tokio::task::JoinError>,
) -> Response {
    match matched {
        Ok(Ok(batch)) => store_batch(app, batch).await,
        Ok(Err(e)) => batch_error(app, e),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "matching failed".to_owned(),
        ),
    }
}

/// `POST /falco?cluster=NAME`: Falco's JSON alerts.
async fn post_falco(State(app): State<Arc<App>>, Ingest { cluster, text }: Ingest) -> Response {
    match ingest::falco(&app.tuning(), &cluster, &text) {
        Ok(batch) => store_batch(&app, batch).await,
        Err(e) => batch_error(&app, e),
    }
}

/// `POST /admission?cluster=NAME`: admission decisions forwarded by the
/// webhook (JSON lines of [`crate::decisions::AdmissionDecision`]).
async fn post_admission(State(app): State<Arc<App>>, Ingest { cluster, text }: Ingest) -> Response {
    let decisions = match crate::decisions::parse(&text) {
        Ok(d) => d,
        Err(e) => return batch_error(&app, e),
    };
    if let Err(r) = rate_limit(&app, decisions.len()) {
        return r;
    }
    let stored: Vec<_> = decisions.iter().map(|d| d.to_store()).collect();
    if let Err(e) = app.store.insert_decisions(&cluster, &stored).await {
        tracing::error!(error = %e, "storing admission decisions failed");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the store failed; nothing was stored, retry".to_owned(),
        );
    }
    app.metrics.decisions.inc_by(decisions.len() as u64);
    axum::Json(json!({"accepted": decisions.len()})).into_response()
}

/// `GET /decisions?cluster=&namespace=&kind=&verdict=&policy=&since=&limit=&cursor=`.
async fn get_decisions(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(v) = query.get("verdict")
        && !crate::decisions::Verdict::ALL
            .iter()
            .any(|known| known.as_str() == v)
    {
        return refuse(
            &app,
            StatusCode::BAD_REQUEST,
            format!(
                "`verdict` must be allowed, denied, error or timeout: `{}`",
                printable(v)
            ),
        );
    }
    list::<StoredDecision>(&app, &query).await
}

/// A list endpoint: its [`Filter`] from the query, one page of the rows
/// the store finds with it.
async fn list<T: Listed>(app: &App, query: &HashMap<String, String>) -> Response {
    let filter = match list_filter(app, query, &T::FILTERS, &[]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match app.store.list::<T>(&filter).await {
        Ok(items) => page(
            items.into_iter().map(|item| (item.id(), item)).collect(),
            filter.limit,
        ),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// `{"items", "next"}` of `(cursor, item)` rows fetched with one more than
/// the page (`limit` is the page plus one): `next` is the last served
/// row's cursor when there is more.
fn page<C: ToString, T: serde::Serialize>(mut rows: Vec<(C, T)>, limit: i64) -> Response {
    let next = if rows.len() as i64 == limit {
        rows.pop();
        rows.last().map(|(id, _)| id.to_string())
    } else {
        None
    };
    let items: Vec<T> = rows.into_iter().map(|(_, item)| item).collect();
    axum::Json(json!({"items": items, "next": next})).into_response()
}

/// The [`Filter`] of a list endpoint from its query: the parameters of
/// `filters`, `since` when the list has a time, `limit` and `cursor`, and
/// the endpoint's own `also` (read by the caller); anything else is refused.
fn list_filter(
    app: &App,
    query: &HashMap<String, String>,
    filters: &Filters,
    also: &[&str],
) -> Result<Filter, Response> {
    let mut known: Vec<&str> = filters.conditions.iter().map(|(name, _)| *name).collect();
    if filters.since.is_some() {
        known.push("since");
    }
    known.extend(["limit", "cursor"]);
    known.extend(also);
    reject_unknown(app, query, &known)?;
    let since = match filters.since {
        Some(condition) => since_of(app, query)?.map(|ms| (condition, ms)),
        None => None,
    };
    Ok(Filter {
        conditions: filters
            .conditions
            .iter()
            .filter_map(|(name, condition)| Some((*condition, query.get(*name)?.clone())))
            .collect(),
        since,
        after: cursor_of(app, query)?,
        limit: limit_of(app, query)? + 1,
    })
}

/// `?since=RFC3339`, in milliseconds.
fn since_of(app: &App, query: &HashMap<String, String>) -> Result<Option<i64>, Response> {
    match query.get("since") {
        None => Ok(None),
        Some(s) => parse_rfc3339(s).map(Some).ok_or_else(|| {
            refuse(
                app,
                StatusCode::BAD_REQUEST,
                format!("`since` is not RFC 3339: `{}`", printable(s)),
            )
        }),
    }
}

/// `POST /flows?cluster=NAME`: Hubble's JSON export (one flow a line),
/// judged against the loaded policies (and intents); the records with a
/// finding stored as network findings ([`crate::flows`]).
async fn post_flows(State(app): State<Arc<App>>, Ingest { cluster, text }: Ingest) -> Response {
    let loaded = app.loaded();
    let judged =
        tokio::task::spawn_blocking(move || crate::flows::judge(&loaded.palisade, &text)).await;
    let batch = match judged {
        Ok(Ok(batch)) => batch,
        Ok(Err(e)) => return batch_error(&app, e),
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "judging failed".to_owned(),
            );
        }
    };
    let s = &batch.report.summary;
    if let Err(r) = rate_limit(&app, s.records) {
        return r;
    }
    if let Err(e) = app
        .store
        .upsert_flow_findings(&cluster, &batch.findings, &batch.totals())
        .await
    {
        tracing::error!(error = %e, "storing flow findings failed");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the store failed; nothing was stored, retry".to_owned(),
        );
    }
    app.metrics.flows.inc_by(s.records as u64);
    axum::Json(json!({
        "accepted": s.records,
        "judged": s.judged,
        "findings": {
            "drift": s.drift,
            "declared-but-dropped": s.declared_but_dropped,
            "undeclared": s.undeclared,
        },
        "problems": batch.problems(),
    }))
    .into_response()
}

/// `GET /flows?cluster=&finding=&severity=&namespace=&policy=&since=&limit=&cursor=`:
/// the stored flow findings.
async fn get_flows(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list::<StoredFlowFinding>(&app, &query).await
}

fn limit_of(app: &App, query: &HashMap<String, String>) -> Result<i64, Response> {
    match query.get("limit") {
        None => Ok(100),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(refuse(
                app,
                StatusCode::BAD_REQUEST,
                format!("`limit` must be 1 to {MAX_LIMIT}: `{}`", printable(l)),
            )),
        },
    }
}

fn cursor_of(app: &App, query: &HashMap<String, String>) -> Result<i64, Response> {
    match query.get("cursor") {
        None => Ok(0),
        Some(c) => c.parse::<i64>().map_err(|_| {
            refuse(
                app,
                StatusCode::BAD_REQUEST,
                format!("`cursor` is not one this API gave: `{}`", printable(c)),
            )
        }),
    }
}

fn reject_unknown(
    app: &App,
    query: &HashMap<String, String>,
    known: &[&str],
) -> Result<(), Response> {
    match query.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(refuse(
            app,
            StatusCode::BAD_REQUEST,
            format!(
                "unknown parameter `{}`; this endpoint takes {}",
                printable(k),
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// `GET /alerts`.
async fn get_alerts(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list::<StoredAlert>(&app, &query).await
}

/// `GET /rules`.
async fn get_rules(State(app): State<Arc<App>>) -> Response {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let items: Vec<Value> = loaded
        .palisade
        .rules()
        .map(|rules| {
            rules
                .rules()
                .iter()
                .map(|r| {
                    json!({
                        "name": r.name,
                        "enabled": !tuning.disabled.get(&r.name).copied().unwrap_or(false),
                        "mode": tuning.modes.get(&r.name).copied().unwrap_or(Mode::Alert).as_str(),
                        "tags": r.tags,
                        "priority": ingest::falco_priority(r.priority),
                        "exceptions": tuning.exceptions.get(&r.name).map_or(0, Vec::len),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    axum::Json(json!({ "items": items })).into_response()
}

/// The loaded rule named `name`, or a counted 404.
fn known_rule(app: &App, name: &str) -> Result<(), Response> {
    let loaded = app.loaded();
    if loaded.palisade.rules().and_then(|r| r.rule(name)).is_some() {
        Ok(())
    } else {
        Err(refuse(
            app,
            StatusCode::NOT_FOUND,
            format!("no rule named `{}` is loaded", printable(name)),
        ))
    }
}

fn json_body<T: serde::de::DeserializeOwned>(
    app: &App,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, Response> {
    let text = body_text(app, body)?;
    serde_json::from_str(&text).map_err(|e| {
        app.metrics.refuse("bad_request");
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "error": format!(
                    "line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    printable(ingest::without_position(&e.to_string()))
                ),
                "line": e.line()
            })),
        )
            .into_response()
    })
}

/// `PUT /rules/{name}` with `{"enabled": bool}` and/or `{"mode": "observe"|"alert"}`.
async fn put_rule(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Change {
        enabled: Option<bool>,
        mode: Option<Mode>,
    }
    if let Err(r) = known_rule(&app, &name) {
        return r;
    }
    let change: Change = match json_body(&app, body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if change.enabled.is_none() && change.mode.is_none() {
        return refuse(
            &app,
            StatusCode::BAD_REQUEST,
            "give `enabled` (true/false) and/or `mode` (`alert`/`observe`)".to_owned(),
        );
    }
    let mut tuning = (*app.tuning()).clone();
    let enabled = change
        .enabled
        .unwrap_or(!tuning.disabled.get(&name).copied().unwrap_or(false));
    let mode = change
        .mode
        .unwrap_or(tuning.modes.get(&name).copied().unwrap_or(Mode::Alert));
    let state = RuleState {
        name: name.clone(),
        enabled,
        mode: mode.as_str().to_owned(),
    };
    if let Err(e) = app.store.save_rule_state(&state, now_ms()).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    tuning.disabled.insert(name.clone(), !enabled);
    tuning.modes.insert(name.clone(), mode);
    app.set_tuning(tuning);
    axum::Json(json!({"name": name, "enabled": enabled, "mode": mode.as_str()})).into_response()
}

/// `GET /tags`: every tag of the loaded rules, whether it is on, and how
/// many rules carry it.
async fn get_tags(State(app): State<Arc<App>>) -> Response {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let items: Vec<Value> = crate::ingest::tags(&loaded.palisade)
        .into_iter()
        .map(|(tag, rules)| {
            json!({"name": tag, "enabled": !tuning.disabled_tags.contains(&tag), "rules": rules})
        })
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// The body of `PUT /tags/{name}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TagChange {
    enabled: bool,
}

/// `PUT /tags/{name}` with `{"enabled": bool}`: a tag switched off stops
/// the alerts of every rule that carries it (events and Falco alerts).
async fn put_tag(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let loaded = app.loaded();
    let Some(rules) = crate::ingest::tags(&loaded.palisade).remove(&name) else {
        return refuse(
            &app,
            StatusCode::NOT_FOUND,
            format!("no loaded rule has the tag `{}`", printable(&name)),
        );
    };
    let change: TagChange = match json_body(&app, body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(e) = app
        .store
        .save_tag_state(&name, change.enabled, now_ms())
        .await
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    let mut tuning = (*app.tuning()).clone();
    if change.enabled {
        tuning.disabled_tags.remove(&name);
    } else {
        tuning.disabled_tags.insert(name.clone());
    }
    app.set_tuning(tuning);
    axum::Json(json!({"name": name, "enabled": change.enabled, "rules": rules})).into_response()
}

/// `POST /rules/{name}/exceptions` with `{"fields", "comps", "values"}`.
async fn post_exception(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    if let Err(r) = known_rule(&app, &name) {
        return r;
    }
    let exception: Exception = match json_body(&app, body) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if let Err(message) = exception.validate(&palisade::runtime::alert_schema()) {
        return refuse(&app, StatusCode::BAD_REQUEST, message);
    }
    let text = serde_json::to_string(&exception).unwrap_or_default();
    if let Err(e) = app.store.add_exception(&name, &text, now_ms()).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    let mut tuning = (*app.tuning()).clone();
    tuning
        .exceptions
        .entry(name.clone())
        .or_default()
        .push(exception);
    let count = tuning.exceptions.get(&name).map_or(0, Vec::len);
    app.set_tuning(tuning);
    (
        StatusCode::CREATED,
        axum::Json(json!({"rule": name, "exceptions": count})),
    )
        .into_response()
}

/// `GET /exceptions/export`: the exceptions as a Falco rules file that
/// appends them to the rules (`override: exceptions: append`).
async fn export_exceptions(State(app): State<Arc<App>>) -> Response {
    let tuning = app.tuning();
    let yaml = crate::export::falco_exceptions(&tuning.exceptions);
    ([(header::CONTENT_TYPE, "application/yaml")], yaml).into_response()
}

/// The latest run's stored posture, coverage and id.
async fn latest(app: &App) -> Result<(i64, i64, Value, Value), Response> {
    match app.store.latest_run(&app.config.cluster).await {
        Ok(Some((id, at, _score, posture, coverage))) => Ok((
            id,
            at,
            serde_json::from_str(&posture).unwrap_or(Value::Null),
            serde_json::from_str(&coverage).unwrap_or(Value::Null),
        )),
        Ok(None) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no audit has run yet".to_owned(),
        )),
        Err(e) => Err(error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}

/// `GET /posture`.
async fn get_posture(State(app): State<Arc<App>>) -> Response {
    match latest(&app).await {
        Ok((_, _, posture, _)) => axum::Json(posture).into_response(),
        Err(r) => r,
    }
}

/// `GET /coverage`.
async fn get_coverage(State(app): State<Arc<App>>) -> Response {
    match latest(&app).await {
        Ok((_, _, _, coverage)) => axum::Json(json!({ "items": coverage })).into_response(),
        Err(r) => r,
    }
}

/// `GET /findings`: the latest audit's findings (of the console's
/// cluster), then the stored flow findings ([`StoredFlowFinding`]); the
/// cursor is a run finding's id, then `flow:ID`.
async fn get_findings(
    State(app): State<Arc<App>>,
    Query(mut query): Query<HashMap<String, String>>,
) -> Response {
    let flow_cursor = match query.get("cursor").and_then(|c| c.strip_prefix("flow:")) {
        None => None,
        Some(id) => match id.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return refuse(
                    &app,
                    StatusCode::BAD_REQUEST,
                    format!(
                        "`cursor` is not one this API gave: `flow:{}`",
                        printable(id)
                    ),
                );
            }
        },
    };
    if flow_cursor.is_some() {
        query.remove("cursor");
    }
    let filter = match list_filter(&app, &query, &FINDING_FILTERS, &[]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let cluster = query.get("cluster");
    let mut rows: Vec<(String, Value)> = Vec::new();
    // The audit's findings are the inventory's cluster's.
    if flow_cursor.is_none() && cluster.is_none_or(|c| *c == app.config.cluster) {
        let (run, ..) = match latest(&app).await {
            Ok(l) => l,
            Err(r) => return r,
        };
        match app.store.findings(run, &filter).await {
            Ok(found) => rows.extend(found.into_iter().map(|(id, body)| {
                (
                    id.to_string(),
                    serde_json::from_str(&body).unwrap_or(Value::Null),
                )
            })),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
        if rows.len() as i64 == filter.limit {
            return page(rows, filter.limit);
        }
    }
    let mut flows = filter.clone();
    flows.after = flow_cursor.unwrap_or(0);
    flows.limit = filter.limit - rows.len() as i64;
    match app.store.list::<StoredFlowFinding>(&flows).await {
        Ok(found) => rows.extend(found.into_iter().map(|f| {
            (
                format!("flow:{}", f.id),
                serde_json::to_value(&f).unwrap_or(Value::Null),
            )
        })),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
    page(rows, filter.limit)
}

/// `GET /summary?cluster=`: the score of the latest audit, findings by
/// layer and severity (the audit's and the flows'), alerts by routing,
/// admission decisions by verdict and the flow judging totals, over every
/// cluster or the one named.
async fn get_summary(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = reject_unknown(&app, &query, &["cluster"]) {
        return r;
    }
    let cluster = match query.contains_key("cluster") {
        true => match cluster_of(&app, &query) {
            Ok(c) => Some(c),
            Err(r) => return r,
        },
        false => None,
    };
    match crate::summary::of(&app, cluster.as_deref()).await {
        Ok(summary) => axum::Json(summary).into_response(),
        Err(crate::summary::Missing::NoAudit) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no audit has run yet".to_owned(),
        ),
        Err(crate::summary::Missing::Store(e)) => {
            error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
    }
}

/// `GET /policies`: every loaded input file and what it became.
async fn get_policies(State(app): State<Arc<App>>) -> Response {
    let loaded = app.loaded();
    let items: Vec<Value> = loaded
        .palisade
        .files()
        .iter()
        .map(|f| json!({"file": f.path.display().to_string(), "kind": f.kind.as_str(), "items": f.items}))
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// `GET /policies/export`: the active policy set as one Kubernetes `List`.
async fn export_policies(State(app): State<Arc<App>>) -> Response {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let list = tokio::task::spawn_blocking(move || {
        crate::export::policy_manifests(&loaded.palisade, &tuning.exceptions)
    })
    .await;
    match list {
        Ok(list) => axum::Json(list).into_response(),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "export failed".to_owned(),
        ),
    }
}

/// `GET /openapi.json`.
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
        .into_response()
}

/// `GET /metrics`.
async fn metrics(State(app): State<Arc<App>>, _headers: HeaderMap) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        app.metrics.render(),
    )
        .into_response()
}
