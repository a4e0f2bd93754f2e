//! `POST /validate`: one AdmissionReview in, one out.
//!
//! The body is read up to `--max-body-bytes` (413 beyond), parsed (400 with
//! the reason when malformed), evaluated against the current policy set on
//! the blocking pool under the `--timeout` deadline (the `--failure-policy`
//! answers when it passes), logged in one line and counted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palisade::EnforcementAction;
use palisade::admission::Status;
use palisade::admission::{AdmissionRequest, AdmissionResponse, Decision};
use palisade_https::body::{BodyError, read_body};

use super::app::App;
use super::args::FailurePolicy;
use super::policies::Generation;
use super::wire;

/// How long a client has to send the whole body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Handles `POST /validate`.
pub async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let review = match Review::receive(&app, request).await {
        Ok(review) => review,
        Err(response) => return response,
    };
    // Shared with the blocking pool when file policies run there.
    let request = Arc::clone(&review.request);
    let generation = Arc::clone(&review.generation);
    let inventory = app.inventory.current();
    let is_namespace = request.kind.kind == "Namespace" && request.kind.group.is_empty();
    if app.has_inventory
        && !is_namespace
        && let Some(ns) = request.namespace.as_deref().filter(|ns| !ns.is_empty())
        && inventory.context.namespace(ns).is_none()
    {
        app.metrics.unknown_namespaces.inc();
    }
    // The built-in pack runs inline: native, linear in the object's size.
    let mut decision = generation
        .policies
        .native
        .evaluate(&request, &inventory.context);
    let outcome = if generation.policies.guarded.is_empty() {
        Outcome::Decided(decision)
    } else {
        // At most one evaluation per core runs at a time (more only thrash
        // the caches); waiting for a turn counts against the deadline. A
        // permit is held until the evaluation ends, even one abandoned at
        // its deadline.
        let evaluations = Arc::clone(&app.evaluations);
        let request = Arc::clone(&request);
        let inventory = Arc::clone(&inventory);
        let evaluation = async move {
            let permit = evaluations.acquire_owned().await.ok()?;
            tokio::task::spawn_blocking(move || {
                let decision = generation
                    .policies
                    .guarded
                    .evaluate(&request, &inventory.context);
                drop(permit);
                decision
            })
            .await
            .ok()
        };
        match tokio::time::timeout(app.timeout, evaluation).await {
            Ok(Some(guarded)) => {
                decision.violations.extend(guarded.violations);
                decision.errors.extend(guarded.errors);
                Outcome::Decided(decision)
            }
            Ok(None) => Outcome::Panicked,
            Err(_elapsed) => Outcome::TimedOut(decision),
        }
    };
    let (response, verdict, policies) = answer(&app, &outcome);
    if let Some(console) = &app.console {
        let found = match &outcome {
            Outcome::Decided(d) | Outcome::TimedOut(d) => Some(d),
            Outcome::Panicked => None,
        };
        console.record(super::console::decision(
            &review.request,
            &response,
            verdict,
            review.dry_run,
            found,
        ));
    }
    review.respond(&app, "validate", &response, verdict, &policies)
}

/// A received AdmissionReview, counted in flight until answered.
pub(super) struct Review<'a> {
    _in_flight: InFlight<'a>,
    /// The request (shared with the blocking pool).
    pub(super) request: Arc<AdmissionRequest>,
    /// The policy set it is answered with.
    pub(super) generation: Arc<Generation>,
    v1beta1: bool,
    dry_run: bool,
    started: Instant,
}

impl<'a> Review<'a> {
    /// Reads and parses the review of an HTTP request and takes the
    /// current policy set; or the answer to send instead (413, 408, 400,
    /// 503 before the first policy set).
    pub(super) async fn receive(app: &'a App, request: Request) -> Result<Review<'a>, Response> {
        let in_flight = InFlight::new(app);
        let (request, v1beta1, started) = read_review(app, request).await?;
        let dry_run = request.dry_run == Some(true);
        let Some(generation) = app.store.current() else {
            app.metrics.request("unavailable", dry_run);
            return Err(plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "policies are not loaded yet".to_owned(),
            ));
        };
        Ok(Review {
            _in_flight: in_flight,
            request: Arc::new(request),
            generation,
            v1beta1,
            dry_run,
            started,
        })
    }

    /// Answers with `response`: counted, timed, logged in one line
    /// (`endpoint` is `validate` or `mutate`; `verdict` and the `policies`
    /// that decided), and sent as the AdmissionReview JSON.
    pub(super) fn respond(
        self,
        app: &App,
        endpoint: &'static str,
        response: &AdmissionResponse,
        verdict: &'static str,
        policies: &str,
    ) -> Response {
        let request = &self.request;
        let json = wire::Answer {
            response,
            uid: &request.uid,
            v1beta1: self.v1beta1,
            dry_run: self.dry_run,
        }
        .to_vec();
        let elapsed = self.started.elapsed();
        app.metrics.request(verdict, self.dry_run);
        app.metrics.latency.observe(elapsed.as_secs_f64());
        tracing::info!(
            target: "palisade::webhook::decision",
            endpoint,
            uid = %request.uid,
            kind = %request.kind.kind,
            namespace = %request.namespace.as_deref().unwrap_or_default(),
            name = %request.name,
            operation = request.operation.map_or("", |o| o.as_str()),
            verdict,
            policy = %policies,
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            dry_run = self.dry_run,
            generation = self.generation.number,
            "decision"
        );
        let mut http = (StatusCode::OK, json).into_response();
        http.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        http
    }
}

