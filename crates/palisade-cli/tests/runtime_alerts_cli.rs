//! `palisade runtime replay` alert delivery end to end where a case file
//! cannot follow: the file sink with events on stdin, the HTTP sink to a
//! server on loopback, `--follow` on a growing file. (Built-in rules,
//! selection, dedup, rate limit and the summary table are case files:
//! `tests/cmd/runtime-replay-*`.)
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::io::Write;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use palisade::runtime::builtin::DEMO_EVENTS;
use palisade_testkit::command::text;
use palisade_testkit::http::PostServer;

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-alerts-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn palisade(args: &[&str]) -> Output {
    palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

/// Rule names of the text lines (`rule<TAB>priority<TAB>event`).
fn rules_of(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect()
}

fn events() -> String {
    temp_file("demo.jsonl", DEMO_EVENTS)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn output_file_gets_falco_json_and_reads_stdin() {
    let file = temp_path("alerts.json");
    let out = palisade_testkit::command::run_with_stdin(
        env!("CARGO_BIN_EXE_palisade"),
        &[
            "runtime",
            "replay",
            "--events",
            "-",
            "--output-file",
            file.to_str().unwrap(),
            "--tags",
            "kernel",
        ],
        DEMO_EVENTS.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Kernel module load\tcritical\t10\n");
    let written = std::fs::read_to_string(&file).unwrap();
    let alert: serde_json::Value = serde_json::from_str(written.trim()).unwrap();
    let keys: Vec<&str> = alert
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "hostname",
            "output",
            "output_fields",
            "priority",
            "rule",
            "source",
            "tags",
            "time"
        ]
    );
    assert_eq!(alert["time"], "2024-05-01T10:20:09.000000000Z");
    assert_eq!(alert["output_fields"]["proc.cmdline"], "insmod rootkit.ko");
    assert!(text(&out.stderr).contains("1 delivered, 0 failed, 0 dropped"));
}

#[test]
fn http_url_posts_each_alert() {
    let server = PostServer::start("/falco", |_| 200);
    let url = server.url.clone();
    let out = palisade(&[
        "runtime",
        "replay",
        "--events",
        &events(),
        "--http-url",
        &url,
        "--min-priority",
        "warning",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rules: Vec<String> = server
        .bodies()
        .iter()
        .map(|b| {
            let v: serde_json::Value = serde_json::from_str(b).unwrap();
            v["rule"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        rules,
        [
            "Read of sensitive file",
            "Process spawned by unexpected parent",
            "Kernel module load"
        ]
    );
    assert!(
        text(&out.stderr).contains(&format!(
            "sink http:{url}: 3 delivered, 0 failed, 0 dropped"
        )),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn follow_reads_a_growing_file_until_idle() {
    let path = temp_file("growing.jsonl", "");
    let lines: Vec<&str> = DEMO_EVENTS.lines().collect();
    let writer_path = path.clone();
    let first: Vec<String> = lines[..6].iter().map(|l| format!("{l}\n")).collect();
    let second: Vec<String> = lines[6..].iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, first.concat()).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&writer_path)
            .unwrap();
        // Half a line first: the reader waits for its end.
        let (head, tail) = second[0].split_at(20);
        f.write_all(head.as_bytes()).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        f.write_all(tail.as_bytes()).unwrap();
        f.write_all(second[1..].concat().as_bytes()).unwrap();
    });
    let out = palisade(&[
        "runtime",
        "replay",
        "--events",
        path.to_str().unwrap(),
        "--follow",
        "--follow-idle",
        "1500ms",
    ]);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        rules_of(&text(&out.stdout)),
        [
            "Unexpected shell in container",
            "Unexpected shell in container",
            "Read of sensitive file",
            "Outbound connection outside allowed networks",
            "Process spawned by unexpected parent",
            "Kernel module load"
        ]
    );
    assert!(text(&out.stderr).contains("12 events in"));
}
