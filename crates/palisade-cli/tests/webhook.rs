//! The admission webhook end to end: the real `palisade` binary serving on
//! loopback with a certificate made by `palisade admission cert`, called
//! over TLS by a real HTTP client that trusts only the generated CA.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use palisade_testkit::command::{arg, assert_exit};
use serde_json::{Value as Json, json};
use tempfile::TempDir;

/// The host name in the test certificate (resolved to the server's address
/// by the client, so no DNS is involved).
const HOST: &str = "palisade.test";

/// The Gatekeeper library's privileged-container template and its sample
/// constraint, copied into `dir` (the test's own temporary directory).
fn write_privileged_policy(corpus: &Path, dir: &Path) {
    let base = corpus.join("gatekeeper/pod-security-policy/privileged-containers");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(base.join("template.yaml"), dir.join("template.yaml")).unwrap();
    std::fs::copy(
        base.join("samples/psp-privileged-container/constraint.yaml"),
        dir.join("constraint.yaml"),
    )
    .unwrap();
}

/// A fresh directory (removed when the test ends) holding a certificate
/// for [`HOST`] in `certs/`.
fn temp_with_certs(name: &str) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("palisade-webhook-{name}-"))
        .tempdir()
        .unwrap();
    let certs = tmp.path().join("certs");
    make_cert(&certs);
    (tmp, certs)
}

/// Serves the policies under `policies`, reloaded every 200 ms.
fn serve_reloading(certs: &Path, policies: &Path) -> Server {
    Server::start(
        certs,
        &[
            "--policies",
            policies.to_str().unwrap(),
            "--reload-interval",
            "200ms",
        ],
    )
}

/// Adds the `shop` namespace to the sample constraint's exclusions; the
/// text it had before.
fn exempt_shop(constraint: &Path) -> String {
    let text = std::fs::read_to_string(constraint).unwrap();
    let exempted = text.replace(
        "excludedNamespaces: [\"kube-system\"]",
        "excludedNamespaces: [\"kube-system\", \"shop\"]",
    );
    assert_ne!(text, exempted, "sample constraint changed shape");
    std::fs::write(constraint, exempted).unwrap();
    text
}

/// Runs `palisade admission cert` into `dir`.
fn make_cert(dir: &Path) {
    let output = palisade_testkit::command::run(
        env!("CARGO_BIN_EXE_palisade"),
        &["admission", "cert", "--dns", HOST, "--out", arg(dir)],
    );
    assert_exit(&output, 0);
    for file in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(dir.join(file).is_file(), "{file} not written");
    }
}

/// `palisade [global] admission serve` on a loopback port with the
/// certificate in `certs`.
fn serve_command(global: &[&str], certs: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_palisade"));
    command
        .args(global)
        .args([
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
        ])
        .arg(certs.join("tls.crt"))
        .arg("--tls-key")
        .arg(certs.join("tls.key"));
    command
}

/// A running `palisade admission serve`, killed when dropped, with a
/// client trusting only its CA.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    client: reqwest::blocking::Client,
}

impl Server {
    /// Starts the server with the certificate in `certs` and `extra`
    /// arguments, and waits until it is ready.
    fn start(certs: &Path, extra: &[&str]) -> Server {
        Server::start_with(&[], certs, extra)
    }

    /// Like [`Server::start`], with global options before the command.
    fn start_with(global: &[&str], certs: &Path, extra: &[&str]) -> Server {
        let mut command = serve_command(global, certs);
        command.args(extra);
        Server::launch(command, certs, "/readyz")
    }

    /// Runs `command` (a server that prints `listening on https://ADDR`
    /// first), with a client trusting the CA in `certs`, and waits until
    /// `ready` answers 200.
    fn launch(mut command: Command, certs: &Path, ready: &str) -> Server {
        let mut child = command
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(&mut err);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server printed no address; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let addr = line
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("unexpected first line `{line}`"))
            .parse()
            .unwrap();
        let client = client_trusting(&std::fs::read(certs.join("ca.crt")).unwrap(), addr);
        let server = Server {
            child,
            addr,
            stderr,
            client,
        };
        server.wait_for("readiness", || {
            server
                .client
                .get(server.url(ready))
                .send()
                .is_ok_and(|r| r.status() == 200)
        });
        server
    }

    /// A client trusting only the CA in `certs`.
    fn client(&self, certs: &Path) -> reqwest::blocking::Client {
        client_trusting(&std::fs::read(certs.join("ca.crt")).unwrap(), self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("https://{HOST}:{}{path}", self.addr.port())
    }

    fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// POSTs `body` to `/validate`: the status and the body.
    fn post(&self, body: impl Into<reqwest::blocking::Body>) -> (u16, String) {
        self.post_to("/validate", body)
    }

    /// POSTs `body` to `path`: the status and the body.
    fn post_to(&self, path: &str, body: impl Into<reqwest::blocking::Body>) -> (u16, String) {
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    }

    /// POSTs a review to `/validate` and returns the `response` member.
    fn validate(&self, review: &Json) -> Json {
        self.review_at("/validate", review)
    }

    /// POSTs a review to `path` and returns the `response` member.
    fn review_at(&self, path: &str, review: &Json) -> Json {
        let (status, text) = self.post_to(path, review.to_string());
        assert_eq!(status, 200, "server log:\n{}", self.logs());
        let body: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(body["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(body["kind"], "AdmissionReview");
        body["response"].clone()
    }

    /// GETs `path` with the server's client: the status and the body.
    fn get(&self, path: &str) -> (u16, String) {
        get_text(self, &self.client, path)
    }

    /// The value of a sample of `/metrics`, e.g. `name{labels}`.
    fn metric(&self, sample: &str) -> Option<f64> {
        metric(&self.get("/metrics").1, sample)
    }

    /// Polls `check` every 100 ms for up to 30 s.
    fn wait_for(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if check() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {what}; server log:\n{}", self.logs());
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client trusting only the CA `ca` (PEM), reaching [`HOST`] at `addr`.
fn client_trusting(ca: &[u8], addr: SocketAddr) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca).unwrap())
        .resolve(HOST, addr)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// An AdmissionReview v1 for a CREATE of `pod` in namespace `shop`.
fn review(uid: &str, pod: Json) -> Json {
    review_in(uid, "shop", pod)
}

fn pod(name: &str, privileged: bool) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop",
                     "labels": {"owner": "team-a", "env": "prod", "app": name}},
        "spec": {"containers": [{
            "name": "nginx",
            "image": "registry.k8s.io/nginx:1.27",
            "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
            "securityContext": {"privileged": privileged},
        }]}
    })
}

