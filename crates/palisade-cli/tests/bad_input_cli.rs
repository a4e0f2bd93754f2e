//! No input path can make the CLI panic: every case of every bad-input
//! suite (`crates/*/tests/bad_input/<kind>/`) is run through the command
//! that reads that kind of input. Each run must end with exit code 2 (bad
//! input) or 1 (a verdict), never 101 (a panic) or a signal, and stderr
//! must not say "panicked"; and the CLI shows the library's message for the
//! case, the one in its `<case>.expected` file.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::path::{Path, PathBuf};

fn crates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The cases of a layer's bad-input suite (not their `.expected` files).
fn cases(krate: &str, kind: &str) -> Vec<PathBuf> {
    let dir = crates().join(krate).join("tests/bad_input").join(kind);
    let files = palisade_testkit::bad_input::cases(&dir).unwrap();
    assert!(
        files.len() >= 20,
        "{}: only {} cases",
        dir.display(),
        files.len()
    );
    files
}

/// Runs the CLI once per case with the arguments `args` gives; checks the
/// exit code is one of `allowed`, that nothing panicked and that the output
/// holds the case's expected message.
fn run_all(krate: &str, kind: &str, allowed: &[i32], args: impl Fn(&Path) -> Vec<String>) {
    run_all_with(krate, kind, allowed, args, |_, _| false);
}

/// The case's `.expected` message, naming the case by the path the CLI is
/// given (the suites name it relative to the layer crate).
fn expected_message(krate: &str, file: &Path) -> String {
    let expected = palisade_testkit::bad_input::expected_path(file);
    let text = std::fs::read_to_string(&expected).unwrap();
    let prefix = format!("{}/tests/bad_input/", s(&crates().join(krate)));
    text.trim_end_matches('\n')
        .replace("tests/bad_input/", &prefix)
}

