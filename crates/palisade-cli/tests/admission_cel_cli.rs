//! CEL admission end to end through the binary: a ValidatingAdmissionPolicy
//! denying privileged containers through `admission review` and `audit`, a
//! Warn binding that warns and allows, and `verify --engine`.

use std::path::PathBuf;
use std::process::Output;

use palisade_testkit::command::{arg, assert_exit, stdout_json};
use serde_json::json;

fn palisade(args: &[&str]) -> Output {
    palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

fn vap() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission/vap")
}

#[test]
fn a_deny_binding_denies_a_privileged_pod_in_review() {
    let out = palisade(&[
        "admission",
        "review",
        "--policies",
        arg(&vap().join("deny")),
        arg(&vap().join("privileged-review.json")),
    ]);
    assert_exit(&out, 1);
    let response = &stdout_json(&out)["response"];
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
        arg(&vap().join("warn")),
        arg(&vap().join("privileged-review.json")),
    ]);
    assert_exit(&out, 0);
    let response = &stdout_json(&out)["response"];
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
        arg(&vap().join("pods.yaml")),
        "--policies",
        arg(&vap().join("deny")),
    ]);
    assert_exit(&out, 1);
    let doc = stdout_json(&out);
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
        arg(&cel_template),
        arg(&rego_only),
    ]);
    assert_exit(&out, 0);
    let doc = stdout_json(&out);
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
    let bad = palisade(&["admission", "verify", "--engine", "lua", arg(&cel_template)]);
    assert_exit(&bad, 2);
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("unknown engine `lua`; expected auto, rego or cel")
    );
}