/// Asserts `response` denies with HTTP status `code`; its message.
fn denial(response: &Json, code: u16) -> &str {
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(response["status"]["code"], code, "{response}");
    response["status"]["message"].as_str().unwrap()
}

fn get_text(server: &Server, client: &reqwest::blocking::Client, path: &str) -> (u16, String) {
    let response = client.get(server.url(path)).send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

/// The value of a metric sample line, e.g. `name{labels}`.
fn metric(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn gatekeeper_policy_denies_privileged_allows_compliant_and_reports() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("decide");
    let policies = tmp.path().join("policies");
    write_privileged_policy(&corpus, &policies);
    let server = Server::start(&certs, &["--policies", policies.to_str().unwrap()]);

    let denied = server.validate(&review("uid-denied-1", pod("root", true)));
    assert_eq!(denied["uid"], "uid-denied-1");
    let message = denial(&denied, 403);
    assert!(
        message.starts_with(
            "[psp-privileged-container] Privileged container is not allowed: nginx, securityContext.privileged: true"
        ),
        "{message}"
    );

    let allowed = server.validate(&review("uid-allowed-2", pod("web", false)));
    assert_eq!(allowed["uid"], "uid-allowed-2");
    assert_eq!(allowed["allowed"], true);
    assert!(allowed.get("status").is_none(), "{allowed}");

    // A dry-run request is answered like any other, and marked.
    let mut dry = review("uid-dry-3", pod("root", true));
    dry["request"]["dryRun"] = json!(true);
    let dry = server.validate(&dry);
    assert_eq!(dry["uid"], "uid-dry-3");
    assert_eq!(dry["allowed"], false);
    assert_eq!(dry["auditAnnotations"]["dry-run"], "true");

    assert_eq!(server.get("/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(
        server.get("/readyz"),
        (200, "ready: policy set 1 (1 policies)\n".to_owned())
    );
    let (status, metrics) = server.get("/metrics");
    assert_eq!(status, 200);
    let requests = "palisade_webhook_requests_total";
    assert_eq!(
        metric(
            &metrics,
            &format!("{requests}{{verdict=\"denied\",dry_run=\"false\"}}")
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            &format!("{requests}{{verdict=\"denied\",dry_run=\"true\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &metrics,
            &format!("{requests}{{verdict=\"allowed\",dry_run=\"false\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &metrics,
            "palisade_webhook_policy_verdicts_total{policy=\"psp-privileged-container\",verdict=\"deny\"}"
        ),
        Some(2.0)
    );
    assert_eq!(
        metric(&metrics, "palisade_webhook_request_duration_seconds_count"),
        Some(3.0)
    );
    assert_eq!(
        metric(&metrics, "palisade_webhook_policy_set_generation"),
        Some(1.0)
    );
    assert_eq!(metric(&metrics, "palisade_webhook_policies"), Some(1.0));
    assert_eq!(
        metric(&metrics, "palisade_webhook_policy_load_errors_total"),
        Some(0.0)
    );

    // One log line per decision, with the fields operators filter on.
    server.wait_for("the decision lines", || {
        server.logs().contains("uid=uid-dry-3")
    });
    let logs = server.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("uid=uid-denied-1"))
        .unwrap_or_else(|| panic!("no decision line:\n{logs}"));
    for field in [
        "kind=Pod",
        "namespace=shop",
        "name=root",
        "verdict=\"denied\"",
        "policy=psp-privileged-container",
        "latency_us=",
    ] {
        assert!(line.contains(field), "`{field}` missing in `{line}`");
    }
    assert!(
        logs.lines()
            .any(|l| l.contains("uid=uid-dry-3") && l.contains("dry_run=true"))
    );
}

#[test]
fn malformed_body_gets_400_and_oversized_body_413() {
    let (_tmp, certs) = temp_with_certs("bodies");
    let server = Server::start(&certs, &["--builtin", "--max-body-bytes", "65536"]);
    let post = |body: Vec<u8>| server.post(body);
    let (status, text) = post(b"{\"apiVersion\": ".to_vec());
    assert_eq!(status, 400);
    assert!(
        text.starts_with("invalid AdmissionReview: not valid JSON: EOF while parsing"),
        "{text}"
    );
    let (status, text) = post(pod("web", false).to_string().into_bytes());
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "invalid AdmissionReview: `kind` is not `AdmissionReview`\n"
    );

    let mut big = review("uid-big", pod("big", false));
    big["request"]["object"]["metadata"]["annotations"] =
        json!({"padding": "x".repeat(100 * 1024)});
    let (status, text) = post(big.to_string().into_bytes());
    assert_eq!(status, 413);
    assert_eq!(
        text,
        "request body exceeds the limit of 65536 bytes (`--max-body-bytes`)\n"
    );
    // The same body sent in chunks, without a declared length, is counted
    // as it arrives.
    let (status, text) = server.post(reqwest::blocking::Body::new(std::io::Cursor::new(
        big.to_string().into_bytes(),
    )));
    assert_eq!(status, 413);
    assert_eq!(
        text,
        "request body exceeds the limit of 65536 bytes (`--max-body-bytes`)\n"
    );

    // The server goes on serving; the built-in pack words its own messages.
    let denied = server.validate(&review("uid-after", pod("root", true)));
    assert_eq!(denied["uid"], "uid-after");
    assert_eq!(denied["allowed"], false);
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("[no-privileged-containers] Privileged container is not allowed: nginx"),
        "{message}"
    );
    let metrics = server.get("/metrics").1;
    assert_eq!(
        metric(
            &metrics,
            "palisade_webhook_requests_total{verdict=\"invalid\",dry_run=\"false\"}"
        ),
        Some(4.0),
        "{metrics}"
    );
    assert_eq!(server.get("/nowhere").0, 404, "unknown paths are not found");
}

#[test]
fn policy_changes_are_picked_up_and_broken_sets_keep_the_old_one() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("reload");
    let policies = tmp.path().join("policies");
    write_privileged_policy(&corpus, &policies);
    let server = serve_reloading(&certs, &policies);
    let privileged = review("uid-reload", pod("root", true));
    assert_eq!(server.validate(&privileged)["allowed"], false);

    // Exempt the namespace: the same request is now allowed, no restart.
    let constraint = policies.join("constraint.yaml");
    let text = exempt_shop(&constraint);
    server.wait_for("policy set 2", || {
        server.get("/readyz").1 == "ready: policy set 2 (1 policies)\n"
    });
    assert_eq!(server.validate(&privileged)["allowed"], true);

    // A broken file: the whole new set is refused, set 2 keeps serving.
    std::fs::write(
        policies.join("broken.yaml"),
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sNoSuchTemplate\nmetadata:\n  name: orphan\n",
    )
    .unwrap();
    server.wait_for("the load error to be counted and logged", || {
        server
            .metric("palisade_webhook_policy_load_errors_total")
            .is_some_and(|v| v >= 1.0)
            && server.logs().contains("still serving the previous set")
    });
    let metrics = server.get("/metrics").1;
    assert_eq!(
        metric(&metrics, "palisade_webhook_policy_set_generation"),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &metrics,
            "palisade_webhook_policy_loads_total{result=\"error\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(server.validate(&privileged)["allowed"], true);
    let logs = server.logs();
    assert!(
        logs.contains("broken.yaml") && logs.contains("K8sNoSuchTemplate"),
        "the load error names the file and kind:\n{logs}"
    );
    assert!(logs.contains("still serving the previous set"));

    // Fixing it (here: removing it and restoring the constraint) loads set 3.
    std::fs::remove_file(policies.join("broken.yaml")).unwrap();
    std::fs::write(&constraint, text).unwrap();
    server.wait_for("policy set 3", || {
        server.get("/readyz").1 == "ready: policy set 3 (1 policies)\n"
    });
    assert_eq!(server.validate(&privileged)["allowed"], false);
}

/// Policies mounted from a ConfigMap, laid out as the kubelet does: the
/// visible files link through `..data` to a timestamped directory, and an
/// update swaps `..data` atomically. Each policy is read once, and the swap
/// is picked up.
#[test]
fn configmap_mounted_policies_load_once_and_follow_the_data_swap() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("configmap");
    let mount = tmp.path().join("policies");
    let first = mount.join("..2026_12_06_21_00_00.1");
    write_privileged_policy(&corpus, &first);
    std::os::unix::fs::symlink("..2026_12_06_21_00_00.1", mount.join("..data")).unwrap();
    for name in ["template.yaml", "constraint.yaml"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), mount.join(name)).unwrap();
    }
    let server = serve_reloading(&certs, &mount);
    assert_eq!(
        server.get("/readyz").1,
        "ready: policy set 1 (1 policies)\n"
    );
    let privileged = review("uid-configmap", pod("root", true));
    assert_eq!(server.validate(&privileged)["allowed"], false);

    // The kubelet's update: a new timestamped directory, `..data_tmp`
    // pointing at it, renamed over `..data`, the old directory removed.
    let second = mount.join("..2026_12_06_21_05_00.2");
    write_privileged_policy(&corpus, &second);
    exempt_shop(&second.join("constraint.yaml"));
    std::os::unix::fs::symlink("..2026_12_06_21_05_00.2", mount.join("..data_tmp")).unwrap();
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).unwrap();
    std::fs::remove_dir_all(&first).unwrap();
    server.wait_for("policy set 2", || {
        server.get("/readyz").1 == "ready: policy set 2 (1 policies)\n"
    });
    assert_eq!(server.validate(&privileged)["allowed"], true);
}

