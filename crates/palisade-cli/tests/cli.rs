//! The `palisade` binary end to end: global options, exit codes, `manifests`, `demo`.
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
        .env_remove("NO_COLOR")
        .output()
        .expect("the palisade binary runs")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_shows_the_three_layer_groups() {
    let out = palisade(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for group in ["admission", "runtime", "network", "manifests", "demo"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(group)),
            "`{group}` missing from:\n{help}"
        );
    }
    assert!(help.contains("Exit codes"), "{help}");
    for group in ["admission", "runtime", "network"] {
        let out = palisade(&[group, "--help"]);
        assert!(out.status.success(), "{group} --help failed");
        assert!(text(&out.stdout).contains(&format!("palisade {group}")));
    }
}

#[test]
fn manifests_lists_every_good_object_and_reports_the_broken_file() {
    let dir = fixtures();
    let out = palisade(&["--color", "never", "manifests", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken file is an input error"
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let at = |file: &str, line: u32| format!("{}:{line}", dir.join(file).display());

    // Sorted walk: list.yaml, multi.yaml, nested/broken.yaml, service.json.
    let expected = [
        ("ConfigMap", "shop/settings", at("list.yaml", 4)),
        ("Secret", "shop/token", at("list.yaml", 9)),
        ("Namespace", "shop", at("multi.yaml", 2)),
        ("Pod", "shop/web", at("multi.yaml", 7)),
        ("Service", "shop/web", at("service.json", 1)),
    ];
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), expected.len(), "{stdout}");
    for (row, (kind, name, source)) in rows.iter().zip(&expected) {
        assert_eq!(row, &vec![*kind, *name, source.as_str()], "{stdout}");
    }

    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let broken = dir.join("nested/broken.yaml").display().to_string();
    assert!(
        errors[0].starts_with(&format!("error: {broken}:5:12: ")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("notes.txt"),
        "non-manifest files are skipped"
    );
}

#[test]
fn manifests_json_has_objects_and_errors_with_positions() {
    let dir = fixtures();
    let out = palisade(&["--format", "json", "manifests", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    assert_eq!(objects[1]["kind"], "Secret");
    assert_eq!(objects[1]["item"], 1);
    assert_eq!(objects[3]["document"], 1);
    // Every object's position as separate fields: list items start at
    // their column inside the list.
    let at: Vec<(u64, u64)> = objects
        .iter()
        .map(|o| (o["line"].as_u64().unwrap(), o["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(at, [(4, 5), (9, 5), (2, 1), (7, 1), (1, 1)]);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["line"], 5);
    assert_eq!(errors[0]["column"], 12);
    assert!(errors[0]["file"].as_str().unwrap().ends_with("broken.yaml"));
}

#[test]
fn manifests_reads_stdin_and_exits_zero_when_all_is_well() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["manifests", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: piped\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("<stdin>:1"));
}

#[test]
fn missing_paths_are_input_errors() {
    let out = palisade(&["manifests", "/nonexistent/palisade-test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/palisade-test"));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(palisade(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(palisade(&["manifests"]).status.code(), Some(2));
    assert_eq!(
        palisade(&["--format", "xml", "demo"]).status.code(),
        Some(2)
    );
}

#[test]
fn demo_runs_on_built_in_data() {
    let out = palisade(&["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Deployment"), "{stdout}");
    assert!(stdout.contains("NetworkPolicy"), "{stdout}");
}
