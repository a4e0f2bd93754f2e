//! The posture in `palisade report`, and `palisade console --demo` serving
//! a populated console. (`palisade score` itself, with and without an
//! answers file, is the case file `tests/cmd/score.trycmd`.)

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use palisade_testkit::command::stdout_json;

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
