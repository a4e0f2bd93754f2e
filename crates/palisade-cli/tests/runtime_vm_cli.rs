//! `palisade runtime filter | replay | disasm | fields` end to end.
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
        .env("NO_COLOR", "1")
        .output()
        .expect("the palisade binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch file unique to this test process.
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-runtime-vm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const RULES: &str = "
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- rule: Shell spawned
  desc: a shell ran
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
- rule: Any execve
  desc: anything ran
  condition: spawned
  output: exec %proc.name
  priority: info
";

const EVENTS: &str = r#"{"evt.type": "execve", "evt.dir": "<", "proc.name": "bash"}
{"evt.type": "execve", "evt.dir": ">", "proc.name": "bash"}
{"evt.type": "execve", "evt.dir": "<", "proc.name": "ls"}
"#;

#[test]
fn filter_prints_the_recorded_matches_of_the_corpus() {
    if palisade_testkit::corpus("falco/captures/captures.json").is_none() {
        return;
    }
    let dir = palisade_testkit::corpus_root().join("falco");
    let filters = std::fs::read_to_string(dir.join("captures/filters.jsonl")).unwrap();
    let mut checked = 0;
    for line in filters.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let expected = record["matches"]["cat_write"].as_array().unwrap();
        if expected.is_empty() {
            continue;
        }
        let events = dir.join("captures/cat_write.events.jsonl");
        let out = palisade(&[
            "runtime",
            "filter",
            record["filter"].as_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let got: Vec<u64> = text(&out.stdout)
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        let want: Vec<u64> = expected.iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(got, want, "filter {}", record["filter"]);
        checked += 1;
        if checked == 15 {
            break;
        }
    }
    assert_eq!(checked, 15);
}

#[test]
fn filter_expands_macros_and_lists_of_rules_files() {
    if palisade_testkit::corpus("falco/captures/captures.json").is_none() {
        return;
    }
    let dir = palisade_testkit::corpus_root().join("falco");
    let rules = dir.join("rules/falco_rules.yaml");
    let events = dir.join("captures/curl_google.events.jsonl");
    let out = palisade(&[
        "runtime",
        "filter",
        "open_read",
        "--rules",
        rules.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The recorded expansion of macro `open_read` (filters.jsonl, line 2).
    let filters = std::fs::read_to_string(dir.join("captures/filters.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(filters.lines().nth(1).unwrap()).unwrap();
    assert_eq!(record["from"], "macro:open_read");
    let want: Vec<String> = record["matches"]["curl_google"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), want);
}

#[test]
fn filter_uses_line_numbers_without_evt_num_and_checks_only_with_check() {
    let events = temp_file("events.jsonl", EVENTS);
    let rules = temp_file("rules.yaml", RULES);
    let out = palisade(&[
        "runtime",
        "filter",
        "spawned and proc.name in (shells)",
        "--rules",
        rules.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n");

    let ok = palisade(&[
        "runtime",
        "filter",
        "--check",
        "proc.name = cat and fd.num > 2",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(ok.stdout.is_empty());
    let unknown = palisade(&["runtime", "filter", "--check", "proc.nmae = cat"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("did you mean `proc.name`"),
        "{}",
        text(&unknown.stderr)
    );
    let mismatch = palisade(&["runtime", "filter", "--check", "fd.num contains 3"]);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(
        text(&mismatch.stderr).contains("operator `contains` is not supported"),
        "{}",
        text(&mismatch.stderr)
    );
    let syntax = palisade(&["runtime", "filter", "--check", "proc.name = (cat"]);
    assert_eq!(syntax.status.code(), Some(2));
    let no_events = palisade(&["runtime", "filter", "proc.name = cat"]);
    assert_eq!(no_events.status.code(), Some(2));
}

#[test]
fn replay_prints_one_line_per_alert() {
    let events = temp_file("replay-events.jsonl", EVENTS);
    let rules = temp_file("replay-rules.yaml", RULES);
    let (r, e) = (rules.to_str().unwrap(), events.to_str().unwrap());
    let first = palisade(&["runtime", "replay", "--rules", r, "--events", e]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout),
        "Shell spawned\twarning\t1\nAny execve\tinformational\t3\n"
    );

    let all = palisade(&[
        "--format", "json", "runtime", "replay", "--rules", r, "--events", e, "--match", "all",
    ]);
    assert_eq!(all.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&all.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, u64)> = lines
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap().to_owned(),
                v["evt_num"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Shell spawned".to_owned(), 1),
            ("Any execve".to_owned(), 1),
            ("Any execve".to_owned(), 3)
        ]
    );
    // Falco's alert shape (issue 4): Falco's priority name, rendered output.
    assert_eq!(lines[0]["priority"], "Warning");
    assert!(
        lines[0]["output"]
            .as_str()
            .unwrap()
            .ends_with(": Warning shell bash"),
        "{}",
        lines[0]
    );

    let quiet = temp_file("quiet-events.jsonl", "{\"evt.type\": \"read\"}\n");
    let none = palisade(&[
        "runtime",
        "replay",
        "--rules",
        r,
        "--events",
        quiet.to_str().unwrap(),
    ]);
    assert_eq!(none.status.code(), Some(0));
    assert!(none.stdout.is_empty());

    let broken = temp_file("broken-events.jsonl", "{\"evt.type\": \"read\"}\n{oops\n");
    let bad = palisade(&[
        "runtime",
        "replay",
        "--rules",
        r,
        "--events",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("line 2"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn disasm_lists_bytecode() {
    let out = palisade(&[
        "runtime",
        "disasm",
        "evt.type in (open, openat) and not fd.name startswith /proc and not proc.name in (cat, ls) and fd.num > 2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert_eq!(
        listing,
        "rule `filter` (notice), event types: open openat\n  \
         0000  ncheck.jf #0 0003  not fd.name startswith /proc\n  \
         0001  ncheck.jf #1 0003  not proc.name in (cat, ls)\n  \
         0002  check     #2  fd.num > 2\n  \
         0003  ret\n"
    );
    let or = palisade(&[
        "runtime",
        "disasm",
        "(evt.type = open and fd.num > 2) or evt.type = execve",
    ]);
    let listing = text(&or.stdout);
    assert!(
        listing.contains("evttype.jf #0 0003  evt.type = open"),
        "{listing}"
    );
    assert!(listing.contains("jt        0004"), "{listing}");

    let rules = temp_file("disasm-rules.yaml", RULES);
    let one = palisade(&[
        "runtime",
        "disasm",
        "--rules",
        rules.to_str().unwrap(),
        "--rule",
        "Shell spawned",
    ]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    let listing = text(&one.stdout);
    assert!(
        listing.starts_with("rule `Shell spawned` (warning), event types: execve"),
        "{listing}"
    );
    assert!(listing.contains("proc.name in (bash, sh)"), "{listing}");
    assert!(!listing.contains("Any execve"), "{listing}");
    let missing = palisade(&[
        "runtime",
        "disasm",
        "--rules",
        rules.to_str().unwrap(),
        "--rule",
        "nope",
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn fields_lists_the_schema() {
    let out = palisade(&["--format", "json", "runtime", "fields"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let fields = json["fields"].as_array().unwrap();
    let find = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(find("proc.name")["type"], "string");
    assert_eq!(find("fd.sport")["type"], "port");
    assert_eq!(find("fd.snet")["type"], "ipnet");
    assert_eq!(find("container.mount.dest")["arg"], "required");
    assert_eq!(find("evt.arg")["arg"], "name-or-index");
    let plain = palisade(&["runtime", "fields"]);
    assert!(
        text(&plain.stdout)
            .lines()
            .any(|l| l.starts_with("proc.aname[[...]]"))
    );
}

#[test]
fn demo_replays_built_in_events() {
    let out = palisade(&["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The built-in rules over the built-in stream (issue 4).
    assert!(
        stdout.contains("Notice Shell started in a container (user=root"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Warning Sensitive file opened for reading (user=root file=/etc/shadow"),
        "{stdout}"
    );
}
