//! `POST /mutate`: the mutating webhook. One AdmissionReview in; the
//! request's object is run through the mutate policies in order (the
//! remediation pack first with `--remediation-pack`, then
//! `--mutate-policies`), and the answer allows it with every change as one
//! JSON Patch (`patchType: JSONPatch`, base64 `patch`). As with the API
//! server, mutation comes before validation: `/validate` then receives the
//! mutated object and does not mutate again.
//!
//! Body limits, parsing, the deadline and `--failure-policy` work as for
//! `/validate`. A rule that fails to apply denies with code 500, so an
//! object is never admitted half-mutated. Each policy that changed the
//! object counts in `palisade_webhook_policy_verdicts_total` with verdict
//! `mutate` (`error` when its rule failed).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use palisade::admission::AdmissionResponse;
use palisade::admission::mutate::{MutateStatus, MutationOutcome, mutate_request};

use super::app::App;
use super::validate::{Review, panicked, policy_list, timed_out};

/// Handles `POST /mutate`.
pub async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let review = match Review::receive(&app, request).await {
        Ok(review) => review,
        Err(response) => return response,
    };
    // Mutate rules (JMESPath, `foreach`) have no cost bound: on the
    // blocking pool, one evaluation per core, under the deadline.
    let evaluations = Arc::clone(&app.evaluations);
    let inventory = app.inventory.current();
    let (shared, generation) = (Arc::clone(&review.request), Arc::clone(&review.generation));
    let evaluation = async move {
        let permit = evaluations.acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let outcome = mutate_request(&generation.policies.mutate, &shared, &inventory.context);
            drop(permit);
            outcome
        })
        .await
        .ok()
    };
    let (response, verdict, policies) = match tokio::time::timeout(app.timeout, evaluation).await {
        Ok(Some(Some(outcome))) => answer(&app, &outcome),
        // DELETE and CONNECT carry no object: nothing to mutate.
        Ok(Some(None)) => (AdmissionResponse::allow(), "allowed", "-".to_owned()),
        Ok(None) => (panicked(), "error", "-".to_owned()),
        Err(_elapsed) => (
            timed_out(&app, AdmissionResponse::allow()),
            "timeout",
            "-".to_owned(),
        ),
    };
    review.respond(&app, "mutate", &response, verdict, &policies)
}

/// The response, the verdict (`mutated`, `allowed` when nothing changed,
/// `error`) and the policies that changed the object or failed.
fn answer(app: &App, outcome: &MutationOutcome) -> (AdmissionResponse, &'static str, String) {
    let mut names: Vec<&str> = Vec::new();
    for p in &outcome.patches {
        if !names.contains(&p.policy.as_str()) {
            names.push(&p.policy);
            app.metrics.policy_verdict(&p.policy, "mutate");
        }
    }
    let mut failed = false;
    for r in outcome
        .rules
        .iter()
        .filter(|r| r.status == MutateStatus::Error)
    {
        failed = true;
        app.metrics.policy_verdict(&r.policy, "error");
        if !names.contains(&r.policy.as_str()) {
            names.push(&r.policy);
        }
    }
    let verdict = match (failed, outcome.patches.is_empty()) {
        (true, _) => "error",
        (false, true) => "allowed",
        (false, false) => "mutated",
    };
    (outcome.response(), verdict, policy_list(&names))
}
