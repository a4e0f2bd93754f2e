//! `palisade report`: every layer over the project's mixed example directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .output()
        .expect("the palisade binary runs")
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

fn arg(p: PathBuf) -> String {
    p.display().to_string()
}

#[test]
fn json_report_has_findings_of_every_layer_and_the_coverage_table() {
    let out = palisade(&[
        "report",
        &arg(data().join("mixed")),
        "--events",
        &arg(data().join("events.jsonl")),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let of_layer = |layer: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["layer"] == layer).collect()
    };
    // Admission: the debug pod lacks `owner` and is privileged.
    let admission = of_layer("admission");
    let policies: Vec<&str> = admission
        .iter()
        .map(|f| f["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        ["workloads-must-have-owner", "disallow-privileged"]
    );
    assert!(
        admission
            .iter()
            .all(|f| f["subject"]["name"] == "debug" && f["severity"] == "error")
    );
    // Runtime: three rules fire on the event stream, outputs filled in.
    let runtime = of_layer("runtime");
    let rules: Vec<&str> = runtime
        .iter()
        .map(|f| f["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "Terminal shell in container",
            "Read sensitive file",
            "Package manager in container"
        ]
    );
    assert_eq!(
        runtime[1]["message"],
        "sensitive file opened (file=/etc/shadow proc=cat container=3ad7b26ded6d)"
    );
    assert_eq!(runtime[1]["subject"]["pid"], 4130);
    // Network: the shop namespace is unprotected.
    let network = of_layer("network");
    assert!(
        network
            .iter()
            .any(|f| f["policy"] == "network/unprotected-ingress" && f["subject"]["name"] == "web")
    );
    // Coverage: two admission and two network policies.
    let coverage = json["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 4, "{coverage:?}");
    let owner = coverage
        .iter()
        .find(|c| c["policy"] == "workloads-must-have-owner")
        .unwrap();
    assert_eq!(owner["layer"], "admission");
    assert_eq!(owner["applies_to"], 4);
    assert_eq!(owner["of"], 4);
    assert_eq!(owner["share"], 1.0);
    let db = coverage
        .iter()
        .find(|c| c["policy"] == "NetworkPolicy data/db-from-api")
        .unwrap();
    assert_eq!(db["layer"], "network");
    assert_eq!(db["applies_to"], 1);
    assert_eq!(db["share"], 0.25);
}

#[test]
fn text_report_lists_inputs_findings_and_coverage() {
    let out = palisade(&["report", &arg(data().join("mixed")), "--format", "text"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "falco-rules",
        "gatekeeper",
        "pattern-policy",
        "network-policy",
        "inventory",
        "Coverage",
        "workloads-must-have-owner",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    // Without events, no runtime findings.
    assert!(!text.contains("runtime   "), "{text}");
}

#[test]
fn clean_directory_exits_zero_and_bad_input_exits_two() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    std::fs::write(
        dir.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: empty\n",
    )
    .unwrap();
    let out = palisade(&["report", &arg(dir.clone())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("broken.yaml"), "kind: [unclosed\n").unwrap();
    let out = palisade(&["report", &arg(dir.clone())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));
    let out = palisade(&["report", "/nonexistent/palisade"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_shows_all_three_layers() {
    let out = palisade(&["--color", "never", "demo"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Admission: a denied and an allowed object, with reasons.
    let denied = text.find("DENIED Pod").expect("a denied admission review");
    assert!(
        text[denied..]
            .lines()
            .nth(1)
            .unwrap()
            .trim_start()
            .starts_with("- ["),
        "{text}"
    );
    assert!(text.contains("ALLOWED Pod"), "{text}");
    // Runtime: a heading and at least one alert after it.
    let runtime = text.find("Runtime:").expect("the runtime part");
    let network = text.find("Network:").expect("the network part");
    assert!(runtime < network, "{text}");
    let alerts = text[runtime..network]
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(alerts >= 1, "no runtime alerts in:\n{text}");
    // Network: the matrix and one explained denial.
    assert!(text.contains("FROM \\ TO"), "{text}");
    assert!(
        text.contains("DENIED shop/web[Deployment] => data/db[StatefulSet]"),
        "{text}"
    );
}

#[test]
fn demo_json_is_one_document_with_every_layer() {
    let out = palisade(&["--format", "json", "demo"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert!(!json["cluster"]["objects"].as_array().unwrap().is_empty());
    let admission = json["admission"].as_array().unwrap();
    assert!(
        admission
            .iter()
            .any(|r| r["allowed"] == false && !r["reasons"].as_array().unwrap().is_empty())
    );
    assert!(admission.iter().any(|r| r["allowed"] == true));
    let runtime = json["runtime"].as_array().unwrap();
    assert!(!runtime.is_empty(), "{json}");
    assert!(runtime.iter().all(|a| a["rule"].is_string()), "{json}");
    assert_eq!(json["network"]["denial"]["allowed"], false);
    assert!(
        !json["network"]["connections"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Regression: a symbolic link back to an ancestor under the directory given
/// to `palisade report` used to be walked forever; it is an error naming the
/// link and where it leads.
#[test]
fn a_symlink_loop_under_the_report_directory_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(
        data().join("mixed/workloads.yaml"),
        root.join("workloads.yaml"),
    )
    .unwrap();
    std::fs::create_dir(root.join("nested")).unwrap();
    std::os::unix::fs::symlink(root, root.join("nested/back")).unwrap();
    let out = palisade(&["report", &arg(root.to_path_buf())]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "error: cannot read `{}`: a symbolic link loop: it leads back to `{}`",
            root.join("nested/back").display(),
            root.display()
        )
    );
}