#[test]
fn renewed_certificate_is_served_without_restart() {
    let (tmp, certs) = temp_with_certs("certs");
    let server = Server::start(&certs, &["--builtin", "--reload-interval", "200ms"]);

    // A new CA and certificate written over the files in place.
    let old_ca = std::fs::read(certs.join("ca.crt")).unwrap();
    let renewed = tmp.path().join("renewed");
    make_cert(&renewed);
    for file in ["ca.crt", "tls.crt", "tls.key"] {
        std::fs::copy(renewed.join(file), certs.join(file)).unwrap();
    }
    let new_client = server.client(&certs);
    server.wait_for("the renewed certificate", || {
        new_client.get(server.url("/healthz")).send().is_ok() && {
            let (_, metrics) = get_text(&server, &new_client, "/metrics");
            metric(
                &metrics,
                "palisade_webhook_tls_reloads_total{result=\"ok\"}",
            )
            .is_some()
        }
    });
    // A client trusting only the old CA no longer gets through a handshake.
    let old_only = client_trusting(&old_ca, server.addr);
    assert!(old_only.get(server.url("/healthz")).send().is_err());
    let (_, metrics) = get_text(&server, &new_client, "/metrics");
    assert_eq!(
        metric(
            &metrics,
            "palisade_webhook_tls_reloads_total{result=\"ok\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
}

#[test]
fn slow_evaluation_gets_the_failure_policy_answer() {
    let (tmp, certs) = temp_with_certs("deadline");
    let policies = tmp.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    // A Rego policy quadratic in the number of containers.
    std::fs::write(policies.join("slow.yaml"), SLOW_TEMPLATE).unwrap();
    let server = Server::start(
        &certs,
        &[
            "--policies",
            policies.to_str().unwrap(),
            "--timeout",
            "250ms",
            "--failure-policy",
            "ignore",
        ],
    );

    // Fast on one container: a normal decision.
    let quick = server.validate(&review("uid-quick", pod("one", false)));
    assert_eq!(quick["allowed"], true);
    assert!(quick.get("warnings").is_none(), "{quick}");

    let slow = server.validate(&review("uid-slow", many_containers()));
    assert_eq!(slow["uid"], "uid-slow");
    assert_eq!(slow["allowed"], true, "{slow}");
    assert_eq!(
        slow["warnings"][0],
        "palisade: policy evaluation exceeded its 250ms deadline; admitted by failure policy `ignore`"
    );
    let metrics = server.get("/metrics").1;
    assert_eq!(
        metric(
            &metrics,
            "palisade_webhook_evaluation_timeouts_total{failure_policy=\"ignore\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
}

/// A pod the slow template needs seconds for (4 million pairs).
fn many_containers() -> Json {
    let mut many = pod("many", false);
    many["spec"]["containers"] = Json::Array(
        (0..2000)
            .map(|i| json!({"name": format!("c{i}"), "image": format!("registry.k8s.io/img{i}")}))
            .collect(),
    );
    many
}

const SLOW_TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sslowpairs
spec:
  crd:
    spec:
      names:
        kind: K8sSlowPairs
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sslowpairs
        violation[{"msg": msg}] {
          a := input.review.object.spec.containers[_]
          b := input.review.object.spec.containers[_]
          a.name != b.name
          a.image == b.image
          msg := sprintf("containers %v and %v share an image", [a.name, b.name])
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sSlowPairs
metadata:
  name: slow-pairs
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
"#;

#[test]
fn sigterm_drains_in_flight_requests_then_exits() {
    let (tmp, certs) = temp_with_certs("sigterm");
    let policies = tmp.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("slow.yaml"), SLOW_TEMPLATE).unwrap();
    let mut server = Server::start(
        &certs,
        &[
            "--policies",
            policies.to_str().unwrap(),
            "--timeout",
            "1500ms",
        ],
    );
    // A request still being evaluated when SIGTERM arrives gets its answer
    // (here the deadline's, denied by the default failure policy `fail`).
    let in_flight = std::thread::spawn({
        let client = server.client.clone();
        let url = server.url("/validate");
        move || {
            let response = client
                .post(url)
                .body(review("uid-in-flight", many_containers()).to_string())
                .send()
                .unwrap();
            assert_eq!(response.status(), 200);
            serde_json::from_str::<Json>(&response.text().unwrap()).unwrap()
        }
    });
    server.wait_for("the request to be in flight", || {
        server.metric("palisade_webhook_requests_in_flight") == Some(1.0)
    });
    let status = server.terminate();
    let answer = in_flight.join().unwrap();
    assert_eq!(answer["response"]["uid"], "uid-in-flight");
    assert_eq!(answer["response"]["allowed"], false);
    assert_eq!(answer["response"]["status"]["code"], 504);
    assert!(status.success(), "exit status {status}");
    server.wait_for("the last log line", || server.logs().contains("stopped"));
    let logs = server.logs();
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains("all connections drained"), "{logs}");
    assert!(logs.contains("stopped"), "{logs}");
}

#[test]
fn broken_policies_at_startup_exit_with_the_errors() {
    let (tmp, certs) = temp_with_certs("startup");
    let policies = tmp.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("bad.yaml"), "kind: [unclosed\n").unwrap();
    let output = serve_command(&[], &certs)
        .arg("--policies")
        .arg(&policies)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("policies did not load"), "{stderr}");
    assert!(stderr.contains("bad.yaml"), "{stderr}");
}

#[test]
fn json_logs_and_v1beta1_reviews() {
    let (_tmp, certs) = temp_with_certs("json");
    let server = Server::start_with(&["--format", "json"], &certs, &["--builtin"]);
    let mut old = review("uid-beta", pod("web", false));
    old["apiVersion"] = json!("admission.k8s.io/v1beta1");
    // No content type: the API server sends one, but the body is what counts.
    let response = server
        .client
        .post(server.url("/validate"))
        .body(old.to_string())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Json = serde_json::from_str(&response.text().unwrap()).unwrap();
    // A v1beta1 review is answered in v1beta1, as the API server requires.
    assert_eq!(body["apiVersion"], "admission.k8s.io/v1beta1");
    assert_eq!(body["response"]["uid"], "uid-beta");
    assert_eq!(body["response"]["allowed"], true);
    server.wait_for("the decision line", || server.logs().contains("uid-beta"));
    let logs = server.logs();
    let line = logs.lines().find(|l| l.contains("uid-beta")).unwrap();
    let event: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["fields"]["uid"], "uid-beta");
    assert_eq!(event["fields"]["kind"], "Pod");
    assert_eq!(event["fields"]["namespace"], "shop");
    assert_eq!(event["fields"]["name"], "web");
    assert_eq!(event["fields"]["verdict"], "allowed");
    assert_eq!(event["fields"]["policy"], "-");
    assert!(event["fields"]["latency_us"].is_u64(), "{event}");
}

