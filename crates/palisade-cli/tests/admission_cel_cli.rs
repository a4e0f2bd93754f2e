//! CEL admission end to end through the binary: a ValidatingAdmissionPolicy
//! denying privileged containers through `admission review` and `audit`, a
//! Warn binding that warns and allows, and `verify --engine`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the palisade binary runs")
}

fn vap() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission/vap")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_deny_binding_denies_a_privileged_pod_in_review() {
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&vap().join("deny")),
        path(&vap().join("privileged-review.json")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response = &json(&out)["response"];
    assert_eq!(response["uid"], "uid-vap");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    assert_eq!(
        response["status"]["message"],
        "[no-privileged-containers] privileged containers are not allowed: nginx"
    );
}

#[test]
fn a_warn_binding_warns_and_allows() {
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&vap().join("warn")),
        path(&vap().join("privileged-review.json")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response = &json(&out)["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(
        response["warnings"],
        json!(["[no-privileged-containers] privileged containers are not allowed: nginx"])
    );
}

#[test]
fn audit_reports_the_privileged_pod_only() {
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "audit",
        path(&vap().join("pods.yaml")),
        "--policies",
        path(&vap().join("deny")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let violations = doc["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{doc}");
    assert_eq!(violations[0]["policy"], "no-privileged-containers");
    assert_eq!(violations[0]["object"], "Pod shop/privileged");
    assert_eq!(violations[0]["action"], "deny");
    assert_eq!(
        violations[0]["message"],
        "privileged containers are not allowed: nginx"
    );
    assert_eq!(doc["coverage"][0]["objects"], 2);
}

#[test]
fn verify_engine_cel_skips_templates_without_cel_with_the_reason() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let gk = corpus.join("gatekeeper");
    let cel_template = gk.join("pod-security-policy/privileged-containers");
    let rego_only = gk.join("general/allowedrepos");
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "verify",
        "--engine",
        "cel",
        path(&cel_template),
        path(&rego_only),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["failed"], 0);
    assert!(doc["passed"].as_u64().unwrap() > 0);
    let skipped = doc["skipped"].as_array().unwrap();
    assert!(!skipped.is_empty());
    for case in skipped {
        assert!(
            case["detail"]
                .as_str()
                .unwrap()
                .ends_with("ConstraintTemplate `k8sallowedrepos` has no CEL implementation"),
            "{case}"
        );
    }
    let bad = palisade(&[
        "admission",
        "verify",
        "--engine",
        "lua",
        path(&cel_template),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("unknown engine `lua`; expected auto, rego or cel")
    );
}
