//! `palisade runtime replay` alert options end to end: built-in rules by
//! default, selection, dedup, rate limit, file and HTTP sinks, stdin,
//! `--follow`, the summary table; and `palisade demo`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palisade::runtime::builtin::DEMO_EVENTS;

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the palisade binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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
fn replays_built_in_rules_by_default_with_a_summary_table() {
    let out = palisade(&["runtime", "replay", "--events", &events()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Unexpected shell in container\tnotice\t1\n\
         Unexpected shell in container\tnotice\t2\n\
         Read of sensitive file\twarning\t4\n\
         Outbound connection outside allowed networks\tnotice\t6\n\
         Process spawned by unexpected parent\twarning\t8\n\
         Kernel module load\tcritical\t10\n"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("using the 5 built-in rules"), "{stderr}");
    assert!(stderr.contains("12 events in"), "{stderr}");
    assert!(
        stderr.contains("events/s); 6 alerts, 0 suppressed"),
        "{stderr}"
    );
    let row = stderr
        .lines()
        .find(|l| l.starts_with("Unexpected shell in container"))
        .unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[cols.len() - 4..], ["Notice", "2", "0", "0"], "{row}");
}

#[test]
fn selects_by_priority_tags_and_names() {
    let e = events();
    let run = |extra: &[&str]| {
        let mut args = vec!["runtime", "replay", "--events", e.as_str()];
        args.extend_from_slice(extra);
        let out = palisade(&args);
        rules_of(&text(&out.stdout))
    };
    assert_eq!(
        run(&["--min-priority", "warning"]),
        [
            "Read of sensitive file",
            "Process spawned by unexpected parent",
            "Kernel module load"
        ]
    );
    assert_eq!(
        run(&["--tags", "network"]),
        ["Outbound connection outside allowed networks"]
    );
    assert_eq!(
        run(&[
            "--disable-tags",
            "shell,mitre_execution",
            "--min-priority",
            "notice"
        ]),
        [
            "Read of sensitive file",
            "Outbound connection outside allowed networks",
            "Kernel module load"
        ]
    );
    assert_eq!(run(&["--rule", "Kernel*"]), ["Kernel module load"]);
    assert_eq!(
        run(&["--rule", "Read of sensitive file", "Kernel module load"]),
        ["Read of sensitive file", "Kernel module load"]
    );
    assert_eq!(
        run(&[
            "--disable-rule",
            "*container*",
            "--min-priority",
            "critical"
        ]),
        ["Kernel module load"]
    );
}

#[test]
fn dedup_and_rate_limit_count_suppressed_alerts() {
    let e = events();
    let out = palisade(&["runtime", "replay", "--events", &e, "--dedup-window", "5m"]);
    let stdout = text(&out.stdout);
    assert_eq!(rules_of(&stdout).len(), 5);
    let stderr = text(&out.stderr);
    // The repeat of event 2 is counted and reported.
    assert!(
        stderr.contains("1 alerts suppressed in the last"),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 alerts, 1 suppressed (1 dedup, 0 rate limit), 1 summaries"),
        "{stderr}"
    );

    let many: String = (1..=20)
        .map(|n| {
            format!(
                "{{\"evt.num\":{n},\"evt.type\":\"finit_module\",\"evt.rawres\":0,\"proc.name\":\"insmod\",\"container.id\":\"host\"}}\n"
            )
        })
        .collect();
    let many = temp_file("many.jsonl", &many);
    let out = palisade(&[
        "--format",
        "json",
        "runtime",
        "replay",
        "--events",
        many.to_str().unwrap(),
        "--rate-limit",
        "3/h",
    ]);
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 3 alerts, then the summary of the 17 suppressed.
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["rule"], "Kernel module load");
    assert_eq!(lines[0]["priority"], "Critical");
    assert_eq!(lines[0]["evt_num"], 1);
    assert_eq!(lines[3]["rule"], "Palisade alert summary");
    assert_eq!(
        lines[3]["output_fields"]["suppressed.rate_limit[Kernel module load]"],
        17
    );
    let out = palisade(&["runtime", "replay", "--events", "x", "--rate-limit", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad rate limit `3`"));
}

#[test]
fn output_file_gets_falco_json_and_reads_stdin() {
    let file = temp_path("alerts.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "runtime",
            "replay",
            "--events",
            "-",
            "--output-file",
            file.to_str().unwrap(),
            "--tags",
            "kernel",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(DEMO_EVENTS.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/falco", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut length = 0;
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                log.lock().unwrap().push(String::from_utf8(body).unwrap());
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .unwrap();
            }
        }
    });
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
    let bodies = bodies.lock().unwrap();
    let rules: Vec<String> = bodies
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

#[test]
fn bad_json_names_the_line() {
    let bad = temp_file("bad.jsonl", &format!("{DEMO_EVENTS}{{oops\n"));
    let out = palisade(&["runtime", "replay", "--events", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 13"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_shows_built_in_alerts() {
    let out = palisade(&["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for rule in [
        "Shell started in a container",
        "Sensitive file opened for reading",
        "Outbound connection outside allowed networks",
        "Process spawned by unexpected parent",
        "Kernel module loaded",
        "1 alerts suppressed",
    ] {
        assert!(stdout.contains(rule), "{rule}: {stdout}");
    }
}
