//! `palisade admission pss`, `audit`, `test` and the admission part of
//! `demo`, end to end through the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the palisade binary runs")
}

fn palisade_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PODS: &str = "apiVersion: v1
kind: Pod
metadata: {name: good, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: ghcr.io/x/app:1
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: shop}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx
---
apiVersion: v1
kind: Service
metadata: {name: svc}
";

#[test]
fn pss_json_lists_pods_and_workloads_and_exits_1_when_denied() {
    let out = palisade_stdin(
        &[
            "--format",
            "json",
            "admission",
            "pss",
            "--level",
            "baseline",
            "-",
        ],
        PODS,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "the Service is not a pod: {rows:?}");
    assert_eq!(rows[0]["object"], "Pod shop/good");
    assert_eq!(rows[0]["allowed"], true);
    assert_eq!(rows[0]["file"], "<stdin>:1");
    assert_eq!(rows[1]["object"], "Deployment shop/bad");
    assert_eq!(rows[1]["allowed"], false);
    assert_eq!(rows[1]["reasons"][0], "host namespaces (hostNetwork=true)");
}

#[test]
fn pss_versions_change_the_verdict() {
    // runAsUser=0 is a restricted check only from v1.23.
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: root}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 0, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
";
    let old = palisade_stdin(
        &[
            "admission",
            "pss",
            "--level",
            "restricted",
            "--version",
            "v1.22",
            "-",
        ],
        pod,
    );
    assert_eq!(old.status.code(), Some(0), "{}", text(&old.stdout));
    let new = palisade_stdin(
        &[
            "--color",
            "never",
            "admission",
            "pss",
            "--level",
            "restricted",
            "-",
        ],
        pod,
    );
    assert_eq!(new.status.code(), Some(1));
    let stdout = text(&new.stdout);
    assert!(stdout.contains("DENIED Pod root"), "{stdout}");
    assert!(
        stdout.contains("runAsUser=0 (pod must not set runAsUser=0)"),
        "{stdout}"
    );
}

#[test]
fn pss_rejects_bad_levels_and_versions() {
    for args in [
        ["admission", "pss", "--level", "strict", "x.yaml"],
        ["admission", "pss", "--level", "privileged", "x.yaml"],
    ] {
        assert_eq!(palisade(&args).status.code(), Some(2));
    }
    let out = palisade(&[
        "admission",
        "pss",
        "--level",
        "baseline",
        "--version",
        "1.25",
        "x.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("v1.x"), "{}", text(&out.stderr));
}

#[test]
fn pss_on_corpus_fixtures() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("pss/restricted/v1.30/pass");
    let out = palisade(&[
        "admission",
        "pss",
        "--level",
        "restricted",
        "--version",
        "v1.30",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let dir = root.join("pss/baseline/v1.30/fail");
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "pss",
        "--level",
        "baseline",
        "--version",
        "v1.30",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["allowed"] == false)
    );
}

#[test]
fn audit_reports_violations_and_coverage() {
    let out = palisade_stdin(
        &[
            "--format",
            "json",
            "admission",
            "audit",
            "--builtin",
            "--pss",
            "restricted",
            "-",
        ],
        PODS,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["objects"], 3);
    assert_eq!(doc["workloads"], 2);
    let violations = doc["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["policy"] == "pod-security-restricted"
                && v["object"] == "Deployment shop/bad")
    );
    assert!(
        !violations
            .iter()
            .any(|v| v["policy"] == "pod-security-restricted" && v["object"] == "Pod shop/good")
    );
    let coverage = doc["coverage"].as_array().unwrap();
    let labels = coverage
        .iter()
        .find(|c| c["policy"] == "required-labels")
        .unwrap();
    assert_eq!(labels["objects"], 3);
    assert_eq!(labels["share"], 1.0);
    let limits = coverage
        .iter()
        .find(|c| c["policy"] == "resource-limits")
        .unwrap();
    assert_eq!(limits["workloads"], 2);
    assert_eq!(limits["violating"], 2);
}

#[test]
fn audit_needs_policies() {
    let out = palisade_stdin(&["admission", "audit", "-"], PODS);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn kyverno_tests_run_like_kyverno_test() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("kyverno/best-practices");
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "test",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "{}", cases.len());
    assert_eq!(doc["failed"], 0);
    assert_eq!(doc["passed"].as_u64().unwrap() as usize, cases.len());
    for key in ["suite", "test", "case", "passed", "detail"] {
        assert!(cases[0].get(key).is_some(), "{key}");
    }
    // `deny` policies are not supported: their cases fail with the load error.
    let dir = root.join("kyverno-deny/other/block-updates-deletes");
    let out = palisade(&[
        "--color",
        "never",
        "admission",
        "test",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("unsupported:") && stdout.contains("`validate.deny`"),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 2 failed"), "{stdout}");
}

#[test]
fn demo_shows_the_builtin_pack() {
    let out = palisade(&["--color", "never", "demo"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("DENIED Pod shop/debug-shell"), "{stdout}");
    assert!(
        stdout.contains("[no-privileged-containers] Privileged container is not allowed: shell"),
        "{stdout}"
    );
    assert!(stdout.contains("ALLOWED Pod shop/web"), "{stdout}");
}

#[test]
fn audit_runs_loaded_pattern_policies() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("kyverno/best-practices/disallow-default-namespace");
    let policy = dir.join("disallow-default-namespace.yaml");
    let resources = dir.join(".kyverno-test/resource.yaml");
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "audit",
        "--policies",
        policy.to_str().unwrap(),
        "--",
        resources.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects: Vec<&str> = doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        ["Pod default/badpod01", "Deployment baddeployment01"]
    );
    assert_eq!(
        doc["violations"][0]["action"], "dryrun",
        "an Audit policy records"
    );
    assert_eq!(doc["coverage"][0]["share"], 1.0);
}
