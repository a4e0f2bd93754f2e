//! Admission limits: AdmissionReview size and Rego evaluation time.

use palisade_admission::limits::{MAX_REVIEW_BYTES, REGO_TIME_LIMIT};
use palisade_admission::{AdmissionRequest, AdmissionReview, Context, PolicySet};
use serde_json::json;

#[test]
fn oversized_review_is_refused_with_the_limit() {
    let padding = "x".repeat(MAX_REVIEW_BYTES);
    let text = format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","object":{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c"}},"data":{{"a":"{padding}"}}}}}}}}"#
    );
    let e = AdmissionReview::from_json_str(&text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("more than the limit of {MAX_REVIEW_BYTES}")),
        "{e}"
    );
}

const SLOW_TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sslow
spec:
  crd:
    spec:
      names:
        kind: K8sSlow
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sslow
        violation[{"msg": msg}] {
          xs := input.review.object.data.xs
          n := count([1 | xs[_]; xs[_]; xs[_]; xs[_]])
          n < 0
          msg := "never"
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sSlow
metadata:
  name: slow
"#;

#[test]
fn runaway_rego_stops_at_the_time_limit_and_denies() {
    let manifests = palisade_core::manifest::load_str("slow.yaml", SLOW_TEMPLATE).objects;
    let loaded = palisade_admission::gatekeeper::load_manifests(&manifests);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut set = PolicySet::new();
    for p in loaded.policies {
        set.add(p);
    }
    // 400^4 = 2.56e10 iterations: hours without the limit.
    let xs: Vec<u32> = (0..400).collect();
    let request = AdmissionRequest::from_object(json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"},
        "data": {"xs": xs}
    }))
    .unwrap();
    let start = std::time::Instant::now();
    let decision = set.evaluate(&request, &Context::new());
    let took = start.elapsed();
    assert!(!decision.allowed(), "{decision:?}");
    let error = decision
        .errors
        .first()
        .expect("an evaluation error")
        .to_string();
    assert!(error.contains("time") || error.contains("limit"), "{error}");
    // Not a speed assertion: evidence the limit, not the loop's end, stopped it.
    assert!(took < REGO_TIME_LIMIT * 30, "took {took:?}");
}
