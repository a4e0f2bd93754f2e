//! `palisade admission review` and `palisade admission verify` end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the palisade binary runs")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn review(name: &str) -> (Option<i32>, Value, String) {
    let policies = fixtures().join("policies");
    let file = fixtures().join(format!("reviews/{name}.json"));
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&policies),
        path(&file),
    ]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn review_denies_with_gatekeeper_messages_and_echoes_the_uid() {
    let (code, json, stderr) = review("denied");
    assert_eq!(code, Some(1), "denied is exit 1; stderr: {stderr}");
    assert_eq!(json["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(json["kind"], "AdmissionReview");
    let response = &json["response"];
    assert_eq!(response["uid"], "uid-denied");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    assert_eq!(
        response["status"]["message"],
        r#"[pods-need-owner] you must provide labels: {"owner"}"#
    );
    assert_eq!(
        response["warnings"],
        serde_json::json!([r#"[pods-should-have-team] you must provide labels: {"team"}"#])
    );
}

#[test]
fn review_allows_and_warns() {
    let (code, json, _) = review("allowed");
    assert_eq!(code, Some(0));
    assert_eq!(json["response"]["allowed"], true);
    assert_eq!(json["response"]["uid"], "uid-allowed");
    assert!(json["response"].get("status").is_none());
    assert!(json["response"].get("warnings").is_none());

    // kube-system is excluded from the deny constraint; the warn one still fires.
    let (code, json, _) = review("warned");
    assert_eq!(code, Some(0));
    assert_eq!(json["response"]["allowed"], true);
    assert_eq!(json["response"]["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn review_reads_standard_input() {
    let policies = fixtures().join("policies");
    let body = std::fs::read(fixtures().join("reviews/denied.json")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["admission", "review", "--policies", path(&policies), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["response"]["uid"], "uid-denied");
}

#[test]
fn review_input_errors_exit_2() {
    let policies = fixtures().join("policies");
    // Not an AdmissionReview.
    let pod = fixtures().join("suite/samples/labelled.yaml");
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&policies),
        path(&pod),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`kind` is not `AdmissionReview`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A missing file.
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&policies),
        "/nonexistent.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A policy that does not load (a constraint without its template).
    let constraints = fixtures().join("policies/constraints.yaml");
    let review = fixtures().join("reviews/allowed.json");
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        path(&constraints),
        path(&review),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no loaded ConstraintTemplate"));
}

#[test]
fn verify_reports_each_case_and_fails_on_a_failed_case() {
    let suite = fixtures().join("suite");
    let out = palisade(&["admission", "verify", path(&suite)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("PASS") && stdout.contains("owner-required/labelled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL")
            && stdout.contains(
                "owner-required/wrong-expectation: assertion 0: expected 2 violation(s), got 1"
            ),
        "{stdout}"
    );
    for case in [
        "last-document-reviewed",
        "bad-parameters/(invalid constraint)",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("PASS") && l.contains(case)),
            "{stdout}"
        );
    }
    assert!(
        stdout.trim_end().ends_with("4 passed, 1 failed"),
        "{stdout}"
    );

    let out = palisade(&["--format", "json", "admission", "verify", path(&suite)]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], 4);
    assert_eq!(json["failed"], 1);
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for key in ["suite", "test", "case", "passed", "detail"] {
        assert!(
            cases[0].get(key).is_some(),
            "`{key}` missing in {}",
            cases[0]
        );
    }
    assert_eq!(cases[3]["case"], "wrong-expectation");
    assert_eq!(cases[3]["passed"], false);
}

#[test]
fn verify_input_errors_exit_2() {
    let out = palisade(&["admission", "verify", "/nonexistent-dir"]);
    assert_eq!(out.status.code(), Some(2));
    // A directory without suites.
    let policies = fixtures().join("policies");
    let out = palisade(&["admission", "verify", path(&policies)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Gatekeeper suites"));
}

#[test]
fn verify_passes_a_gatekeeper_library_suite() {
    let Some(dir) = palisade_testkit::corpus("admission/gatekeeper/general/allowedrepos") else {
        return;
    };
    let out = palisade(&["--format", "json", "admission", "verify", path(&dir)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], 5);
    assert_eq!(json["failed"], 0);
}