/// An AdmissionReview v1 for a CREATE of `object` (a Pod or a Service) in
/// `namespace`.
fn review_in(uid: &str, namespace: &str, object: Json) -> Json {
    let kind = object["kind"].as_str().unwrap().to_owned();
    let resource = format!("{}s", kind.to_lowercase());
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": resource},
            "namespace": namespace,
            "name": object["metadata"]["name"],
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": object,
        }
    })
}

/// A privileged Pod in `namespace`.
fn privileged_pod_in(namespace: &str) -> Json {
    let mut pod = pod("root", true);
    pod["metadata"]["namespace"] = json!(namespace);
    pod
}

fn namespace_yaml(name: &str, enforce: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/metadata.name: {name}\n    policy.example.com/enforce: \"{enforce}\"\n"
    )
}

#[test]
fn inventory_namespaces_select_constraints_and_feed_data_inventory() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("inventory");
    let policies = tmp.path().join("policies");
    let inventory = tmp.path().join("inventory");
    // The privileged-container template, constrained to namespaces labelled
    // `policy.example.com/enforce: "true"`.
    let gatekeeper = corpus.join("gatekeeper");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::copy(
        gatekeeper.join("pod-security-policy/privileged-containers/template.yaml"),
        policies.join("privileged-template.yaml"),
    )
    .unwrap();
    std::fs::write(
        policies.join("privileged-constraint.yaml"),
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sPSPPrivilegedContainer\nmetadata:\n  name: privileged-where-enforced\nspec:\n  match:\n    kinds:\n      - apiGroups: [\"\"]\n        kinds: [\"Pod\"]\n    namespaceSelector:\n      matchLabels:\n        policy.example.com/enforce: \"true\"\n",
    )
    .unwrap();
    // A referential template: Services must not share a selector with one
    // in `data.inventory`.
    let unique = gatekeeper.join("general/uniqueserviceselector");
    std::fs::copy(
        unique.join("template.yaml"),
        policies.join("unique-template.yaml"),
    )
    .unwrap();
    std::fs::copy(
        unique.join("samples/unique-service-selector/constraint.yaml"),
        policies.join("unique-constraint.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(&inventory).unwrap();
    std::fs::write(
        inventory.join("namespaces.yaml"),
        format!(
            "{}---\n{}",
            namespace_yaml("shop", "true"),
            namespace_yaml("lab", "false")
        ),
    )
    .unwrap();
    std::fs::write(
        inventory.join("services.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports: [{port: 80}]\n  selector: {app: web}\n",
    )
    .unwrap();
    let server = Server::start(
        &certs,
        &[
            "--policies",
            policies.to_str().unwrap(),
            "--inventory",
            inventory.to_str().unwrap(),
            "--reload-interval",
            "200ms",
        ],
    );
    // Log lines reach standard error from a background writer, in batches.
    server.wait_for("the inventory load line", || {
        server.logs().contains("inventory loaded")
    });
    let metrics = server.get("/metrics").1;
    assert_eq!(
        metric(&metrics, "palisade_webhook_inventory_objects"),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "palisade_webhook_inventory_generation"),
        Some(1.0)
    );

    // `shop` is labelled to enforce: the constraint applies.
    let shop = server.validate(&review_in("uid-shop-1", "shop", privileged_pod_in("shop")));
    let message = denial(&shop, 403);
    assert!(
        message.starts_with("[privileged-where-enforced] Privileged container is not allowed"),
        "{message}"
    );
    // `lab` is not: the same pod is admitted there.
    let lab = server.validate(&review_in("uid-lab-2", "lab", privileged_pod_in("lab")));
    assert_eq!(lab["allowed"], true, "{lab}");
    // A namespace the inventory does not hold: the selector cannot be
    // evaluated and the request is denied as an error (code 500), as
    // Gatekeeper does when the Namespace cannot be found.
    let unknown = server.validate(&review_in("uid-new-3", "new", privileged_pod_in("new")));
    let message = denial(&unknown, 500);
    assert!(
        message.contains("namespace `new` is not known"),
        "{message}"
    );

    // `data.inventory`: a Service with the selector of the inventory's
    // `shop/web` is denied, one with its own selector admitted.
    let service = |name: &str, app: &str| {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "lab"},
               "spec": {"ports": [{"port": 80}], "selector": {"app": app}}})
    };
    let clash = server.validate(&review_in("uid-svc-4", "lab", service("web-copy", "web")));
    assert_eq!(clash["allowed"], false, "{clash}");
    let message = clash["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "[unique-service-selector] same selector as service <web> in namespace <shop>"
        ),
        "{message}"
    );
    let own = server.validate(&review_in("uid-svc-5", "lab", service("api", "api")));
    assert_eq!(own["allowed"], true, "{own}");

    // The inventory changes on disk: `lab` now enforces and `new` exists.
    // Picked up without a restart.
    std::fs::write(
        inventory.join("namespaces.yaml"),
        format!(
            "{}---\n{}---\n{}",
            namespace_yaml("shop", "true"),
            namespace_yaml("lab", "true"),
            namespace_yaml("new", "false")
        ),
    )
    .unwrap();
    server.wait_for("inventory 2", || {
        server.metric("palisade_webhook_inventory_generation") == Some(2.0)
    });
    let lab = server.validate(&review_in("uid-lab-6", "lab", privileged_pod_in("lab")));
    denial(&lab, 403);
    let new = server.validate(&review_in("uid-new-7", "new", privileged_pod_in("new")));
    assert_eq!(new["allowed"], true, "{new}");

    // A broken inventory file: the previous inventory keeps serving.
    std::fs::write(
        inventory.join("broken.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n",
    )
    .unwrap();
    server.wait_for("the inventory error to be counted and logged", || {
        server.metric("palisade_webhook_inventory_loads_total{result=\"error\"}") == Some(1.0)
            && server
                .logs()
                .contains("still serving the previous inventory")
    });
    let logs = server.logs();
    assert!(
        logs.contains("broken.yaml:1:1") && logs.contains("metadata.name"),
        "the error names the file and position:\n{logs}"
    );
    let metrics = server.get("/metrics").1;
    assert_eq!(
        metric(&metrics, "palisade_webhook_inventory_generation"),
        Some(2.0)
    );
    assert_eq!(
        metric(&metrics, "palisade_webhook_unknown_namespaces_total"),
        Some(1.0),
        "{metrics}"
    );
    let new = server.validate(&review_in("uid-new-8", "new", privileged_pod_in("new")));
    assert_eq!(new["allowed"], true, "{new}");
}

