//! `palisade score`, the posture in `palisade report`, and `palisade
//! console --demo` serving a populated console.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use palisade_testkit::command::{assert_exit, stdout_json};

fn palisade(args: &[&str]) -> Output {
    palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

fn mixed() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/data/mixed")
        .display()
        .to_string()
}

#[test]
fn score_prints_the_documented_posture_as_json() {
    let out = palisade(&["score", &mixed(), "--format", "json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = stdout_json(&out);
    // docs/posture.md: the example data scores 51.
    assert_eq!(json["score"], 51);
    assert_eq!(json["form_score"], 40);
    let names: Vec<&str> = json["pillars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admission", "runtime", "network", "hygiene"]);
    assert_eq!(json["questions"].as_array().unwrap().len(), 5);
}

#[test]
fn score_takes_answers_and_refuses_a_bad_answers_file() {
    let dir = std::env::temp_dir().join(format!("palisade-score-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("good.yaml"), "alerts: yes\n").unwrap();
    std::fs::write(dir.join("bad.yaml"), "alerts: sometimes\n").unwrap();
    let good = palisade(&[
        "score",
        &mixed(),
        "--answers",
        &dir.join("good.yaml").display().to_string(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = stdout_json(&good);
    let alerts = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "alerts")
        .unwrap()
        .clone();
    assert_eq!(
        (alerts["answer"].as_str(), alerts["source"].as_str()),
        (Some("yes"), Some("answered"))
    );
    assert_eq!(json["form_score"], 60);
    let bad = palisade(&[
        "score",
        &mixed(),
        "--answers",
        &dir.join("bad.yaml").display().to_string(),
    ]);
    assert_exit(&bad, 2);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains(
            "bad.yaml:1:9: `alerts`: expected `yes`, `partly` or `no`, found `sometimes`"
        ),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_includes_the_posture() {
    let out = palisade(&["report", &mixed(), "--format", "json"]);
    let json: serde_json::Value = stdout_json(&out);
    assert_eq!(json["posture"]["score"], 51);
    assert!(json["findings"].is_array() && json["coverage"].is_array());
    let text = palisade(&["report", &mixed(), "--color", "never"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Posture 51/100"));
}

#[test]
fn console_demo_serves_a_populated_console() {
    let state = std::env::temp_dir().join(format!("palisade-demo-{}", std::process::id()));
    std::fs::create_dir_all(&state).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "console",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            &state.display().to_string(),
        ])
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first.rsplit(':').next().unwrap().parse().unwrap();
    let ca = std::fs::read(state.join("console-ca.crt")).unwrap();
    let client = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let mut total = 0;
    for _ in 0..50 {
        let summary: serde_json::Value = client
            .get(format!("https://localhost:{port}/api/v1/summary"))
            .send()
            .unwrap()
            .text()
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap();
        total = summary["alerts"]["total"].as_i64().unwrap_or(0);
        if total > 0 {
            assert!(summary["score"].as_i64().is_some(), "{summary}");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&state);
    assert!(total > 0, "the demo stream did not populate the console");
}
