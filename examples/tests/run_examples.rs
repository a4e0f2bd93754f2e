//! Every example runs and prints what it promises. `cargo test` builds the
//! example binaries next to this test's directory; they are run from there.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::path::PathBuf;
use std::process::Command;

fn run(name: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples");
    let mut path: PathBuf = dir.join(name);
    if !path.exists() {
        // Built by `cargo test`; when run otherwise, build it.
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "palisade-examples",
                "--example",
                name,
            ])
            .status()
            .unwrap();
        assert!(status.success());
        path = dir.join(name);
    }
    let out = Command::new(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn admission_service_denies_then_allows() {
    let out = run("admission_service");
    assert!(out.contains(r#"request 1: HTTP 200"#), "{out}");
    assert!(
        out.contains(r#""allowed":false"#) && out.contains("you must provide labels"),
        "{out}"
    );
    assert!(out.contains(r#""allowed":true,"uid":"2""#), "{out}");
    assert!(out.contains("malformed request: HTTP 400"), "{out}");
}

#[test]
fn runtime_threads_finds_every_alert() {
    let out = run("runtime_threads");
    assert!(
        out.contains("12 alerts from 24 events on 3 threads"),
        "{out}"
    );
    assert_eq!(out.matches("Read sensitive file").count(), 4, "{out}");
}

#[test]
fn network_what_if_lists_what_the_policy_narrows() {
    let out = run("network_what_if");
    assert!(
        out.contains(
            "NARROWED  shop/web[Deployment] => shop/api[Deployment]: All Connections -> TCP 8080"
        ),
        "{out}"
    );
    assert!(
        out.contains("4 of 7 connections cut off or narrowed"),
        "{out}"
    );
}

#[test]
fn all_layers_reports_every_layer() {
    let out = run("all_layers");
    assert!(out.contains("admission: 2 findings"), "{out}");
    assert!(out.contains("runtime: 3 findings"), "{out}");
    assert!(out.contains("network: "), "{out}");
    assert!(
        out.contains("coverage admission 100.0% workloads-must-have-owner"),
        "{out}"
    );
    assert!(out.contains("report failed: true"), "{out}");
}

#[test]
fn load_manifests_lists_objects() {
    let out = run("load_manifests");
    assert!(out.contains("Deployment shop/web"), "{out}");
}