/// Reads and parses the AdmissionReview of a request: the request,
/// whether it came as `v1beta1`, and when its body was complete; or the
/// answer to send instead (413, 408, 400; counted as `invalid`).
async fn read_review(
    app: &App,
    request: Request,
) -> Result<(AdmissionRequest, bool, Instant), Response> {
    let body = match read_body(request.into_body(), app.max_body_bytes, BODY_TIMEOUT).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            app.metrics.request("invalid", false);
            tracing::warn!(limit = app.max_body_bytes, "request body too large");
            let mut response = plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body exceeds the limit of {} bytes (`--max-body-bytes`)",
                    app.max_body_bytes
                ),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Err(response);
        }
        Err(BodyError::Slow) => {
            app.metrics.request("invalid", false);
            tracing::warn!("request body not received in time");
            return Err(plain(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request body not received within {}",
                    format_duration(BODY_TIMEOUT)
                ),
            ));
        }
        Err(BodyError::Read(reason)) => {
            app.metrics.request("invalid", false);
            return Err(plain(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {reason}"),
            ));
        }
    };
    let started = Instant::now();
    match wire::parse(&body) {
        Ok((request, v1beta1)) => Ok((request, v1beta1, started)),
        Err(message) => {
            app.metrics.request("invalid", false);
            tracing::warn!(error = %message, "malformed AdmissionReview");
            Err(plain(StatusCode::BAD_REQUEST, message))
        }
    }
}

/// Counts a request in `palisade_webhook_requests_in_flight` while alive.
struct InFlight<'a>(&'a App);

impl<'a> InFlight<'a> {
    fn new(app: &'a App) -> InFlight<'a> {
        app.metrics.in_flight.inc();
        InFlight(app)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight.dec();
    }
}

/// How an evaluation ended.
enum Outcome {
    /// The policies ran.
    Decided(Decision),
    /// A policy panicked (a bug): the request is denied.
    Panicked,
    /// The deadline passed before the guarded policies finished; what the
    /// built-in pack decided.
    TimedOut(Decision),
}

/// The response, the verdict for logs and metrics, and the policies that
/// decided it (comma-separated, `-` when none).
fn answer(app: &App, outcome: &Outcome) -> (AdmissionResponse, &'static str, String) {
    match outcome {
        Outcome::Decided(decision) => {
            // Each (policy, verdict) counts once per request, however many
            // violations the policy found.
            let mut counted: Vec<(&str, &'static str)> = Vec::new();
            let mut names: Vec<&str> = Vec::new();
            let found = decision
                .violations
                .iter()
                .map(|v| {
                    let action = match v.action {
                        EnforcementAction::Deny => "deny",
                        EnforcementAction::Warn => "warn",
                        EnforcementAction::Dryrun => "dryrun",
                    };
                    (v.policy.as_str(), action)
                })
                .chain(decision.errors.iter().map(|e| (e.policy.as_str(), "error")));
            for (policy, verdict) in found {
                if !counted.contains(&(policy, verdict)) {
                    counted.push((policy, verdict));
                    app.metrics.policy_verdict(policy, verdict);
                }
                if !names.contains(&policy) {
                    names.push(policy);
                }
            }
            let verdict = if !decision.errors.is_empty() {
                "error"
            } else if decision.allowed() {
                "allowed"
            } else {
                "denied"
            };
            (decision.response(), verdict, policy_list(&names))
        }
        Outcome::Panicked => (panicked(), "error", "-".to_owned()),
        // With `ignore`, what the built-in pack found still stands.
        Outcome::TimedOut(native) => (timed_out(app, native.response()), "timeout", "-".to_owned()),
    }
}

/// The policies that decided, for logs: comma-separated, `-` when none.
pub(super) fn policy_list(names: &[&str]) -> String {
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(",")
    }
}

/// The answer when a policy panicked (a bug): denied.
pub(super) fn panicked() -> AdmissionResponse {
    AdmissionResponse {
        allowed: false,
        status: Some(Status {
            code: 500,
            message: "palisade: a policy failed unexpectedly; denied".to_owned(),
            reason: "InternalError".to_owned(),
        }),
        warnings: Vec::new(),
        patch: None,
    }
}

/// The answer when evaluation passed its deadline, by `--failure-policy`:
/// denied (`fail`), or `admitted` with a warning (`ignore`); counted.
pub(super) fn timed_out(app: &App, mut admitted: AdmissionResponse) -> AdmissionResponse {
    app.metrics
        .timeouts
        .get_or_create(&super::metrics::TimeoutLabels {
            failure_policy: app.failure_policy.as_str(),
        })
        .inc();
    let deadline = format_duration(app.timeout);
    match app.failure_policy {
        FailurePolicy::Fail => AdmissionResponse {
            allowed: false,
            status: Some(Status {
                code: 504,
                message: format!(
                    "palisade: policy evaluation exceeded its {deadline} deadline; denied by failure policy `fail`"
                ),
                reason: "Timeout".to_owned(),
            }),
            warnings: Vec::new(),
            patch: None,
        },
        FailurePolicy::Ignore => {
            admitted.warnings.push(format!(
                "palisade: policy evaluation exceeded its {deadline} deadline; admitted by failure policy `ignore`"
            ));
            admitted
        }
    }
}

/// A plain-text response.
pub(super) fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// A duration as people write it (`2s`, `250ms`).
fn format_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_written() {
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }
}
