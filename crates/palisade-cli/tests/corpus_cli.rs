//! The command line on the shared corpus (skipped with a notice when it is
//! absent): the case files of `tests/cmd/` cannot name corpus paths, which
//! `PALISADE_CORPUS` may move.

use std::process::Output;

use palisade_testkit::command::{arg, assert_exit, stdout_json, text};
use palisade_testkit::compare::line_set;
use serde_json::Value;

fn palisade(args: &[&str]) -> Output {
    palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

/// `palisade --format json ARGS`: its exit code checked, its output read
/// as JSON.
fn json_of(code: i32, args: &[&str]) -> Value {
    let out = palisade(&[&["--format", "json"], args].concat());
    assert_exit(&out, code);
    stdout_json(&out)
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
        let out = palisade(&["network", "connlist", "--output", ext, arg(&dir)]);
        assert_exit(&out, 0);
        assert_eq!(
            line_set(&text(&out.stdout)),
            line_set(&golden(ext)),
            "format {ext}"
        );
    }
    let out = palisade(&["network", "connlist", "-o", "json", arg(&dir)]);
    let ours: Value = stdout_json(&out);
    let theirs: Value = serde_json::from_str(&golden("json")).unwrap();
    assert_eq!(ours, theirs);
}

/// netpol-analyzer's semanticDiff bank example: one inventory
/// (`bank_*.json`) and two policy files, `new1.yaml` and `new1a.yaml`.
fn bank(root: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let tests = root.join("tests");
    (
        tests.join("semanticDiff-same-topologies-new1"),
        tests.join("semanticDiff-same-topologies-new1a"),
    )
}

#[test]
fn connlist_reads_policies_and_inventory_given_as_flags() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let (new1, _) = bank(&root);
    let golden = std::fs::read_to_string(
        root.join("test_outputs/connlist/semanticDiff-same-topologies-new1_connlist_output.txt"),
    )
    .unwrap();
    let (policies, pods, namespaces) = (
        new1.join("new1.yaml"),
        new1.join("bank_pod_list.json"),
        new1.join("bank_ns_list.json"),
    );
    let inputs = [
        "--policies",
        arg(&policies),
        "--inventory",
        arg(&pods),
        "--inventory",
        arg(&namespaces),
    ];
    let with_inputs = |command: &[&str]| palisade(&[command, &inputs[..]].concat());
    // The flags, and the flags mixed with the positional form, read the
    // same manifests as the directory.
    let mixed = palisade(&[
        "network",
        "connlist",
        "--policies",
        arg(&policies),
        arg(&pods),
        arg(&namespaces),
    ]);
    for out in [with_inputs(&["network", "connlist"]), mixed] {
        assert_exit(&out, 0);
        assert_eq!(line_set(&text(&out.stdout)), line_set(&golden));
    }
    // Audit and check take the flags too.
    let out = with_inputs(&["network", "audit"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("network/unprotected-egress"), "{stdout}");
    let check = |from: &str, to: &str| {
        with_inputs(&[
            "network", "check", "--from", from, "--to", to, "--port", "8080",
        ])
    };
    // new1.yaml lets the bank UI reach the account command on TCP 8080,
    // and the account query reach nothing but the UI.
    assert_exit(
        &check("demo/cog-agents-bank-ui", "demo/cog-agents-account-command"),
        0,
    );
    assert_exit(
        &check(
            "demo/cog-agents-account-query",
            "demo/cog-agents-account-command",
        ),
        1,
    );
}

