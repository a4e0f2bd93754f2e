//! `palisade network check | connlist | audit` and the network part of `demo`, end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the palisade binary runs")
}

fn cluster() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/data/cluster.yaml")
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_allowed_exits_0_and_names_the_rule() {
    let c = cluster();
    let out = palisade(&[
        "network", "check", "--from", "shop/api", "--to", "data/db", "--port", "5432", &c,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("ALLOWED shop/api[Deployment] => data/db[StatefulSet] TCP/5432"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ingress: allowed by NetworkPolicy data/db-from-api spec.ingress[0]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("egress: allowed: no policy selects"),
        "{stdout}"
    );
}

#[test]
fn check_denied_exits_1_and_names_the_isolating_policies() {
    let c = cluster();
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "shop/web",
        "--to",
        "data/db",
        "--port",
        "5432",
        "--protocol",
        "tcp",
        &c,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("DENIED"), "{stdout}");
    assert!(
        stdout.contains("isolated by NetworkPolicy data/db-from-api"),
        "{stdout}"
    );
    assert!(stdout.contains("cluster.yaml:115:1"), "{stdout}");
    // The right port from the right workload, but UDP: the rule names TCP.
    let udp = palisade(&[
        "network",
        "check",
        "--from",
        "shop/api",
        "--to",
        "data/db",
        "--port",
        "5432",
        "--protocol",
        "UDP",
        &c,
    ]);
    assert_eq!(udp.status.code(), Some(1), "{}", text(&udp.stdout));
}

#[test]
fn check_with_addresses_and_json() {
    let c = cluster();
    let out = palisade(&[
        "--format",
        "json",
        "network",
        "check",
        "--from",
        "203.0.113.9",
        "--to",
        "shop/web",
        "--port",
        "8080",
        &c,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allowed"], true);
    assert_eq!(json["from"], "203.0.113.9");
    assert!(
        json["because"][0]
            .as_str()
            .unwrap()
            .contains("outside the cluster")
    );
    // The database's egress is isolated by the default-deny policy.
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "data/db",
        "--to",
        "203.0.113.9",
        "--port",
        "443",
        &c,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("egress: denied: isolated by NetworkPolicy data/default-deny")
    );
}

#[test]
fn check_input_errors_exit_2() {
    let c = cluster();
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "shop/nope",
        "--to",
        "data/db",
        "--port",
        "1",
        &c,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no workload `shop/nope`"));
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "shop/web",
        "--to",
        "data/db",
        "--port",
        "1",
        "--protocol",
        "ICMP",
        &c,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "shop/web",
        "--to",
        "data/db",
        "--port",
        "1",
        "/does/not/exist.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unsupported_policy_fields_are_reported_with_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("palisade-network-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("np.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n    portz: [1]\n",
    )
    .unwrap();
    let out = palisade(&["network", "connlist", file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("np.yaml:12:5: NetworkPolicy p: `spec.ingress[0].portz`: unknown field"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn lines(s: &str) -> BTreeSet<String> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn connlist_matches_netpol_analyzer_goldens_in_every_format() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let dir = root.join("tests/netpol-analysis-example-minimal");
    let golden = |ext: &str| {
        std::fs::read_to_string(root.join(format!(
            "test_outputs/connlist/netpol-analysis-example-minimal_connlist_output.{ext}"
        )))
        .unwrap()
    };
    for ext in ["txt", "csv", "md", "dot"] {
        let out = palisade(&[
            "network",
            "connlist",
            "--output",
            ext,
            dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            lines(&text(&out.stdout)),
            lines(&golden(ext)),
            "format {ext}"
        );
    }
    let out = palisade(&["network", "connlist", "-o", "json", dir.to_str().unwrap()]);
    let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs: serde_json::Value = serde_json::from_str(&golden("json")).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn audit_reports_findings_and_exits_1() {
    let c = cluster();
    let out = palisade(&["network", "audit", &c]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("warning network/unprotected-ingress: `shop/web[Deployment]`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("notice network/no-default-deny-ingress: namespace `shop`"),
        "{stdout}"
    );
    let out = palisade(&["--format", "json", "network", "audit", &c]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert!(findings.iter().all(|f| f["layer"] == "network"));
    assert!(
        findings
            .iter()
            .any(|f| f["policy"] == "network/egress-to-world")
    );
}

#[test]
fn demo_shows_the_matrix_and_an_explained_denial() {
    let out = palisade(&["demo"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Network: who may connect to whom"),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("shop/api[Deployment]"))
        .unwrap();
    assert!(row.contains("TCP 5432"), "{row}");
    assert!(
        stdout.contains("DENIED shop/web[Deployment] => data/db[StatefulSet] TCP/5432"),
        "{stdout}"
    );
}

fn cilium(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../palisade-network/tests/cilium")
        .join(file)
        .display()
        .to_string()
}

#[test]
fn check_cilium_l7_condition_and_entities() {
    let (base, l7) = (cilium("_cluster.yaml"), cilium("33-l7-http.yaml"));
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "shop/frontend",
        "--to",
        "shop/backend",
        "--port",
        "8080",
        &base,
        &l7,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("ALLOWED (conditionally)"), "{stdout}");
    assert!(
        stdout.contains("condition: allowed only for these HTTP requests: GET /public/.*"),
        "{stdout}"
    );
    let json = palisade(&[
        "--format",
        "json",
        "network",
        "check",
        "--from",
        "shop/frontend",
        "--to",
        "shop/backend",
        "--port",
        "8080",
        &base,
        &l7,
    ]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["conditional"], true);
    let host = cilium("20-from-host.yaml");
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "entity:host",
        "--to",
        "shop/backend",
        "--port",
        "8080",
        &base,
        &host,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = palisade(&[
        "network",
        "check",
        "--from",
        "entity:remote-node",
        "--to",
        "shop/backend",
        "--port",
        "8080",
        &base,
        &host,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}
