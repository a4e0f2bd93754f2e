//! Embed admission in an existing service: the service already has a
//! request handler; one call turns an AdmissionReview body into the
//! response body, with policies compiled once at start-up and shared by
//! every request (an `Arc`, no lock).
//!
//! `cargo run -p palisade-examples --example admission_service`

use std::sync::Arc;

use palisade::admission::{AdmissionEngine, AdmissionReview, load_policies_str};
use palisade::{Engine, Verdict};

/// What the service holds: policies compiled once.
struct Service {
    admission: Arc<AdmissionEngine>,
}

impl Service {
    fn start() -> Result<Service, Box<dyn std::error::Error>> {
        let loaded = load_policies_str("policies.yaml", &palisade_examples::gatekeeper_yaml())?;
        if let Some(e) = loaded.errors.into_iter().next() {
            return Err(e.into());
        }
        Ok(Service {
            admission: Arc::new(AdmissionEngine::new(loaded.policies)),
        })
    }

    /// The service's existing handler for `POST /validate`: body in, body out.
    fn handle_validate(&self, body: &str) -> (u16, String) {
        let review = match AdmissionReview::from_json_str(body) {
            Ok(review) => review,
            Err(e) => return (400, format!("{{\"error\": \"{e}\"}}")),
        };
        let verdict = self.admission.evaluate(&mut (), &review.request);
        for finding in verdict.findings() {
            eprintln!(
                "audit: {} {}: {}",
                finding.severity, finding.policy, finding.message
            );
        }
        (200, review.response_json(&verdict.response()).to_string())
    }
}

fn review(uid: &str, labels: &str) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{
        "uid":"{uid}","kind":{{"group":"","version":"v1","kind":"Pod"}},
        "resource":{{"group":"","version":"v1","resource":"pods"}},"operation":"CREATE",
        "namespace":"shop","name":"web-1","object":{{"apiVersion":"v1","kind":"Pod",
        "metadata":{{"name":"web-1","namespace":"shop","labels":{labels}}},
        "spec":{{"containers":[{{"name":"web","image":"registry.example.com/web:1"}}]}}}}}}}}"#
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let service = Service::start()?;
    for (uid, labels) in [
        ("1", r#"{"app":"web"}"#),
        ("2", r#"{"app":"web","owner":"shop"}"#),
    ] {
        let (status, body) = service.handle_validate(&review(uid, labels));
        println!("request {uid}: HTTP {status} {body}");
    }
    let (status, _) = service.handle_validate("{not json");
    println!("malformed request: HTTP {status}");
    Ok(())
}