/// [`run_all`], where `also_ok(file, stderr)` may accept exit code 0 (a
/// command that reports the problem as a warning and goes on).
fn run_all_with(
    krate: &str,
    kind: &str,
    allowed: &[i32],
    args: impl Fn(&Path) -> Vec<String>,
    also_ok: impl Fn(&Path, &str) -> bool,
) {
    // `admission review` reads the review file as a manifest first: its
    // messages are the manifest loader's, with positions (the suite's are
    // those of `AdmissionReview::from_json_slice`, which has no file).
    let check_message = kind != "reviews";
    let mut failures = Vec::new();
    let files = cases(krate, kind);
    for file in &files {
        let args = args(file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = file.file_name().unwrap().to_string_lossy();
        let shown = format!("{}{stderr}", String::from_utf8_lossy(&output.stdout));
        let message = expected_message(krate, file);
        if check_message && !shown.contains(&message) {
            failures.push(format!(
                "{name}: the output does not show `{message}`:\n{shown}"
            ));
        }
        match output.status.code() {
            None => failures.push(format!("{name}: killed by a signal")),
            Some(code) if stderr.contains("panicked") || code == 101 => {
                failures.push(format!("{name}: panicked (exit {code}): {stderr}"));
            }
            Some(0) if also_ok(file, &stderr) => {}
            Some(code) if !allowed.contains(&code) => {
                failures.push(format!(
                    "{name}: exit {code}, expected one of {allowed:?}; stderr: {stderr}"
                ));
            }
            Some(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{kind}: {} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn fixture(rel: &str) -> String {
    s(&Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel))
}

#[test]
fn rules_files() {
    run_all("palisade-runtime", "rules", &[2], |f| {
        vec!["runtime".into(), "validate".into(), s(f)]
    });
}

#[test]
fn conditions() {
    run_all("palisade-runtime", "conditions", &[2], |f| {
        let expr = std::fs::read_to_string(f).unwrap();
        vec![
            "runtime".into(),
            "filter".into(),
            "--check".into(),
            "--".into(),
            expr,
        ]
    });
}

#[test]
fn event_streams() {
    run_all("palisade-runtime", "events", &[2], |f| {
        vec![
            "runtime".into(),
            "filter".into(),
            "evt.type = open".into(),
            "--events".into(),
            s(f),
        ]
    });
}

/// Truncated and corrupt captures: `runtime events` shows the reader's
/// located message for each; `runtime replay`, which tells captures from
/// JSON lines by their first bytes, shows it for every case that starts
/// as a capture (the empty file and the text file are JSON lines to it).
#[test]
fn captures() {
    run_all("palisade-runtime", "scap", &[2], |f| {
        vec!["runtime".into(), "events".into(), s(f)]
    });
    let mut replayed = 0;
    for file in cases("palisade-runtime", "scap") {
        let head = std::fs::read(&file).unwrap();
        if !(head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a])) {
            continue;
        }
        let out = palisade_testkit::command::run(
            env!("CARGO_BIN_EXE_palisade"),
            &["runtime", "replay", "--events", &s(&file)],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        let expected = expected_message("palisade-runtime", &file);
        assert!(stderr.contains(&expected), "{expected}\nnot in\n{stderr}");
        replayed += 1;
    }
    assert!(replayed >= 20, "{replayed}");
}

fn review_with_policies(f: &Path) -> Vec<String> {
    review_with(f, None)
}

/// `admission review` with the bad file and, when given, the valid
/// counterpart it needs (the template for a constraint and vice versa).
fn review_with(f: &Path, with: Option<&str>) -> Vec<String> {
    let mut args = vec![
        "admission".into(),
        "review".into(),
        "--policies".into(),
        s(f),
    ];
    if let Some(with) = with {
        args.extend([
            "--policies".into(),
            s(&crates()
                .join("palisade-admission/tests/bad_input/fixtures")
                .join(with)),
        ]);
    }
    args.push(fixture("admission/reviews/allowed.json"));
    args
}

#[test]
fn templates() {
    run_all("palisade-admission", "templates", &[2], |f| {
        review_with(f, Some("constraint.yaml"))
    });
}

#[test]
fn constraints() {
    run_all("palisade-admission", "constraints", &[1, 2], |f| {
        review_with(f, Some("template.yaml"))
    });
}

#[test]
fn pattern_policies() {
    run_all("palisade-admission", "patterns", &[2], review_with_policies);
}

#[test]
fn admission_reviews() {
    run_all("palisade-admission", "reviews", &[2], |f| {
        vec![
            "admission".into(),
            "review".into(),
            "--policies".into(),
            fixture("admission/policies"),
            s(f),
        ]
    });
}

#[test]
fn manifests() {
    for command in [&["manifests"][..], &["admission", "fix"]] {
        run_all("palisade-core", "manifests", &[2], |f| {
            let mut args: Vec<String> = command.iter().map(|c| (*c).to_owned()).collect();
            args.push(s(f));
            args
        });
    }
}

#[test]
fn mutate_policies_in_fix() {
    // Exit 1 for a rule that fails on the object (the case's message then
    // names the rule), 2 for a policy that does not load.
    run_all("palisade-admission", "mutate", &[1, 2], |f| {
        vec![
            "admission".into(),
            "fix".into(),
            "--no-pack".into(),
            "--policies".into(),
            s(f),
            fixture("fix/pod.yaml"),
        ]
    });
}

#[test]
fn network_policies() {
    // The network commands report a policy they cannot use as a warning
    // naming file, line and field, and go on with the rest.
    run_all_with(
        "palisade-network",
        "netpol",
        &[1, 2],
        |f| vec!["network".into(), "audit".into(), s(f)],
        |f, stderr| stderr.contains(&format!("{}:", s(f))) && stderr.contains("warning"),
    );
}

/// A condition nested 100,000 levels deep (too long for a case file's
/// command line) is refused at the parser's depth limit.
#[test]
fn a_deeply_nested_condition_is_refused_at_the_depth_limit() {
    let deep = "(".repeat(100_000);
    let out = palisade_testkit::command::run(
        env!("CARGO_BIN_EXE_palisade"),
        &["runtime", "parse", &deep],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = palisade_testkit::command::text(&out.stderr);
    assert!(
        stderr.contains("exceeded max depth limit of 100"),
        "{stderr}"
    );
}
