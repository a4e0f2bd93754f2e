//! A running console driven over HTTPS: the same suite on SQLite and on a
//! real PostgreSQL server (started by the test from Debian's `postgresql`
//! package; skipped with a notice where it is not installed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

mod harness;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::{API, Console, DB, TOKEN, WEB, config, hubble, temp};
use serde_json::{Value, json};

const SHADOW: &str = r#"{"evt.type": "openat", "evt.dir": "<", "evt.is_open_read": true, "fd.name": "/etc/shadow", "proc.name": "cat", "proc.pid": 4130, "container.id": "3ad7b26ded6d"}"#;
const SHELL: &str = r#"{"evt.type": "execve", "evt.dir": "<", "proc.name": "bash", "proc.pid": 4121, "proc.cmdline": "bash -i", "proc.tty": 34816, "container.id": "3ad7b26ded6d", "user.name": "root"}"#;

/// The suite every backend passes.
async fn suite(name: &str, db: &str) {
    let config = config(name, db);
    let console = Console::start(config.clone()).await;

    // Without the token: refused, reads too; the probes need none.
    for (path, status) in [
        ("/api/v1/summary", 401),
        ("/healthz", 200),
        ("/readyz", 200),
    ] {
        let bare = console
            .client
            .get(format!("{}{path}", console.base))
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status().as_u16(), status, "{path}");
    }

    // Dedup: 100 repeats are one alert counted 100 times.
    let batch = vec![SHADOW; 100].join("\n");
    let (status, body) = console.post("/api/v1/events", &batch).await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"accepted": 100})),
        "{body}"
    );
    let alerts = console.alerts("Read sensitive file").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["count"], 100);
    assert_eq!(alerts[0]["priority"], "Error");
    assert_eq!(alerts[0]["routed"], "oncall");
    assert_eq!(alerts[0]["cluster"], "default");
    assert!(alerts[0]["first_seen"].as_str().unwrap().ends_with('Z'));

    // A malformed line refuses the whole batch, with its line; nothing stored.
    let bad = format!("{SHADOW}\n{SHADOW}\n{{\"evt.type\": \n");
    let (status, body) = console.post("/api/v1/events", &bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["line"], 3, "{body}");
    assert_eq!(console.alerts("Read sensitive file").await[0]["count"], 100);

    // Falco's own JSON alert, as http_output sends it, with hostile strings.
    let falco = json!({
        "output": "shell <script>alert(1)</script> \u{1b}[31mred",
        "priority": "Critical",
        "rule": "Falco rule <b>x</b>",
        "time": "2026-12-06T22:00:00.123456789Z",
        "output_fields": {"proc.name": "sh", "container.id": "abc"},
        "source": "syscall",
        "tags": ["container"],
        "hostname": "node-1"
    });
    let (status, body) = console
        .post("/api/v1/falco?cluster=edge-1", &falco.to_string())
        .await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"accepted": 1})),
        "{body}"
    );
    let stored = console.alerts("Falco rule <b>x</b>").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["output"], falco["output"]);
    assert_eq!(stored[0]["cluster"], "edge-1");
    assert_eq!(stored[0]["priority"], "Critical");
    assert_eq!(stored[0]["first_seen"], "2026-12-06T22:00:00.123Z");
    let (status, _) = console
        .post(
            "/api/v1/falco",
            r#"{"output": "x", "priority": "Loud", "rule": "r"}"#,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = console
        .post(
            "/api/v1/falco",
            r#"{"output": 1, "priority": "Error", "rule": "r"}"#,
        )
        .await;
    assert_eq!(status, 400);

    // Disable a rule: its events stop alerting.
    let (status, body) = console
        .put(
            "/api/v1/rules/Terminal%20shell%20in%20container",
            r#"{"enabled": false}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = console.post("/api/v1/events", SHELL).await;
    assert_eq!(status, 200);
    let shells = console.alerts("Terminal shell in container").await;
    assert!(shells.is_empty(), "{shells:?}");
    let (status, _) = console
        .put("/api/v1/rules/No%20such%20rule", r#"{"enabled": false}"#)
        .await;
    assert_eq!(status, 404);
    let (status, _) = console
        .put(
            "/api/v1/rules/Read%20sensitive%20file",
            r#"{"enabled": "no"}"#,
        )
        .await;
    assert_eq!(status, 400);

    // An exception for a known-good pattern: `cat` reading the file.
    let (status, body) = console
        .post(
            "/api/v1/rules/Read%20sensitive%20file/exceptions",
            r#"{"fields": ["proc.name"], "comps": ["="], "values": [["cat"]]}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = console.post("/api/v1/events", SHADOW).await;
    assert_eq!(status, 200);
    assert_eq!(console.alerts("Read sensitive file").await[0]["count"], 100);
    let (status, _) = console
        .post(
            "/api/v1/rules/Read%20sensitive%20file/exceptions",
            r#"{"fields": ["no.such.field"], "values": [["x"]]}"#,
        )
        .await;
    assert_eq!(status, 400);
    console
        .text_holds(
            "/api/v1/exceptions/export",
            &[
                "- rule: \"Read sensitive file\"",
                "override:\n    exceptions: append",
            ],
        )
        .await;

    // The active policy set as manifests, exceptions included.
    let (status, list) = console.get("/api/v1/policies/export").await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    for kind in [
        "ConstraintTemplate",
        "K8sRequiredLabels",
        "ClusterPolicy",
        "NetworkPolicy",
        "ConfigMap",
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert!(!kinds.contains(&"Deployment"), "{kinds:?}");
    let configmap = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "ConfigMap")
        .unwrap();
    assert!(
        configmap["data"]["zz-console-exceptions.yaml"]
            .as_str()
            .unwrap()
            .contains("exceptions: append")
    );

    // Summary, posture, coverage.
    let (status, summary) = console.get("/api/v1/summary").await;
    assert_eq!(status, 200);
    assert_eq!(summary["alerts"]["total"], 2, "{summary}");
    assert_eq!(summary["alerts"]["oncall"], 2, "{summary}");
    assert!(
        summary["findings"]["admission"]["error"].as_i64().unwrap() > 0,
        "{summary}"
    );
    let (_, posture) = console.get("/api/v1/posture").await;
    assert_eq!(posture["pillars"].as_array().unwrap().len(), 4);
    let alerts_q = posture["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "alerts")
        .unwrap();
    assert_eq!(alerts_q["source"], "measured");
    let (_, coverage) = console.get("/api/v1/coverage").await;
    assert!(
        coverage["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["policy"] == "disallow-privileged")
    );
    let (_, findings) = console
        .get("/api/v1/findings?layer=admission&limit=1")
        .await;
    assert_eq!(findings["items"].as_array().unwrap().len(), 1);
    assert!(findings["next"].is_string());
    let (status, _) = console.get("/api/v1/findings?colour=red").await;
    assert_eq!(status, 400);

    // A huge body is refused before it is read whole.
    let huge = "x".repeat(17 << 20);
    // (on its own connection: the server closes it without reading the rest)
    let refused = console
        .client
        .post(format!("{}/api/v1/events", console.base))
        .bearer_auth(TOKEN)
        .header("connection", "close")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 413);
    console
        .text_holds(
            "/metrics",
            &[
                "palisade_console_refused_total{reason=\"too_large\"} 1",
                "palisade_console_refused_total{reason=\"bad_request\"}",
            ],
        )
        .await;

    admission_decisions(&console).await;
    flow_findings(&console).await;
    tags(&console).await;

    // Restart on the same store: the disabled rule and the exception stay.
    console.stop().await;
    let console = Console::start(config).await;
    let (_, kept) = console.get("/api/v1/decisions?cluster=edge-1").await;
    assert_eq!(kept["items"].as_array().unwrap().len(), 3, "{kept}");
    let shell = console.rule("Terminal shell in container").await;
    assert_eq!(shell["enabled"], false, "{shell}");
    let kept = console.tag("software_mgmt").await;
    assert_eq!(kept["enabled"], false, "{kept}");
    let (status, _) = console
        .post("/api/v1/events", &format!("{SHELL}\n{SHADOW}"))
        .await;
    assert_eq!(status, 200);
    let shells = console.alerts("Terminal shell in container").await;
    assert!(shells.is_empty(), "{shells:?}");
    assert_eq!(console.alerts("Read sensitive file").await[0]["count"], 100);
    console.stop().await;
}

/// Flows judged against the example policies, stored as network findings:
/// repeats counted, listed by `/flows` and `/findings` (paged across the
/// audit's and the flows'), counted in `/summary` of every cluster and of one.
async fn flow_findings(console: &Console) {
    let (_, before) = console.get("/api/v1/summary").await;
    let network_errors = before["findings"]["network"]["error"].as_i64().unwrap_or(0);
    let web_db = hubble("FORWARDED", "INGRESS", WEB, DB, 5432);
    let world = json!({"flow": {
        "verdict": "FORWARDED", "traffic_direction": "EGRESS",
        "l4": {"TCP": {"destination_port": 443}},
        "source": {"namespace": "data", "labels": ["k8s:app=db"]},
        "destination": {"labels": ["reserved:world"]},
        "IP": {"source": "10.0.0.5", "destination": "203.0.113.7"},
    }});
    let reply = json!({"flow": {
        "verdict": "FORWARDED", "traffic_direction": "INGRESS", "is_reply": true,
        "l4": {"TCP": {"destination_port": 5432}},
        "source": {"namespace": "data", "labels": ["k8s:app=db"]},
        "destination": {"namespace": "shop", "labels": ["k8s:app=api", "k8s:tier=backend"]},
    }});
    let ghost = hubble("FORWARDED", "INGRESS", &["billing", "app=ghost"], DB, 5432);
    let body = [
        web_db.clone(),
        web_db.clone(),
        web_db,
        hubble("DROPPED", "INGRESS", API, DB, 5432),
        hubble("FORWARDED", "INGRESS", API, DB, 5432),
        world.to_string(),
        reply.to_string(),
        ghost,
    ]
    .join("\n");
    let (status, answer) = console.post("/api/v1/flows?cluster=edge-1", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 8, "{answer}");
    assert_eq!(answer["judged"], 6, "{answer}");
    assert_eq!(answer["findings"]["drift"], 5, "{answer}");
    let problems = answer["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{answer}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .starts_with("body:8:1: the source"),
        "{answer}"
    );

    // One row per flow, repeats counted; the rules that decided come along.
    let (status, flows) = console.get("/api/v1/flows?cluster=edge-1").await;
    assert_eq!(status, 200, "{flows}");
    let items = flows["items"].as_array().unwrap();
    let by = |from: &str, to: &str| {
        items
            .iter()
            .find(|f| f["subject"]["from"] == from && f["subject"]["to"] == to)
            .unwrap_or_else(|| panic!("no flow {from} => {to}: {flows}"))
    };
    assert_eq!(items.len(), 3, "{flows}");
    let web = by("shop/web", "data/db");
    assert_eq!(web["count"], 3, "{web}");
    assert_eq!(web["layer"], "network");
    assert_eq!(web["severity"], "error");
    assert_eq!(web["policy"], "network/flow-drift");
    assert_eq!(web["cluster"], "edge-1");
    assert_eq!(web["flow"]["observed"], "FORWARDED");
    assert_eq!(web["flow"]["verdict"], "denied");
    assert!(
        web["flow"]["decided_by"]
            .to_string()
            .contains("default-deny")
            || web["flow"]["decided_by"]
                .to_string()
                .contains("db-from-api"),
        "{web}"
    );
    assert!(
        web["message"].as_str().unwrap().contains("forwarded"),
        "{web}"
    );
    let api = by("shop/api", "data/db");
    assert_eq!(
        (api["severity"].clone(), api["count"].clone()),
        (json!("warning"), json!(1)),
        "{api}"
    );
    assert_eq!(api["flow"]["observed"], "DROPPED");
    let out = by("data/db", "203.0.113.7");
    assert_eq!(out["severity"], "error", "{out}");
    // Posting the same again counts, adds no row.
    let (status, _) = console
        .post(
            "/api/v1/flows?cluster=edge-1",
            &hubble("FORWARDED", "INGRESS", WEB, DB, 5432),
        )
        .await;
    assert_eq!(status, 200);
    let (_, again) = console
        .get("/api/v1/flows?cluster=edge-1&severity=error")
        .await;
    let again = again["items"].as_array().unwrap();
    assert_eq!(again.len(), 2, "{again:?}");
    assert_eq!(
        by("shop/web", "data/db")["count"],
        3,
        "the list above is a snapshot"
    );
    assert!(again.iter().any(|f| f["count"] == 4), "{again:?}");
    let (_, other) = console.get("/api/v1/flows?cluster=default").await;
    assert_eq!(other["items"], json!([]), "{other}");

    // `/findings`: the audit's network findings, then the flows', paged.
    let (_, audit) = console
        .get("/api/v1/findings?layer=network&cluster=default&limit=1000")
        .await;
    let audit_n = audit["items"].as_array().unwrap().len();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/findings?layer=network&limit=2&cursor={c}"),
            None => "/api/v1/findings?layer=network&limit=2".to_owned(),
        };
        let (status, page) = console.get(&path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(seen.len() < 1000, "paging does not end");
    }
    assert_eq!(seen.len(), audit_n + 3, "{seen:?}");
    assert_eq!(seen.iter().filter(|f| f["flow"].is_object()).count(), 3);
    let (_, edge) = console.get("/api/v1/findings?cluster=edge-1").await;
    assert_eq!(edge["items"].as_array().unwrap().len(), 3, "{edge}");
    let (status, _) = console.get("/api/v1/findings?cursor=flow:x").await;
    assert_eq!(status, 400);

    // The summary counts them, overall and for the cluster.
    let (_, summary) = console.get("/api/v1/summary").await;
    assert_eq!(
        summary["findings"]["network"]["error"].as_i64().unwrap(),
        network_errors + 2,
        "{summary}"
    );
    let (_, edge) = console.get("/api/v1/summary?cluster=edge-1").await;
    assert_eq!(edge["flows"]["records"], 9, "{edge}");
    assert_eq!(edge["flows"]["drift"], 6, "{edge}");
    assert_eq!(edge["flows"]["unknown-endpoints"], 1, "{edge}");
    assert_eq!(
        edge["findings"],
        json!({"network": {"error": 2, "warning": 1}}),
        "{edge}"
    );
    assert_eq!(edge["alerts"]["total"], 1, "{edge}");
    let (status, _) = console.get("/api/v1/summary?cluster=a%20b").await;
    assert_eq!(status, 400);

    // A bad line refuses the batch: nothing more is stored or counted.
    let bad = format!(
        "{}\n{{\"flow\": ",
        hubble("FORWARDED", "INGRESS", WEB, DB, 5432)
    );
    let (status, refused) = console.post("/api/v1/flows?cluster=edge-1", &bad).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["line"], 2, "{refused}");
    let (_, after) = console.get("/api/v1/summary?cluster=edge-1").await;
    assert_eq!(after["flows"], edge["flows"]);
    console
        .text_holds("/metrics", &["palisade_console_flow_records_total 9"])
        .await;
}

/// Tags switched off and on: the rules that carry a tag that is off do not
/// alert (events and Falco alerts); unknown tags are 404.
async fn tags(console: &Console) {
    let container = console.tag("container").await;
    assert_eq!(
        container,
        json!({"name": "container", "enabled": true, "rules": 2})
    );
    let (status, body) = console
        .put("/api/v1/tags/software_mgmt", r#"{"enabled": false}"#)
        .await;
    assert_eq!(
        (status, body.clone()),
        (
            200,
            json!({"name": "software_mgmt", "enabled": false, "rules": 1})
        ),
        "{body}"
    );
    assert!(console.apt("/api/v1/events?cluster=tags").await.is_empty());
    let falco = |rule: &str| {
        json!({"output": "x", "priority": "Notice", "rule": rule, "tags": ["software_mgmt"]})
            .to_string()
    };
    let (status, _) = console
        .post("/api/v1/falco?cluster=tags", &falco("Falco apt"))
        .await;
    assert_eq!(status, 200);
    assert!(console.alerts("Falco apt").await.is_empty());
    // On again for events: the next one alerts; off again to see it kept.
    let (status, _) = console
        .put("/api/v1/tags/software_mgmt", r#"{"enabled": true}"#)
        .await;
    assert_eq!(status, 200);
    assert_eq!(console.apt("/api/v1/events?cluster=tags").await.len(), 1);
    let (status, _) = console
        .put("/api/v1/tags/software_mgmt", r#"{"enabled": false}"#)
        .await;
    assert_eq!(status, 200);
    let (status, _) = console
        .put("/api/v1/tags/no_such_tag", r#"{"enabled": false}"#)
        .await;
    assert_eq!(status, 404);
    let (status, _) = console
        .put("/api/v1/tags/container", r#"{"enabled": "no"}"#)
        .await;
    assert_eq!(status, 400);
}

/// One decision as the webhook forwards it.
fn decision(uid: &str, namespace: &str, verdict: &str, policies: Value) -> String {
    json!({
        "time": "2026-12-07T01:00:00Z",
        "uid": uid,
        "operation": "CREATE",
        "kind": "Pod",
        "namespace": namespace,
        "name": format!("pod-{uid}"),
        "allowed": verdict == "allowed",
        "verdict": verdict,
        "policies": policies,
    })
    .to_string()
}

/// Decisions forwarded by webhooks: stored per cluster, read back with
/// filters and paging, counted in the summary; a bad line stores nothing.
async fn admission_decisions(console: &Console) {
    let denied = json!([{"policy": "psp-privileged-container", "action": "deny",
                          "message": "Privileged container is not allowed: <b>nginx</b>"}]);
    let warned =
        json!([{"policy": "disallow-latest-tag", "action": "warn", "message": "use a tag"}]);
    let batch = [
        decision("a1", "shop", "denied", denied.clone()),
        decision("a2", "shop", "allowed", warned),
        decision("a3", "kube-public", "allowed", json!([])),
    ]
    .join("\n");
    let (status, body) = console
        .post("/api/v1/admission?cluster=edge-1", &batch)
        .await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"accepted": 3})),
        "{body}"
    );
    let other = decision("b1", "shop", "denied", denied);
    assert_eq!(
        console
            .post("/api/v1/admission?cluster=edge-2", &other)
            .await
            .0,
        200
    );

    // `field` of every decision `GET /api/v1/decisions?query` lists.
    let listed = async |query: &str, field: &str| -> Vec<String> {
        let (status, body) = console.get(&format!("/api/v1/decisions?{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[field].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed("cluster=edge-1", "uid").await, ["a1", "a2", "a3"]);
    let (_, all) = console.get("/api/v1/decisions?cluster=edge-1").await;
    let first = &all["items"][0];
    assert_eq!(
        (&first["cluster"], &first["namespace"], &first["allowed"]),
        (&json!("edge-1"), &json!("shop"), &json!(false))
    );
    assert_eq!(first["verdict"], "denied");
    assert_eq!(first["time"], "2026-12-07T01:00:00Z");
    assert_eq!(
        first["policies"][0]["message"],
        "Privileged container is not allowed: <b>nginx</b>"
    );
    assert_eq!(
        listed("policy=psp-privileged-container", "cluster").await,
        ["edge-1", "edge-2"]
    );
    assert_eq!(
        listed("verdict=allowed&namespace=shop", "uid").await,
        ["a2"]
    );
    let (_, page) = console.get("/api/v1/decisions?limit=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next"].as_str().unwrap();
    assert_eq!(
        listed(&format!("limit=2&cursor={cursor}"), "uid").await,
        ["a3", "b1"]
    );
    assert!(listed("since=2026-12-07T01:00:01Z", "uid").await.is_empty());
    assert_eq!(console.get("/api/v1/decisions?verdict=maybe").await.0, 400);

    // A bad line refuses the batch whole: the good line before it is not stored.
    let bad = format!(
        "{}\n{{\"uid\": 1}}\n",
        decision("c1", "shop", "allowed", json!([]))
    );
    let (status, body) = console.post("/api/v1/admission", &bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["line"], 2, "{body}");
    assert!(listed("cluster=default", "uid").await.is_empty());

    let (_, summary) = console.get("/api/v1/summary").await;
    assert_eq!(
        summary["admission"],
        json!({"total": 4, "verdicts": {"allowed": 2, "denied": 2, "error": 0, "timeout": 0}}),
        "{summary}"
    );
    console
        .text_holds(
            "/metrics",
            &["palisade_console_admission_decisions_total 4"],
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_on_sqlite() {
    let dir = temp("sqlite-db");
    suite("sqlite", &dir.join("palisade.db").display().to_string()).await;
}

/// A PostgreSQL server on a temporary data directory and a loopback port.
struct Postgres {
    data: PathBuf,
    bin: PathBuf,
}

impl Postgres {
    fn start() -> Option<(Postgres, String)> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())?;
        let data = temp("pgdata");
        let run = |args: &[&str]| {
            let mut command = if nix_is_root() {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c
            } else {
                std::process::Command::new(args[0])
            };
            if nix_is_root() {
                command.args(args);
            } else {
                command.args(&args[1..]);
            }
            let out = command.output().ok()?;
            assert!(
                out.status.success(),
                "{}: {}",
                args[0],
                String::from_utf8_lossy(&out.stderr)
            );
            Some(())
        };
        if nix_is_root() {
            std::process::Command::new("chown")
                .args(["-R", "postgres", &data.display().to_string()])
                .status()
                .ok()?;
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
            l.local_addr().ok()?.port()
        };
        let initdb = bin.join("initdb").display().to_string();
        run(&[
            &initdb,
            "-D",
            &data.join("db").display().to_string(),
            "-U",
            "palisade",
            "--auth=trust",
        ])?;
        let pg_ctl = bin.join("pg_ctl").display().to_string();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {}",
            data.display()
        );
        run(&[
            &pg_ctl,
            "-D",
            &data.join("db").display().to_string(),
            "-o",
            &options,
            "-l",
            &data.join("log").display().to_string(),
            "-w",
            "start",
        ])?;
        Some((
            Postgres { data, bin },
            format!("postgres://palisade@127.0.0.1:{port}/postgres"),
        ))
    }
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let db = self.data.join("db").display().to_string();
        let mut command = if nix_is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--", &pg_ctl]);
            c
        } else {
            std::process::Command::new(&pg_ctl)
        };
        let _ = command.args(["-D", &db, "-m", "fast", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_on_postgresql() {
    let Some((_server, url)) = Postgres::start() else {
        eprintln!(
            "NOTICE: PostgreSQL (Debian's `postgresql` package) is not installed: the PostgreSQL run of the console suite is skipped"
        );
        return;
    };
    suite("postgres", &url).await;
}

/// An HTTP sink that records what it is sent.
async fn sink() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), seen)
}

async fn wait_for(seen: &Arc<Mutex<Vec<Value>>>, n: usize) {
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn critical_and_error_reach_oncall_once_per_window_warning_never() {
    let (url, seen) = sink().await;
    let dir = temp("routing-db");
    let mut config = config("routing", &dir.join("palisade.db").display().to_string());
    config.oncall_url = Some(url);
    config.dedup_window = Duration::from_millis(1500);
    let console = Console::start(config).await;
    let warning = r#"{"output": "w", "priority": "Warning", "rule": "warn rule"}"#;
    let error = r#"{"output": "e", "priority": "Error", "rule": "error rule"}"#;
    let critical = r#"{"output": "c", "priority": "Critical", "rule": "critical rule"}"#;
    for _ in 0..3 {
        for body in [warning, error, critical] {
            assert_eq!(console.post("/api/v1/falco", body).await.0, 200);
        }
    }
    wait_for(&seen, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rules = |seen: &Arc<Mutex<Vec<Value>>>| {
        let mut r: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap_or("").to_owned())
            .collect();
        r.sort();
        r
    };
    assert_eq!(rules(&seen), ["critical rule", "error rule"]);
    // After the window: once more each; the warning still never.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    for body in [warning, error, critical] {
        assert_eq!(console.post("/api/v1/falco", body).await.0, 200);
    }
    wait_for(&seen, 4).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rules(&seen),
        ["critical rule", "critical rule", "error rule", "error rule"]
    );
    let warn = console.alerts("warn rule").await;
    assert_eq!(
        (warn[0]["count"].as_i64(), warn[0]["routed"].as_str()),
        (Some(4), Some("review"))
    );
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_without_restart() {
    let dir = temp("renew-db");
    let mut config = config("renew", &dir.join("palisade.db").display().to_string());
    config.reload_interval = Duration::from_millis(200);
    let state = config.state_dir.clone();
    let console = Console::start(config).await;
    // A new pair from another CA, written where the console reads its own.
    let renewed = palisade_https::dev_cert::generate(&["localhost".to_owned()], 30).unwrap();
    std::fs::write(state.join("console-tls.crt"), &renewed.server_cert).unwrap();
    std::fs::write(state.join("console-tls.key"), &renewed.server_key).unwrap();
    let trusting_the_new_ca = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(renewed.ca_cert.as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut served = false;
    for _ in 0..100 {
        let answer = trusting_the_new_ca
            .get(format!("{}/healthz", console.base))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status() == 200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the renewed certificate is not served");
    console.stop().await;
}

/// With Otterize `ClientIntents` among the inputs, flows are judged
/// against the declaration too: a declared path that was dropped, an
/// allowed path nobody declared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_are_judged_against_the_declared_intents() {
    let dir = temp("console-intents-db");
    let mut config = config(
        "console-intents",
        &dir.join("console.db").display().to_string(),
    );
    let intents = config.state_dir.join("intents");
    std::fs::create_dir_all(&intents).unwrap();
    // The API declares the database, on every port.
    std::fs::write(
        intents.join("api.yaml"),
        "apiVersion: k8s.otterize.com/v2beta1\nkind: ClientIntents\nmetadata: {name: api, namespace: shop}\nspec:\n  workload: {name: api}\n  targets: [{kubernetes: {name: db.data}}]\n",
    )
    .unwrap();
    config.inventory = Some(intents);
    let console = Console::start(config).await;
    let body = [
        // Declared, allowed, forwarded: nothing to say.
        hubble("FORWARDED", "INGRESS", API, DB, 5432),
        // Declared (every port), denied (5432 only), dropped.
        hubble("DROPPED", "INGRESS", API, DB, 8080),
        // Allowed (the shop namespace has no policies), declared by nobody.
        hubble("FORWARDED", "INGRESS", WEB, API, 9090),
    ]
    .join("\n");
    let (status, answer) = console.post("/api/v1/flows", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["findings"],
        json!({"drift": 0, "declared-but-dropped": 1, "undeclared": 1}),
        "{answer}"
    );
    let (_, flows) = console.get("/api/v1/flows").await;
    let items = flows["items"].as_array().unwrap();
    let by = |policy: &str| {
        items
            .iter()
            .find(|f| f["policy"] == policy)
            .unwrap_or_else(|| panic!("no {policy}: {flows}"))
    };
    let dropped = by("network/flow-declared-but-dropped");
    assert_eq!(dropped["severity"], "warning");
    assert_eq!(dropped["flow"]["declared"], true);
    assert_eq!(dropped["subject"]["port"], 8080);
    let undeclared = by("network/flow-undeclared");
    assert_eq!(undeclared["severity"], "notice");
    assert_eq!(undeclared["flow"]["declared"], false);
    assert_eq!(undeclared["subject"]["from"], "shop/web");
    let (_, only) = console
        .get("/api/v1/flows?policy=network/flow-undeclared")
        .await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1, "{only}");
    console.stop().await;
}
