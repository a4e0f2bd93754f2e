//! `palisade runtime parse` and `palisade runtime validate` end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};
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

/// Writes `content` to a fresh file under the target directory.
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("runtime_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn parse_prints_the_canonical_form() {
    let out = palisade(&[
        "runtime",
        "parse",
        "evt.type=open and not proc.name in (cat, 'a b') or m",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim_end(),
        "((evt.type = open and not proc.name in (cat, \"a b\")) or m)"
    );
    let out = palisade(&["--format", "json", "runtime", "parse", "not not a.b exists"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["condition"], "a.b exists");
}

#[test]
fn parse_errors_exit_2_with_a_position() {
    let out = palisade(&["runtime", "parse", "a and\n  b c"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2, column 5"),
        "{}",
        text(&out.stderr)
    );
    let out = palisade(&["--format", "json", "runtime", "parse", "proc.name = "]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["line"], 1);
    assert_eq!(json["error"]["column"], 13);
    let deep = "(".repeat(100_000);
    let out = palisade(&["runtime", "parse", &deep]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exceeded max depth limit of 100"));
}

#[test]
fn validate_loads_the_official_rules_files() {
    let Some(dir) = palisade_testkit::corpus("falco/rules") else {
        return;
    };
    let files: Vec<String> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| dir.join(f).display().to_string())
    .collect();
    let mut args = vec!["runtime", "validate"];
    args.extend(files.iter().map(String::as_str));
    let out = palisade(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("93 rules (81 enabled)"), "{stdout}");
    assert!(stdout.contains("0 errors"), "{stdout}");

    let out = palisade(&["--format", "json", "runtime", "validate", &files[0]]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = json["rules"].as_object().unwrap();
    assert_eq!(rules.len(), 25);
    let shell = &rules["Terminal shell in container"];
    assert_eq!(shell["enabled"], true);
    assert_eq!(shell["priority"], "Notice");
    assert!(
        shell["condition"]
            .as_str()
            .unwrap()
            .starts_with("(evt.type in (execve, execveat) and ")
    );
    assert!(
        shell["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "container")
    );
    assert!(json["macros"].as_u64().unwrap() > 50);
    assert!(json["lists"].as_u64().unwrap() > 20);
    assert_eq!(json["errors"].as_array().unwrap().len(), 0);
}

const RULES: &str = "\
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  tags: [b, a]
  colour: red
- rule: shell
  condition: and user.name = root
  override:
    condition: append
";

#[test]
fn validate_prints_conditions_and_warnings() {
    let path = temp_file("ok.yaml", RULES);
    let out = palisade(&[
        "runtime",
        "validate",
        path.to_str().unwrap(),
        "--print-conditions",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "shell: (evt.type = execve and proc.name in (bash, sh) and user.name = root)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Unknown key 'colour'"), "{stdout}");
    assert!(
        stdout.contains("1 rules (1 enabled), 1 macros, 1 lists, 1 warnings, 0 errors"),
        "{stdout}"
    );

    let out = palisade(&[
        "--format",
        "json",
        "runtime",
        "validate",
        path.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["rules"]["shell"]["priority"], "Warning");
    assert_eq!(
        json["rules"]["shell"]["tags"],
        serde_json::json!(["a", "b"])
    );
    let warning = &json["warnings"][0];
    assert_eq!(warning["line"], 5);
    assert_eq!(warning["column"], 3);
    assert_eq!(warning["item"], "rule 'shell'");
    assert_eq!(warning["file"], path.display().to_string());
}

#[test]
fn validate_errors_name_file_line_column_and_item() {
    let bad = temp_file(
        "bad.yaml",
        "- rule: broken\n  desc: d\n  condition: evt.type = open and proc.nme = cat\n  output: o\n  priority: INFO\n",
    );
    let out = palisade(&[
        "--format",
        "json",
        "runtime",
        "validate",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &json["errors"][0];
    assert_eq!(error["item"], "rule 'broken'");
    assert_eq!(error["line"], 3);
    assert!(
        error["message"].as_str().unwrap().contains("proc.nme"),
        "{error}"
    );

    let macro_loop = temp_file(
        "loop.yaml",
        "- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
    );
    let out = palisade(&["runtime", "validate", macro_loop.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("loop.yaml:2:14: macro 'a': Undefined macro 'b' used in filter."),
        "{stderr}"
    );

    let missing = palisade(&["runtime", "validate", "/nonexistent/rules.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read file"));
}