#[test]
fn broken_inventory_at_startup_exits_with_the_errors() {
    let (tmp, certs) = temp_with_certs("inventory-broken");
    let inventory = tmp.path().join("inventory");
    std::fs::create_dir_all(&inventory).unwrap();
    std::fs::write(
        inventory.join("namespaces.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: [shop\n",
    )
    .unwrap();
    let output = serve_command(&[], &certs)
        .arg("--inventory")
        .arg(&inventory)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("inventory did not load") && stderr.contains("namespaces.yaml:4:1:"),
        "{stderr}"
    );
}

#[test]
fn pod_security_levels_come_from_inventory_namespace_labels() {
    let (tmp, certs) = temp_with_certs("pod-security");
    let policies = tmp.path().join("policies");
    let inventory = tmp.path().join("inventory");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::create_dir_all(&inventory).unwrap();
    std::fs::write(
        inventory.join("namespaces.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: secure\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n\
         ---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: open\n",
    )
    .unwrap();
    let server = Server::start(
        &certs,
        &[
            "--policies",
            policies.to_str().unwrap(),
            "--pod-security",
            "--inventory",
            inventory.to_str().unwrap(),
        ],
    );
    // Not privileged, but without `runAsNonRoot`, a seccomp profile or
    // dropped capabilities: fine by default, not `restricted`.
    let plain_pod = |namespace: &str| {
        let mut pod = pod("web", false);
        pod["metadata"]["namespace"] = json!(namespace);
        pod
    };
    let secure = server.validate(&review_in("uid-psa-1", "secure", plain_pod("secure")));
    let message = denial(&secure, 403);
    assert!(
        message.starts_with("[pod-security-admission]")
            && message.contains("violates PodSecurity \"restricted:latest\""),
        "{message}"
    );
    let open = server.validate(&review_in("uid-psa-2", "open", plain_pod("open")));
    assert_eq!(open["allowed"], true, "{open}");
    let unknown = server.validate(&review_in("uid-psa-3", "elsewhere", plain_pod("elsewhere")));
    let message = denial(&unknown, 500);
    assert!(
        message.contains("namespace `elsewhere` is not known"),
        "{message}"
    );
}

/// The ValidatingAdmissionPolicy fixtures of `tests/cmd/admission-cel.trycmd`.
fn vap_fixture(binding: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/admission/vap")
        .join(binding)
}

#[test]
fn validating_admission_policy_denies_over_tls_and_a_warn_binding_warns() {
    let (_tmp, certs) = temp_with_certs("vap");

    let deny = vap_fixture("deny");
    let server = Server::start(&certs, &["--policies", deny.to_str().unwrap()]);
    let response = server.validate(&review("u-vap-1", pod("web", true)));
    assert_eq!(response["uid"], "u-vap-1");
    assert_eq!(
        denial(&response, 403),
        "[no-privileged-containers] privileged containers are not allowed: nginx"
    );
    let response = server.validate(&review("u-vap-2", pod("web", false)));
    assert_eq!(response["allowed"], true, "{response}");
    drop(server);

    let warn = vap_fixture("warn");
    let server = Server::start(&certs, &["--policies", warn.to_str().unwrap()]);
    let response = server.validate(&review("u-vap-3", pod("web", true)));
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(
        response["warnings"],
        json!(["[no-privileged-containers] privileged containers are not allowed: nginx"])
    );
}

/// The console's bearer token in the forwarding tests.
const CONSOLE_TOKEN: &str = "console-token";

/// The console's certificate (in `dir/console-certs`, for [`HOST`] and
/// `127.0.0.1`, which the webhook dials) and token file, made once.
fn console_files(dir: &Path) -> PathBuf {
    let certs = dir.join("console-certs");
    if !certs.join("tls.crt").exists() {
        let made = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(["admission", "cert", "--dns", HOST, "127.0.0.1", "--out"])
            .arg(&certs)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        std::fs::write(dir.join("console-token"), CONSOLE_TOKEN).unwrap();
    }
    certs
}

/// `palisade console` on `listen` with the example policies, its store and
/// files in `dir`.
fn start_console(dir: &Path, listen: &str) -> Server {
    let certs = console_files(dir);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed");
    let mut command = Command::new(env!("CARGO_BIN_EXE_palisade"));
    command
        .args(["console", "--listen", listen, "--policies"])
        .arg(examples)
        .arg("--db")
        .arg(dir.join("console.db"))
        .arg("--state-dir")
        .arg(dir)
        .arg("--token-file")
        .arg(dir.join("console-token"))
        .arg("--tls-cert")
        .arg(certs.join("tls.crt"))
        .arg("--tls-key")
        .arg(certs.join("tls.key"));
    Server::launch(command, &certs, "/healthz")
}

/// `GET path` on the console with its token: the JSON answer.
fn console_get(console: &Server, path: &str) -> Json {
    let response = console
        .client
        .get(console.url(path))
        .bearer_auth(CONSOLE_TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    serde_json::from_str(&response.text().unwrap()).unwrap()
}

/// The webhook's arguments forwarding to the console at `port`.
fn forwarding_to(dir: &Path, port: u16) -> Vec<String> {
    let certs = dir.join("console-certs");
    vec![
        "--console".to_owned(),
        format!("https://127.0.0.1:{port}"),
        "--console-ca".to_owned(),
        certs.join("ca.crt").display().to_string(),
        "--console-token-file".to_owned(),
        dir.join("console-token").display().to_string(),
        "--cluster".to_owned(),
        "edge-1".to_owned(),
    ]
}

#[test]
fn decisions_are_forwarded_to_a_real_console_over_tls() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("forward");
    write_privileged_policy(&corpus, &tmp.path().join("policies"));
    let console = start_console(tmp.path(), "127.0.0.1:0");
    let mut args = vec![
        "--policies".to_owned(),
        tmp.path().join("policies").display().to_string(),
    ];
    args.extend(forwarding_to(tmp.path(), console.addr.port()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let webhook = Server::start(&certs, &args);

    let denied = webhook.validate(&review("uid-denied", pod("root", true)));
    denial(&denied, 403);
    let allowed = webhook.validate(&review("uid-allowed", pod("plain", false)));
    assert_eq!(allowed["allowed"], true);

    let mut decisions = Vec::new();
    webhook.wait_for("the decisions in the console", || {
        decisions = console_get(&console, "/api/v1/decisions?cluster=edge-1")["items"]
            .as_array()
            .unwrap()
            .clone();
        decisions.len() == 2
    });
    let by_uid = |uid: &str| decisions.iter().find(|d| d["uid"] == uid).unwrap().clone();
    let d = by_uid("uid-denied");
    assert_eq!(
        (
            &d["verdict"],
            &d["allowed"],
            &d["kind"],
            &d["namespace"],
            &d["name"],
            &d["operation"]
        ),
        (
            &json!("denied"),
            &json!(false),
            &json!("Pod"),
            &json!("shop"),
            &json!("root"),
            &json!("CREATE")
        ),
        "{d}"
    );
    assert_eq!(d["cluster"], "edge-1");
    assert_eq!(
        d["policies"][0]["policy"], "psp-privileged-container",
        "{d}"
    );
    assert_eq!(d["policies"][0]["action"], "deny", "{d}");
    assert!(
        d["policies"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Privileged container is not allowed"),
        "{d}"
    );
    let a = by_uid("uid-allowed");
    assert_eq!(
        (&a["verdict"], &a["allowed"]),
        (&json!("allowed"), &json!(true)),
        "{a}"
    );
    assert_eq!(a["policies"], json!([]));

    let only_denied = console_get(
        &console,
        "/api/v1/decisions?policy=psp-privileged-container",
    );
    assert_eq!(
        only_denied["items"].as_array().unwrap().len(),
        1,
        "{only_denied}"
    );
    let summary = console_get(&console, "/api/v1/summary");
    assert_eq!(summary["admission"]["verdicts"]["denied"], 1, "{summary}");
    assert_eq!(summary["admission"]["verdicts"]["allowed"], 1, "{summary}");
    assert_eq!(
        webhook.metric("palisade_webhook_console_forwarded_total"),
        Some(2.0)
    );
    assert_eq!(
        webhook.metric("palisade_webhook_console_dropped_total"),
        Some(0.0)
    );
}

#[test]
fn admission_answers_while_the_console_is_down_and_catches_up_when_it_returns() {
    let Some(corpus) = palisade_testkit::corpus("admission") else {
        return;
    };
    let (tmp, certs) = temp_with_certs("console-down");
    write_privileged_policy(&corpus, &tmp.path().join("policies"));
    // A port nothing listens on (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    console_files(tmp.path());
    let mut args = vec![
        "--policies".to_owned(),
        tmp.path().join("policies").display().to_string(),
        "--console-queue".to_owned(),
        "4".to_owned(),
    ];
    args.extend(forwarding_to(tmp.path(), port));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let webhook = Server::start(&certs, &args);

    let answer_all = |prefix: &str| {
        for i in 0..20 {
            let privileged = i % 2 == 0;
            let response = webhook.validate(&review(
                &format!("{prefix}-{i}"),
                pod(&format!("p{i}"), privileged),
            ));
            assert_eq!(response["allowed"], !privileged, "{response}");
        }
    };
    // The first 20 make one batch, which the forwarder retries ...
    answer_all("first");
    webhook.wait_for("a retry", || {
        webhook
            .metric("palisade_webhook_console_retries_total")
            .is_some_and(|n| n >= 1.0)
    });
    // ... while 4 more wait in the queue and the other 16 are dropped, counted;
    // every review is still answered.
    answer_all("second");
    assert_eq!(
        webhook.metric("palisade_webhook_console_dropped_total"),
        Some(16.0)
    );
    assert_eq!(webhook.metric("palisade_webhook_console_queue"), Some(24.0));
    assert_eq!(
        webhook.metric("palisade_webhook_console_forwarded_total"),
        Some(0.0)
    );
    assert_eq!(
        webhook.metric("palisade_webhook_requests_total{verdict=\"denied\",dry_run=\"false\"}"),
        Some(20.0)
    );

    // The console comes up on that port: what was kept arrives.
    let console = start_console(tmp.path(), &format!("127.0.0.1:{port}"));
    webhook.wait_for("the kept decisions to be forwarded", || {
        webhook.metric("palisade_webhook_console_forwarded_total") == Some(24.0)
    });
    let stored = console_get(&console, "/api/v1/decisions?cluster=edge-1&limit=100");
    assert_eq!(stored["items"].as_array().unwrap().len(), 24, "{stored}");
    assert_eq!(webhook.metric("palisade_webhook_console_queue"), Some(0.0));
}

/// The JSON Patch of a mutating answer: `patchType: JSONPatch` and the
/// base64 `patch`, decoded.
fn json_patch_of(response: &Json) -> Json {
    use base64::Engine as _;
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn mutate_answers_a_json_patch_and_validate_admits_the_mutated_pod() {
    let (_tmp, certs) = temp_with_certs("mutate");
    let mutate = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission/mutate");
    let (deny, mutate) = (vap_fixture("deny"), mutate.to_str().unwrap().to_owned());
    let validating = ["--policies", deny.to_str().unwrap()];
    let mutating = ["--remediation-pack", "--mutate-policies", &mutate];
    let server = Server::start(&certs, &[&validating[..], &mutating[..]].concat());
    // As sent, the privileged Pod is denied by the validating policy.
    let privileged = pod("web", true);
    let response = server.validate(&review("u-m-0", privileged.clone()));
    denial(&response, 403);
    // `/mutate`: the remediation pack, then the team label policy.
    let response = server.review_at("/mutate", &review("u-m-1", privileged.clone()));
    assert_eq!(response["uid"], "u-m-1");
    let patch = json_patch_of(&response);
    assert_eq!(
        patch,
        json!([
            {"op": "add", "path": "/spec/securityContext",
             "value": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}},
            {"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false},
            {"op": "add", "path": "/spec/containers/0/securityContext/capabilities", "value": {"drop": ["ALL"]}},
            {"op": "replace", "path": "/spec/containers/0/securityContext/privileged", "value": false},
            {"op": "add", "path": "/metadata/labels/team", "value": "unassigned"}
        ])
    );
    // The API server applies the patch, then calls `/validate` with the
    // mutated object: admitted, and not mutated again.
    let mut mutated = privileged;
    let ops: json_patch::Patch = serde_json::from_value(patch).unwrap();
    json_patch::patch(&mut mutated, &ops).unwrap();
    let response = server.validate(&review("u-m-2", mutated.clone()));
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patch").is_none(), "{response}");
    // Mutating the mutated Pod again changes nothing: no patch.
    let response = server.review_at("/mutate", &review("u-m-3", mutated));
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patchType").is_none(), "{response}");
    // A DELETE carries no object: allowed, nothing to patch.
    let mut delete = review("u-m-4", pod("web", true));
    delete["request"]["operation"] = json!("DELETE");
    delete["request"]["oldObject"] = delete["request"]["object"].take();
    let response = server.review_at("/mutate", &delete);
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patch").is_none(), "{response}");
    // Per mutator: the requests each policy changed.
    assert_eq!(
        server.metric(
            "palisade_webhook_policy_verdicts_total{policy=\"palisade-remediation\",verdict=\"mutate\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        server.metric(
            "palisade_webhook_policy_verdicts_total{policy=\"team-label\",verdict=\"mutate\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        server.metric("palisade_webhook_requests_total{verdict=\"mutated\",dry_run=\"false\"}"),
        Some(1.0)
    );
}

/// Gatekeeper mutators served by `/mutate` over TLS: the patch each makes,
/// with its metric per mutator.
#[test]
fn mutate_answers_gatekeeper_mutators() {
    let (_tmp, certs) = temp_with_certs("mutate-gatekeeper");
    let mutators = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mutate/gatekeeper/mutators.yaml");
    let server = Server::start(&certs, &["--mutate-policies", mutators.to_str().unwrap()]);
    let mut with_init = pod("web", false);
    with_init["spec"]["initContainers"] = json!([{"name": "init", "image": "busybox:1.36"}]);
    let response = server.review_at("/mutate", &review("u-g-1", with_init));
    assert_eq!(
        json_patch_of(&response),
        json!([
            {"op": "add", "path": "/spec/containers/0/imagePullPolicy", "value": "Always"},
            {"op": "replace", "path": "/spec/initContainers/0/image",
             "value": "mirror.example.com/busybox:1.36"}
        ])
    );
    for mutator in ["always-pull", "mirror"] {
        assert_eq!(
            server.metric(&format!(
                "palisade_webhook_policy_verdicts_total{{policy=\"{mutator}\",verdict=\"mutate\"}}"
            )),
            Some(1.0),
            "{mutator}"
        );
    }
}