#[test]
fn diff_lists_what_the_goldens_of_the_two_policy_files_differ_in() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let (new1, new1a) = bank(&root);
    let (pods, namespaces) = (
        new1.join("bank_pod_list.json"),
        new1.join("bank_ns_list.json"),
    );
    let (before, after) = (new1.join("new1.yaml"), new1a.join("new1a.yaml"));
    let found = json_of(
        1,
        &[
            "network",
            "diff",
            "--before",
            arg(&before),
            "--after",
            arg(&after),
            "--inventory",
            arg(&pods),
            "--inventory",
            arg(&namespaces),
        ],
    );
    // The goldens: new1a narrows query => UI to UDP 8080 and drops
    // UI => command (TCP 8080, 9090, UDP 8080); nothing opens.
    let pairs = |key: &str| -> std::collections::BTreeSet<(String, String)> {
        found[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["from"].as_str().unwrap().to_owned(),
                    f["to"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(pairs("opened"), Default::default(), "{found}");
    let expected: std::collections::BTreeSet<(String, String)> = [
        (
            "demo/cog-agents-account-query[DaemonSet]",
            "demo/cog-agents-bank-ui[DaemonSet]",
        ),
        (
            "demo/cog-agents-bank-ui[DaemonSet]",
            "demo/cog-agents-account-command[DaemonSet]",
        ),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .into();
    assert_eq!(pairs("closed"), expected, "{found}");
    let closed = found["closed"].as_array().unwrap();
    // UI => command: exactly TCP 8080, TCP 9090 and UDP 8080 closed.
    let ports: Vec<(String, u64)> = closed
        .iter()
        .filter(|f| f["from"] == "demo/cog-agents-bank-ui[DaemonSet]")
        .map(|f| {
            (
                f["protocol"].as_str().unwrap().to_owned(),
                f["port"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            ("TCP".to_owned(), 8080),
            ("TCP".to_owned(), 9090),
            ("UDP".to_owned(), 8080)
        ]
    );
    // Each closed path names the new1a.yaml policy that now denies it.
    for f in closed {
        let text = f["denied_by"].to_string();
        assert!(
            text.contains("new1a.yaml") && text.contains("isolated by"),
            "{f}"
        );
    }
    // The same policies on both sides change nothing (exit 0).
    let same = json_of(
        0,
        &[
            "network",
            "diff",
            "--before",
            arg(&before),
            "--after",
            arg(&before),
            "--inventory",
            arg(&pods),
        ],
    );
    assert_eq!(same["opened"], Value::Array(Vec::new()));
    assert_eq!(same["closed"], Value::Array(Vec::new()));
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
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("93 rules (81 enabled)"), "{stdout}");
    assert!(stdout.contains("0 errors"), "{stdout}");

    let json = json_of(0, &["runtime", "validate", &files[0]]);
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

#[test]
fn filter_prints_the_recorded_matches_of_the_corpus() {
    if palisade_testkit::corpus("falco/captures/captures.json").is_none() {
        return;
    }
    let dir = palisade_testkit::corpus_root().join("falco");
    let filters = std::fs::read_to_string(dir.join("captures/filters.jsonl")).unwrap();
    let mut checked = 0;
    for line in filters.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
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
            arg(&events),
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
        arg(&rules),
        "--events",
        arg(&events),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The recorded expansion of macro `open_read` (filters.jsonl, line 2).
    let filters = std::fs::read_to_string(dir.join("captures/filters.jsonl")).unwrap();
    let record: Value = serde_json::from_str(filters.lines().nth(1).unwrap()).unwrap();
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
fn verify_passes_a_gatekeeper_library_suite() {
    let Some(library) = palisade_testkit::corpus("admission/gatekeeper") else {
        return;
    };
    let dir = library.join("general/allowedrepos");
    let json = json_of(0, &["admission", "verify", arg(&dir)]);
    assert_eq!(json["passed"], 5);
    assert_eq!(json["failed"], 0);
    // Each case is located where it is written in the suite file.
    let suite = dir.join("suite.yaml");
    let at: Vec<(&str, &str, u64, u64)> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["case"].as_str().unwrap(),
                c["file"].as_str().unwrap(),
                c["line"].as_u64().unwrap(),
                c["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let file = arg(&suite);
    assert_eq!(
        at,
        [
            ("example-allowed", file, 10, 5),
            ("container-disallowed", file, 14, 5),
            ("initcontainer-disallowed", file, 19, 5),
            ("both-disallowed", file, 26, 5),
            ("all-disallowed", file, 34, 5),
        ]
    );
    // With `--engine cel`, a template without a CEL implementation (this
    // one) is skipped with the reason; one with it is verified.
    let with_cel = library.join("pod-security-policy/privileged-containers");
    let doc = json_of(
        0,
        &[
            "admission",
            "verify",
            "--engine",
            "cel",
            arg(&with_cel),
            arg(&dir),
        ],
    );
    assert_eq!(doc["failed"], 0);
    assert!(doc["passed"].as_u64().unwrap() > 0);
    let skipped = doc["skipped"].as_array().unwrap();
    assert!(!skipped.is_empty());
    for case in skipped {
        assert!(
            case["detail"]
                .as_str()
                .unwrap()
                .ends_with("ConstraintTemplate `k8sallowedrepos` has no CEL implementation"),
            "{case}"
        );
    }
}

#[test]
fn pss_on_corpus_fixtures() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("pss/restricted/v1.30/pass");
    let out = palisade(&[
        "admission",
        "pss",
        "--level",
        "restricted",
        "--version",
        "v1.30",
        arg(&dir),
    ]);
    assert_exit(&out, 0);
    let dir = root.join("pss/baseline/v1.30/fail");
    let rows = json_of(
        1,
        &[
            "admission",
            "pss",
            "--level",
            "baseline",
            "--version",
            "v1.30",
            arg(&dir),
        ],
    );
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["allowed"] == false)
    );
    let file = dir.join("hostnamespaces0.yaml");
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"] == arg(&file))
        .unwrap();
    assert_eq!((&row["line"], &row["column"]), (&1.into(), &1.into()));
}

#[test]
fn kyverno_tests_run_like_kyverno_test() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("kyverno/best-practices");
    let doc = json_of(0, &["admission", "test", arg(&dir)]);
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "{}", cases.len());
    assert_eq!(doc["failed"], 0);
    assert_eq!(doc["passed"].as_u64().unwrap() as usize, cases.len());
    for key in ["suite", "test", "case", "passed", "detail"] {
        assert!(cases[0].get(key).is_some(), "{key}");
    }
    // Each case is located at its `results` entry in the test file.
    let suite = dir.join("disallow-default-namespace/.kyverno-test/kyverno-test.yaml");
    let at: Vec<(&str, u64, u64)> = cases
        .iter()
        .filter(|c| c["suite"] == arg(&suite))
        .map(|c| {
            assert_eq!(c["file"], c["suite"]);
            (
                c["case"].as_str().unwrap(),
                c["line"].as_u64().unwrap(),
                c["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let case = |rule: &str, resource: &str| format!("disallow-default-namespace/{rule}/{resource}");
    assert_eq!(
        at.iter()
            .map(|(c, l, col)| ((*c).to_owned(), *l, *col))
            .collect::<Vec<_>>(),
        [
            (case("validate-namespace", "Pod/badpod01"), 10, 3),
            (case("validate-namespace", "Pod/goodpod01"), 16, 3),
            (
                case(
                    "validate-podcontroller-namespace",
                    "Deployment/baddeployment01"
                ),
                22,
                3
            ),
            (
                case(
                    "validate-podcontroller-namespace",
                    "Deployment/gooddeployment01"
                ),
                28,
                3
            ),
        ]
    );
    // `deny` policies are not supported: their cases fail with the load error.
    let dir = root.join("kyverno-deny/other/block-updates-deletes");
    let out = palisade(&["--color", "never", "admission", "test", arg(&dir)]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("unsupported:") && stdout.contains("`validate.deny`"),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 2 failed"), "{stdout}");
    // In JSON, the load error keeps its position in fields, not in `detail`.
    let doc = json_of(1, &["admission", "test", arg(&dir)]);
    let case = &doc["cases"][0];
    let test_file = dir.join(".kyverno-test/kyverno-test.yaml");
    let message = "policy `block-updates-deletes` rule `block-updates-deletes`: `validate.deny` with JMESPath conditions is not supported";
    assert_eq!(
        (&case["file"], &case["line"], &case["column"]),
        (&arg(&test_file).into(), &10.into(), &3.into())
    );
    assert_eq!(case["detail"], format!("unsupported: {message}"));
    let policy = dir.join(".kyverno-test/../block-updates-deletes.yaml");
    assert_eq!(
        case["errors"],
        serde_json::json!([{"file": arg(&policy), "line": 34, "column": 7, "message": message}])
    );
}

#[test]
fn audit_runs_loaded_pattern_policies() {
    let Some(root) = palisade_testkit::corpus("admission") else {
        return;
    };
    let dir = root.join("kyverno/best-practices/disallow-default-namespace");
    let policy = dir.join("disallow-default-namespace.yaml");
    let resources = dir.join(".kyverno-test/resource.yaml");
    let doc = json_of(
        1,
        &[
            "admission",
            "audit",
            "--policies",
            arg(&policy),
            "--",
            arg(&resources),
        ],
    );
    let objects: Vec<&str> = doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        ["Pod default/badpod01", "Deployment baddeployment01"]
    );
    assert_eq!(
        doc["violations"][0]["action"], "dryrun",
        "an Audit policy records"
    );
    assert_eq!(doc["coverage"][0]["share"], 1.0);
}

/// `(name, capture, events file)` of every corpus capture.
fn corpus_captures() -> Option<Vec<(String, String, String)>> {
    Some(
        palisade_testkit::captures()?
            .into_iter()
            .map(|c| (c.name, arg(&c.scap).to_owned(), arg(&c.events).to_owned()))
            .collect(),
    )
}

/// `runtime events X.scap --format json` prints, for every capture, the
/// events sysdig printed: same events, and every field it prints has the
/// value sysdig printed.
#[test]
fn runtime_events_prints_what_sysdig_printed() {
    let Some(captures) = corpus_captures() else {
        return;
    };
    let mut fields_compared = 0;
    for (name, scap, events) in &captures {
        let out = palisade(&["--format", "json", "runtime", "events", scap]);
        assert_exit(&out, 0);
        let ours: Vec<Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let theirs: Vec<Value> = std::fs::read_to_string(events)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{name}: events");
        for (o, t) in ours.iter().zip(&theirs) {
            for (field, value) in o.as_object().unwrap() {
                assert_eq!(value, &t[field], "{name} event {}: {field}", o["evt.num"]);
                fields_compared += 1;
            }
        }
    }
    assert!(fields_compared > 50_000, "{fields_compared}");
}

/// A capture is a one-step rule test: `runtime replay --events X.scap`
/// fires the same alerts, on the same events, with the same outputs, as
/// replaying the events sysdig printed from it; `runtime filter` on the
/// capture prints the events the filter matched there.
#[test]
fn replaying_a_capture_fires_what_its_printed_events_fire() {
    let rules = "tests/fixtures/runtime/capture-rules.yaml";
    let Some(captures) = corpus_captures() else {
        return;
    };
    let mut alerts = 0;
    for (name, scap, events) in &captures {
        let replay = |input: &str| {
            let out = palisade(&[
                "--format", "json", "runtime", "replay", "--match", "all", "--rules", rules,
                "--events", input,
            ]);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {out:?}");
            text(&out.stdout)
                .lines()
                .map(|l| {
                    let a: Value = serde_json::from_str(l).unwrap();
                    // The output without its leading time: the alert's
                    // clock, not the event's.
                    let output = a["output"].as_str().unwrap();
                    let output = output.split_once(' ').unwrap().1.to_owned();
                    (a["evt_num"].clone(), a["rule"].clone(), output)
                })
                .collect::<Vec<_>>()
        };
        let from_capture = replay(scap);
        assert_eq!(from_capture, replay(events), "{name}");
        alerts += from_capture.len();
        let filter = |input: &str| {
            let out = palisade(&[
                "runtime",
                "filter",
                "evt.type = open and proc.aname[2] = bash",
                "--events",
                input,
            ]);
            assert_exit(&out, 0);
            text(&out.stdout)
        };
        assert_eq!(filter(scap), filter(events), "{name}: filter");
    }
    assert!(alerts > 20, "only {alerts} alerts");
}
