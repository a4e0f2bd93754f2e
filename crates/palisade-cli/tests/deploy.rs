//! `deploy/` and the `Dockerfile`, checked with Palisade itself.
//!
//! Every kustomization under `deploy/` is rendered with `kubectl kustomize`
//! (skipped with a notice where kubectl, with kustomize v5, is absent) and
//! the rendering must pass Pod Security `restricted`, the built-in pack and
//! the shipped policies, and a network audit that finds the webhook (or the
//! console) protected. The webhook configuration, Service, ports, probes,
//! storage and flags are then checked against the real server: the
//! Deployment's own arguments start `palisade admission serve` or
//! `palisade console`, and the probe paths, the webhook path and the
//! console's API are called on it.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use palisade_testkit::command::{self, text};
use serde_json::{Value as Json, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(args: &[&str]) -> Output {
    command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

/// A directory of the test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "palisade-deploy-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// Rendering

/// `true` when `kubectl kustomize` with kustomize v5 or newer is here; prints
/// why not otherwise (the manifests use v5's `labels` and inline patches).
fn kustomize_available() -> bool {
    let Ok(out) = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
    else {
        println!(
            "notice: kubectl is absent: deploy/ is not rendered and its checks are skipped \
             (install kubectl 1.27 or newer to run them)"
        );
        return false;
    };
    let version = text(&out.stdout);
    let major = version
        .lines()
        .find_map(|l| l.strip_prefix("Kustomize Version: v"))
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= 5 => true,
        _ => {
            println!(
                "notice: kubectl here has no kustomize v5 (`kubectl version --client`: {}): \
                 deploy/ checks are skipped (kubectl 1.27 or newer runs them)",
                version.trim().replace('\n', "; ")
            );
            false
        }
    }
}

/// Every directory under `deploy/` with a `kustomization.yaml`.
fn kustomizations() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        if dir.join("kustomization.yaml").is_file() {
            found.push(dir.to_path_buf());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        entries.sort();
        for entry in entries {
            walk(&entry, found);
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("deploy"), &mut found);
    found
}

/// One kustomization rendered: the text in a file, and its objects.
struct Rendering {
    /// `deploy/...`, for messages.
    name: String,
    file: PathBuf,
    objects: Vec<Json>,
    _dir: Scratch,
}

impl Rendering {
    /// `palisade-webhook` or `palisade-console`: the one Deployment's name.
    fn service(&self) -> &str {
        let deployments = self.of_kind("Deployment");
        assert_eq!(deployments.len(), 1, "{}", self.name);
        deployments[0]["metadata"]["name"].as_str().unwrap()
    }

    fn is_webhook(&self) -> bool {
        self.service() == "palisade-webhook"
    }

    fn of_kind(&self, kind: &str) -> Vec<&Json> {
        self.objects.iter().filter(|o| o["kind"] == kind).collect()
    }

    fn named(&self, kind: &str, namespace: &str, name: &str) -> Option<&Json> {
        self.objects.iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"] == name
                && o["metadata"]["namespace"].as_str().unwrap_or("") == namespace
        })
    }

    /// The JSON `palisade args… <this rendering's file>` prints, which
    /// must exit 0 (else the test fails saying `what`).
    fn json_of(&self, args: &[&str], what: &str) -> Json {
        let mut args = args.to_vec();
        args.push(self.file());
        let out = palisade(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {what}:\n{}{}",
            self.name,
            text(&out.stdout),
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn file(&self) -> &str {
        self.file.to_str().unwrap()
    }
}

fn render(dir: &Path) -> Rendering {
    let name = dir
        .strip_prefix(repo())
        .unwrap_or(dir)
        .display()
        .to_string();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`kubectl kustomize {name}` failed: {}",
        text(&out.stderr)
    );
    let scratch = Scratch::new("render");
    let file = scratch.0.join("rendered.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    let report = palisade::manifest::load_str(&name, &text(&out.stdout));
    assert!(report.is_ok(), "{name}: {:?}", report.errors);
    Rendering {
        name,
        file,
        objects: report.objects.into_iter().map(|m| m.object).collect(),
        _dir: scratch,
    }
}

/// Every kustomization rendered, or `None` (with a notice) without kubectl.
fn renderings() -> Option<Vec<Rendering>> {
    if !kustomize_available() {
        return None;
    }
    let dirs = kustomizations();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.strip_prefix(repo()).unwrap().display().to_string())
        .collect();
    // What the docs promise is here (a renamed overlay must update docs/deploy.md).
    for expected in [
        "deploy/webhook",
        "deploy/webhook/base",
        "deploy/webhook/overlays/api-server-cidr",
        "deploy/webhook/overlays/cert-manager",
        "deploy/webhook/overlays/fail-open",
        "deploy/webhook/overlays/pod-security",
        "deploy/webhook/overlays/console",
        "deploy/webhook/overlays/remediation",
        "deploy/console",
        "deploy/console/base",
        "deploy/console/overlays/cert-manager",
        "deploy/console/overlays/postgres",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing: {names:?}"
        );
    }
    Some(dirs.iter().map(|d| render(d)).collect())
}

// ---------------------------------------------------------------------------
// Checks with Palisade

#[test]
fn every_workload_passes_pod_security_restricted() {
    let Some(renderings) = renderings() else {
        return;
    };
    for r in &renderings {
        let results = r.json_of(
            &[
                "admission",
                "pss",
                "--level",
                "restricted",
                "--format",
                "json",
            ],
            "not restricted",
        );
        let results = results.as_array().unwrap();
        let workloads = r.of_kind("Deployment").len();
        assert!(workloads >= 1, "{}: no workload rendered", r.name);
        assert_eq!(results.len(), workloads, "{}: {results:?}", r.name);
        for result in results {
            assert_eq!(result["allowed"], true, "{}: {result}", r.name);
        }
    }
}

#[test]
fn the_builtin_pack_and_the_shipped_policies_allow_every_object() {
    let Some(renderings) = renderings() else {
        return;
    };
    let policies = repo().join("deploy/webhook/base/policies");
    for r in &renderings {
        let audit = r.json_of(
            &[
                "admission",
                "audit",
                "--builtin",
                "--policies",
                policies.to_str().unwrap(),
                "--format",
                "json",
            ],
            "audit failed",
        );
        assert_eq!(audit["violations"], json!([]), "{}", r.name);
        assert_eq!(
            audit["objects"],
            r.objects.len(),
            "{}: every object audited",
            r.name
        );
        // The shipped policy is served and covers the webhook itself.
        let coverage = audit["coverage"].as_array().unwrap();
        let shipped = coverage
            .iter()
            .find(|c| c["policy"] == "disallow-latest-tag")
            .unwrap_or_else(|| panic!("{}: shipped policy not loaded: {coverage:?}", r.name));
        assert_eq!(shipped["workloads"], 1, "{}", r.name);
    }
}

/// `palisade network check` from an address outside the cluster to the
/// pods of the rendering's Deployment.
fn reachable(r: &Rendering, from: &str, port: u16) -> bool {
    let to = format!("palisade/{}", r.service());
    let out = palisade(&[
        "network",
        "check",
        "--format",
        "json",
        "--from",
        from,
        "--to",
        &to,
        "--port",
        &port.to_string(),
        r.file(),
    ]);
    let verdict: Json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}: {}", r.name, text(&out.stderr)));
    verdict["allowed"].as_bool().unwrap()
}

#[test]
fn the_network_audit_finds_each_server_protected() {
    let Some(renderings) = renderings() else {
        return;
    };
    for r in &renderings {
        let out = palisade(&["network", "audit", "--format", "json", r.file()]);
        let findings: Json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}: {}", r.name, text(&out.stderr)));
        let pinned = r.name.ends_with("api-server-cidr");
        // The one finding left: egress to the API server (and for the
        // console the on-call sink, and the database with postgres), whose
        // addresses the base cannot know (the api-server-cidr overlay
        // narrows the webhook's).
        let allowed_egress = if pinned {
            "192.0.2.0-192.0.2.255 (TCP 443,6443)"
        } else if r.name.ends_with("postgres") {
            "0.0.0.0-255.255.255.255 (TCP 443,5432,6443)"
        } else {
            "0.0.0.0-255.255.255.255 (TCP 443,6443)"
        };
        for finding in findings.as_array().unwrap() {
            let message = finding["message"].as_str().unwrap();
            assert!(
                finding["policy"] == "network/egress-to-world" && message.ends_with(allowed_egress),
                "{}: unexpected network finding {finding}",
                r.name
            );
        }
        // Only the server's port is open, and with the overlay only to the API server.
        assert!(
            !reachable(r, "10.1.2.3", 9090),
            "{}: port 9090 reachable",
            r.name
        );
        assert!(
            !reachable(r, "10.1.2.3", 443),
            "{}: port 443 reachable",
            r.name
        );
        assert!(
            reachable(r, "192.0.2.10", 8443),
            "{}: webhook port closed",
            r.name
        );
        assert_eq!(
            reachable(r, "10.1.2.3", 8443),
            !pinned,
            "{}: webhook port from outside the API server's range",
            r.name
        );
    }
}

#[test]
fn the_combined_overlay_in_deploy_md_renders_and_pins_the_network() {
    if !kustomize_available() {
        return;
    }
    let doc = std::fs::read_to_string(repo().join("docs/deploy.md")).unwrap();
    let start = doc
        .find("# my-cluster/kustomization.yaml\n")
        .expect("docs/deploy.md shows a combined overlay");
    let block = &doc[start..];
    let block = &block[..block.find("```").unwrap()];
    // The example sits beside deploy/; here it points at the clone's deploy/
    // by a relative path (kustomize refuses absolute ones).
    let dir = Scratch::new("my-cluster");
    let from = dir.0.canonicalize().unwrap();
    let to = repo().join("deploy").canonicalize().unwrap();
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in from.components().skip(common) {
        relative.push("..");
    }
    relative.extend(to.components().skip(common));
    let kustomization = block.replace("../deploy/", &format!("{}/", relative.display()));
    std::fs::write(dir.0.join("kustomization.yaml"), kustomization).unwrap();
    let r = render(&dir.0);
    let policy = r
        .named("NetworkPolicy", "palisade", "palisade-webhook")
        .expect("the webhook's NetworkPolicy");
    assert_eq!(
        policy["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "10.0.0.10/32"
    );
    assert_eq!(
        policy["spec"]["egress"][1]["to"][0]["ipBlock"]["cidr"],
        "10.0.0.10/32"
    );
    assert!(
        !r.of_kind("Certificate").is_empty(),
        "the cert-manager overlay is included"
    );
    assert!(reachable(&r, "10.0.0.10", 8443));
    assert!(!reachable(&r, "10.0.0.11", 8443));
}

// ---------------------------------------------------------------------------
// Structure, and the real server behind it

/// The one Deployment and its container that runs `palisade admission`
/// (the webhook) or `palisade console`.
fn server_container(r: &Rendering) -> (&Json, &Json) {
    let deployments = r.of_kind("Deployment");
    assert_eq!(deployments.len(), 1, "{}", r.name);
    let deployment = deployments[0];
    let container = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["args"]
                .as_array()
                .and_then(|a| a.first())
                .is_some_and(|a| a == "admission" || a == "console")
        })
        .unwrap_or_else(|| panic!("{}: no container runs `palisade`", r.name));
    (deployment, container)
}

fn args_of(container: &Json) -> Vec<String> {
    container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .find_map(|a| a.strip_prefix(&format!("{name}=")))
}

fn seconds(duration: &str) -> f64 {
    if let Some(ms) = duration.strip_suffix("ms") {
        ms.parse::<f64>().unwrap() / 1000.0
    } else {
        duration.strip_suffix('s').unwrap().parse().unwrap()
    }
}

/// The container port a Service or probe port (a name or a number) means.
fn container_port(r: &Rendering, container: &Json, port: &Json) -> u64 {
    let ports = container["ports"].as_array().unwrap();
    match port {
        Json::String(name) => ports
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("{}: no container port named `{name}`", r.name))["containerPort"]
            .as_u64()
            .unwrap(),
        other => other.as_u64().unwrap(),
    }
}

/// The Service named `name` in the Deployment's namespace selects its pods,
/// and its `port` leads to the port the server listens on.
fn check_service(r: &Rendering, name: &str, port: &Json) {
    let (deployment, container) = server_container(r);
    let namespace = deployment["metadata"]["namespace"].as_str().unwrap();
    let listen: SocketAddr = flag(&args_of(container), "--listen")
        .unwrap()
        .parse()
        .unwrap();
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let service = r
        .named("Service", namespace, name)
        .unwrap_or_else(|| panic!("{}: Service {name} is not rendered", r.name));
    for (key, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&pod_labels[key], value, "{}: selector `{key}`", r.name);
    }
    let port = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == *port)
        .unwrap_or_else(|| panic!("{}: the Service has no port {port}", r.name));
    assert_eq!(
        container_port(r, container, &port["targetPort"]),
        u64::from(listen.port()),
        "{}: Service targetPort vs --listen",
        r.name
    );
}

/// Each probe of the server container: an HTTPS GET of `path` on the port
/// the server listens on.
fn check_probes(r: &Rendering, probes: &[(&str, &str)]) {
    let (_, container) = server_container(r);
    let listen: SocketAddr = flag(&args_of(container), "--listen")
        .unwrap()
        .parse()
        .unwrap();
    for (probe, path) in probes {
        let get = &container[*probe]["httpGet"];
        assert_eq!(get["path"], *path, "{}: {probe}", r.name);
        assert_eq!(get["scheme"], "HTTPS", "{}: {probe}", r.name);
        assert_eq!(
            container_port(r, container, &get["port"]),
            u64::from(listen.port()),
            "{}: {probe} port",
            r.name
        );
    }
}

#[test]
fn the_console_service_storage_and_probes_fit_together() {
    let Some(renderings) = renderings() else {
        return;
    };
    let consoles: Vec<&Rendering> = renderings.iter().filter(|r| !r.is_webhook()).collect();
    assert_eq!(consoles.len(), 4, "the console's kustomizations");
    for r in consoles {
        let (deployment, container) = server_container(r);
        check_service(r, "palisade-console", &json!(443));
        check_probes(
            r,
            &[
                ("startupProbe", "/healthz"),
                ("readinessProbe", "/readyz"),
                ("livenessProbe", "/healthz"),
            ],
        );
        let args = args_of(container);
        let pod = &deployment["spec"]["template"]["spec"];
        let replicas = deployment["spec"]["replicas"].as_u64().unwrap();
        let db = flag(&args, "--db").unwrap();
        if r.name.ends_with("postgres") {
            // The URL from the Secret, several replicas, a disruption budget.
            assert_eq!(db, "$(PALISADE_CONSOLE_DB)", "{}", r.name);
            let env = container["env"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == "PALISADE_CONSOLE_DB")
                .unwrap_or_else(|| panic!("{}: no PALISADE_CONSOLE_DB", r.name));
            assert_eq!(
                env["valueFrom"]["secretKeyRef"],
                json!({"name": "palisade-console-db", "key": "url"}),
                "{}",
                r.name
            );
            assert!(replicas >= 2, "{}", r.name);
            assert!(r.of_kind("PersistentVolumeClaim").is_empty(), "{}", r.name);
            assert!(!r.of_kind("PodDisruptionBudget").is_empty(), "{}", r.name);
        } else {
            // SQLite on the claim: one replica, recreated, the file on the
            // mounted volume.
            assert_eq!(replicas, 1, "{}", r.name);
            assert_eq!(
                deployment["spec"]["strategy"]["type"], "Recreate",
                "{}",
                r.name
            );
            let claim = pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
                .unwrap_or_else(|| panic!("{}: no claim mounted", r.name));
            assert!(
                r.named("PersistentVolumeClaim", "palisade", claim)
                    .is_some(),
                "{}: claim {claim} not rendered",
                r.name
            );
            let mounted = container["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| db.starts_with(m["mountPath"].as_str().unwrap()) && m["readOnly"] != true);
            assert!(mounted, "{}: --db={db} is not on a writable mount", r.name);
        }
        // Every API call carries the token from its Secret.
        assert!(flag(&args, "--token-file").is_some(), "{}", r.name);
        // The pod outlives the console's own drain (10 s).
        let grace = pod["terminationGracePeriodSeconds"].as_f64().unwrap();
        assert!(grace > 10.0, "{}: grace {grace}", r.name);
    }
}

/// Every webhook of the rendering's webhook configurations, with the path
/// the server answers its kind on (`/validate`, `/mutate`).
fn webhooks(r: &Rendering) -> Vec<(&'static str, &Json)> {
    [
        ("ValidatingWebhookConfiguration", "/validate"),
        ("MutatingWebhookConfiguration", "/mutate"),
    ]
    .into_iter()
    .flat_map(|(kind, path)| {
        r.of_kind(kind).into_iter().flat_map(move |config| {
            config["webhooks"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |w| (path, w))
        })
    })
    .collect()
}

#[test]
fn webhook_configuration_service_ports_and_probes_fit_together() {
    let Some(renderings) = renderings() else {
        return;
    };
    for r in renderings.iter().filter(|r| r.is_webhook()) {
        let (deployment, container) = server_container(r);
        let args = args_of(container);
        let namespace = deployment["metadata"]["namespace"].as_str().unwrap();

        for kind in [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ] {
            assert_eq!(r.of_kind(kind).len(), 1, "{}: {kind}", r.name);
        }
        for (path, webhook) in webhooks(r) {
            let service_ref = &webhook["clientConfig"]["service"];
            assert_eq!(
                service_ref["path"], path,
                "{}: the server answers {path}",
                r.name
            );
            assert_eq!(service_ref["namespace"], namespace, "{}", r.name);
            check_service(
                r,
                service_ref["name"].as_str().unwrap(),
                &service_ref["port"],
            );
            // The answer is Palisade's: its deadline is below the API server's.
            let timeout = webhook["timeoutSeconds"].as_f64().unwrap();
            let deadline = seconds(flag(&args, "--timeout").unwrap());
            assert!(
                deadline < timeout,
                "{}: --timeout {deadline}s >= timeoutSeconds {timeout}",
                r.name
            );
            // The two failure policies agree.
            let api = webhook["failurePolicy"].as_str().unwrap().to_lowercase();
            assert_eq!(
                flag(&args, "--failure-policy"),
                Some(api.as_str()),
                "{}",
                r.name
            );
            assert_eq!(webhook["sideEffects"], "None", "{}", r.name);
            // The namespaces it needs to come back up are never guarded.
            let excluded = webhook["namespaceSelector"]["matchExpressions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn")
                .unwrap_or_else(|| panic!("{}: no namespace exclusion", r.name));
            for ns in ["kube-system", namespace] {
                assert!(
                    excluded["values"].as_array().unwrap().contains(&json!(ns)),
                    "{}: `{ns}` not excluded",
                    r.name
                );
            }
        }

        check_probes(
            r,
            &[("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")],
        );
        // The pods outlive their drain: preStop sleep + --shutdown-timeout.
        let grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            .as_f64()
            .unwrap();
        let sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            .as_f64()
            .unwrap_or(0.0);
        let drain = flag(&args, "--shutdown-timeout").map_or(20.0, seconds);
        assert!(
            grace > sleep + drain,
            "{}: grace {grace} <= {sleep} + {drain}",
            r.name
        );
        assert!(
            deployment["spec"]["replicas"].as_u64().unwrap() >= 2,
            "{}",
            r.name
        );
        assert!(
            !r.of_kind("PodDisruptionBudget").is_empty(),
            "{}: no PodDisruptionBudget",
            r.name
        );
    }
}

#[test]
fn the_inventory_containers_feed_the_server_with_the_rights_they_need() {
    let Some(renderings) = renderings() else {
        return;
    };
    for r in &renderings {
        let (deployment, webhook) = server_container(r);
        let pod = &deployment["spec"]["template"]["spec"];
        let namespace = deployment["metadata"]["namespace"].as_str().unwrap();
        let args = args_of(webhook);
        let inventory = flag(&args, "--inventory").expect("the webhook reads an inventory");
        let volume = webhook["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == inventory)
            .unwrap_or_else(|| panic!("{}: nothing mounted at {inventory}", r.name))["name"]
            .clone();

        // Every container that runs kubectl writes into that volume ...
        let writers: Vec<&Json> = pod["initContainers"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(pod["containers"].as_array().unwrap())
            .filter(|c| c["args"].to_string().contains("kubectl get"))
            .collect();
        assert_eq!(
            writers.len(),
            2,
            "{}: an init container and a sidecar",
            r.name
        );
        let service_account = pod["serviceAccountName"].as_str().unwrap();
        for writer in writers {
            let mount = writer["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"] == volume)
                .unwrap_or_else(|| {
                    panic!("{}: {} does not mount {volume}", r.name, writer["name"])
                });
            let dir = mount["mountPath"].as_str().unwrap();
            let script = writer["args"].to_string();
            assert!(
                script.contains(&format!("mv {dir}/.")),
                "{}: {} does not rename into {dir}: {script}",
                r.name,
                writer["name"]
            );
            // ... and may list every kind it gets, through the pod's service account.
            for kind in script
                .split("kubectl get ")
                .skip(1)
                .flat_map(|rest| rest.split_whitespace().next().unwrap().split(','))
            {
                let granted = r.of_kind("ClusterRoleBinding").iter().any(|binding| {
                    let bound = binding["subjects"].as_array().unwrap().iter().any(|s| {
                        s["kind"] == "ServiceAccount"
                            && s["name"] == service_account
                            && s["namespace"] == namespace
                    });
                    let role = r.named(
                        "ClusterRole",
                        "",
                        binding["roleRef"]["name"].as_str().unwrap(),
                    );
                    bound
                        && role.is_some_and(|role| {
                            role["rules"].as_array().unwrap().iter().any(|rule| {
                                rule["resources"].as_array().unwrap().contains(&json!(kind))
                                    && rule["verbs"].as_array().unwrap().contains(&json!("list"))
                            })
                        })
                });
                assert!(granted, "{}: `kubectl get {kind}` is not granted", r.name);
            }
        }
        assert!(
            r.named("ServiceAccount", namespace, service_account)
                .is_some(),
            "{}: ServiceAccount {service_account} not rendered",
            r.name
        );
    }
}

/// The token written into every mounted Secret.
const DEPLOYED_TOKEN: &str = "deployed-token";

/// A running server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `palisade` with the Deployment's own arguments, the mounted
/// volumes replaced by local directories holding what the cluster would
/// mount there: the rendered ConfigMap's files, a certificate for the
/// Service's DNS name, and the rendered Namespaces as the inventory sidecar
/// writes them.
fn serve_as_deployed(r: &Rendering, work: &Path) -> (Server, SocketAddr, String) {
    let (deployment, container) = server_container(r);
    let pod = &deployment["spec"]["template"]["spec"];
    // The Service is named as the Deployment (checked by the structure tests).
    let host = format!(
        "{}.{}.svc",
        r.service(),
        deployment["metadata"]["namespace"].as_str().unwrap()
    );

    let mut mounts = Vec::new();
    for mount in container["volumeMounts"].as_array().unwrap() {
        let name = mount["name"].as_str().unwrap();
        let volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{}: volume `{name}` not declared", r.name));
        let local = work.join(name);
        std::fs::create_dir_all(&local).unwrap();
        if let Some(cm) = volume.get("configMap") {
            let namespace = deployment["metadata"]["namespace"].as_str().unwrap();
            let map = r
                .named("ConfigMap", namespace, cm["name"].as_str().unwrap())
                .unwrap_or_else(|| panic!("{}: ConfigMap {cm} not rendered", r.name));
            for (key, value) in map["data"].as_object().unwrap() {
                std::fs::write(local.join(key), value.as_str().unwrap()).unwrap();
            }
        } else if volume.get("secret").is_some() {
            // The documented steps: `palisade admission cert` for the
            // Service's name, and a token.
            let out = palisade(&[
                "admission",
                "cert",
                "--dns",
                &host,
                "--out",
                local.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            std::fs::write(local.join("token"), DEPLOYED_TOKEN).unwrap();
        } else if volume.get("emptyDir").is_some() {
            let namespaces: Vec<String> = r
                .of_kind("Namespace")
                .iter()
                .map(|n| serde_json::to_string(n).unwrap())
                .collect();
            std::fs::write(local.join("namespaces.yaml"), namespaces.join("\n---\n")).unwrap();
        }
        mounts.push((mount["mountPath"].as_str().unwrap().to_owned(), local));
    }

    let args: Vec<String> = args_of(container)
        .into_iter()
        .map(|arg| {
            if arg.starts_with("--listen=") {
                return "--listen=127.0.0.1:0".to_owned();
            }
            // The database URL from the Secret: a local SQLite file here
            // (the console's own suite runs the store on a real PostgreSQL).
            if arg == "--db=$(PALISADE_CONSOLE_DB)" {
                return format!("--db={}", work.join("console.db").display());
            }
            for (path, local) in &mounts {
                if let Some((name, value)) = arg.split_once('=')
                    && let Some(rest) = value.strip_prefix(path.as_str())
                {
                    return format!("{name}={}{rest}", local.display());
                }
            }
            arg
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on https://") else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "{}: the server did not start with {args:?}:\n{}",
            r.name,
            text(&out.stderr)
        );
    };
    let addr = addr.parse().unwrap();
    // Its log (one line per decision here) fits the pipe; it is not read.
    let server = Server(child);
    (server, addr, host)
}

fn namespace_of(object: &Json) -> &str {
    object["metadata"]["namespace"].as_str().unwrap()
}

/// The API server's audit webhook as `deploy/console/audit` configures it:
/// (host, port, path with query) of its one cluster's `server`.
fn audit_webhook_target() -> (String, u64, String) {
    let path = repo().join("deploy/console/audit/webhook-kubeconfig.yaml");
    let loaded = palisade::manifest::load_path(&path);
    assert!(loaded.is_ok(), "{}: {:?}", path.display(), loaded.errors);
    let config = &loaded.objects[0].object;
    assert_eq!(config["kind"], "Config");
    let server = config["clusters"][0]["cluster"]["server"].as_str().unwrap();
    let rest = server.strip_prefix("https://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let (host, port) = authority.split_once(':').unwrap_or((authority, "443"));
    assert!(path.starts_with("/api/v1/audit?cluster="), "{server}");
    (host.to_owned(), port.parse().unwrap(), path.to_owned())
}

#[test]
fn the_deployed_arguments_serve_the_probe_and_webhook_paths() {
    let Some(renderings) = renderings() else {
        return;
    };
    for r in &renderings {
        let work = Scratch::new("serve");
        let (_server, addr, host) = serve_as_deployed(r, &work.0);
        let ca = std::fs::read(work.0.join("tls/ca.crt")).unwrap();
        let client = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .resolve(&host, addr)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let (deployment, container) = server_container(r);
        let url = |path: &str| format!("https://{host}:{}{path}", addr.port());

        // Every probe answers 200 once the policies are loaded.
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            let Some(path) = container[probe]["httpGet"]["path"].as_str() else {
                continue;
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let status = client
                    .get(url(path))
                    .send()
                    .map(|resp| resp.status().as_u16());
                if status.as_ref().is_ok_and(|s| *s == 200) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: {probe} {path}: {status:?}",
                    r.name
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        if !r.is_webhook() {
            // The API answers with the token from its Secret, and the
            // shipped rules load and detect the five behaviours.
            let get = |path: &str| -> Json {
                let response = client
                    .get(url(path))
                    .bearer_auth(DEPLOYED_TOKEN)
                    .send()
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200, "{}: {path}", r.name);
                serde_json::from_str(&response.text().unwrap()).unwrap()
            };
            assert_eq!(
                get("/api/v1/rules")["items"].as_array().unwrap().len(),
                5,
                "{}",
                r.name
            );
            let posture = get("/api/v1/posture");
            let runtime = posture["questions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["id"] == "runtime")
                .unwrap();
            assert!(
                runtime["evidence"]
                    .as_str()
                    .unwrap()
                    .starts_with("5 of 5 behaviours detected"),
                "{}: {runtime}",
                r.name
            );
            let refused = client.get(url("/api/v1/summary")).send().unwrap();
            assert_eq!(refused.status().as_u16(), 401, "{}: no token", r.name);
            // The API server's audit webhook (deploy/console/audit): the
            // kubeconfig names this Service and port, and the console takes
            // an audit event at its path with the deployed token.
            let target = audit_webhook_target();
            let svc = format!(
                "{}.{}.svc",
                deployment["metadata"]["name"].as_str().unwrap(),
                namespace_of(deployment)
            );
            assert_eq!(target.0, svc, "{}: the audit kubeconfig's host", r.name);
            check_service(
                r,
                deployment["metadata"]["name"].as_str().unwrap(),
                &json!(target.1),
            );
            let event = json!({
                "kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
                "items": [{
                    "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                    "auditID": "0f0f0f0f-0000-4000-8000-000000000001", "stage": "ResponseComplete",
                    "requestURI": "/api/v1/namespaces/shop/pods", "verb": "create",
                    "user": {"username": "alice"},
                    "objectRef": {"resource": "pods", "namespace": "shop", "apiVersion": "v1"},
                    "responseStatus": {"metadata": {}, "code": 201},
                    "requestReceivedTimestamp": "2026-12-07T05:00:00.000000Z",
                    "stageTimestamp": "2026-12-07T05:00:00.100000Z",
                }],
            });
            let response = client
                .post(url(&target.2))
                .bearer_auth(DEPLOYED_TOKEN)
                .header("Content-Type", "application/json")
                .body(event.to_string())
                .send()
                .unwrap();
            assert_eq!(
                response.status().as_u16(),
                200,
                "{}: POST {}",
                r.name,
                target.2
            );
            let answer: Json = serde_json::from_str(&response.text().unwrap()).unwrap();
            assert_eq!(answer["accepted"], 1, "{}: {answer}", r.name);
            continue;
        }

        // Each webhook path answers a review of the webhook's own pod: allowed.
        let namespace = deployment["metadata"]["namespace"].clone();
        let template = &deployment["spec"]["template"];
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "deploy-test",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "namespace": namespace,
                "operation": "CREATE",
                "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
                "object": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": "palisade-webhook-test",
                        "namespace": namespace,
                        "labels": template["metadata"]["labels"],
                    },
                    "spec": template["spec"],
                },
            },
        });
        for (path, _) in webhooks(r) {
            let resp = client
                .post(url(path))
                .header("Content-Type", "application/json")
                .body(review.to_string())
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{}: POST {path}", r.name);
            let answer: Json = serde_json::from_str(&resp.text().unwrap()).unwrap();
            assert_eq!(answer["response"]["uid"], "deploy-test", "{}", r.name);
            assert_eq!(answer["response"]["allowed"], true, "{}: {answer}", r.name);
        }
        // `/mutate` remediates a Pod that misses the restricted settings
        // only where the remediation pack is served (the remediation
        // overlay): the base registers `/mutate` but mutates nothing.
        let mut bare = review.clone();
        bare["request"]["object"]["spec"] = json!({
            "containers": [{"name": "app", "image": "registry.example/app:1.0"}],
        });
        let resp = client
            .post(url("/mutate"))
            .header("Content-Type", "application/json")
            .body(bare.to_string())
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{}: POST /mutate", r.name);
        let answer: Json = serde_json::from_str(&resp.text().unwrap()).unwrap();
        assert_eq!(answer["response"]["allowed"], true, "{}: {answer}", r.name);
        let remediates = args_of(container).iter().any(|a| a == "--remediation-pack");
        assert_eq!(
            remediates,
            r.name.ends_with("remediation"),
            "{}: --remediation-pack",
            r.name
        );
        assert_eq!(
            answer["response"]["patchType"] == "JSONPatch",
            remediates,
            "{}: {answer}",
            r.name
        );
    }
}

// ---------------------------------------------------------------------------
// The Dockerfile (base images cannot be pulled here: checked as text)

/// The Dockerfile's stages: (FROM line, instructions after it).
fn stages(dockerfile: &str) -> Vec<(String, Vec<String>)> {
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    let mut logical = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() && logical.is_empty() {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let instruction = std::mem::take(&mut logical);
        if instruction.to_uppercase().starts_with("FROM ") {
            stages.push((instruction, Vec::new()));
        } else if let Some((_, body)) = stages.last_mut() {
            body.push(instruction);
        }
    }
    stages
}

#[test]
fn dockerfile_builds_in_one_stage_and_runs_non_root_in_a_minimal_one() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let stages = stages(&dockerfile);
    assert!(stages.len() >= 2, "not multi-stage: {stages:?}");
    let (build_from, build) = &stages[0];
    assert!(build_from.contains(" AS build"), "{build_from}");
    assert!(
        build.iter().any(|i| i.starts_with("RUN ")
            && i.contains("cargo build --release --locked -p palisade-cli")),
        "the build stage does not build the binary from Cargo.lock: {build:?}"
    );

    let (runtime_from, runtime) = stages.last().unwrap();
    assert!(
        runtime_from.contains("distroless"),
        "runtime stage not minimal: {runtime_from}"
    );
    // Nothing runs in the runtime stage: it needs no shell.
    assert!(
        runtime.iter().all(|i| !i.starts_with("RUN ")),
        "the runtime stage runs commands: {runtime:?}"
    );
    let user = runtime
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap();
    let uid: u64 = uid
        .parse()
        .unwrap_or_else(|_| panic!("USER `{user}` is not numeric (runAsNonRoot needs a number)"));
    assert_ne!(uid, 0, "USER is root");

    let copy = runtime
        .iter()
        .find(|i| i.starts_with("COPY --from=build "))
        .expect("the binary is copied from the build stage");
    let binary = copy.split_whitespace().last().unwrap();
    let entrypoint = runtime
        .iter()
        .find_map(|i| i.strip_prefix("ENTRYPOINT "))
        .expect("ENTRYPOINT");
    let entrypoint: Vec<String> =
        serde_json::from_str(entrypoint).expect("ENTRYPOINT in exec form");
    assert_eq!(entrypoint, [binary], "ENTRYPOINT is the copied binary");
    assert_eq!(binary, "/usr/local/bin/palisade");

    // The manifests run that image as that user, and .dockerignore keeps the
    // build output and history out of the context.
    let deployment =
        std::fs::read_to_string(repo().join("deploy/webhook/base/deployment.yaml")).unwrap();
    assert!(
        deployment.contains(&format!("runAsUser: {uid}")),
        "deploy/ runs another user"
    );
    let kustomization =
        std::fs::read_to_string(repo().join("deploy/webhook/base/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- name: palisade\n"),
        "the image `palisade` is not set in one place"
    );
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    for entry in ["target/", ".git/"] {
        assert!(
            ignore.lines().any(|l| l.trim() == entry),
            ".dockerignore lacks `{entry}`"
        );
    }
}

/// `major.minor` as numbers.
fn rust_version(text: &str) -> (u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}

#[test]
fn the_build_stage_and_the_declared_rust_are_new_enough_for_the_locked_dependencies() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let image = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("ARG RUST_VERSION="))
        .expect("the Dockerfile names its Rust version in `ARG RUST_VERSION=`");
    let image = rust_version(image.trim());
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("the workspace declares `rust-version`");
    let declared = rust_version(declared.trim().trim_matches('"'));

    // The binary's dependency tree (normal and build dependencies, on Linux)
    // as Cargo.lock pins it, and the newest Rust any of them asks for.
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args([
            "--filter-platform",
            "x86_64-unknown-linux-gnu",
            "--manifest-path",
        ])
        .arg(repo().join("Cargo.toml"))
        .output()
        .unwrap();
    if !out.status.success() {
        println!(
            "notice: `cargo metadata --offline` failed, the Rust version check is skipped: {}",
            text(&out.stderr)
        );
        return;
    }
    let metadata: Json = serde_json::from_slice(&out.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    let root = packages
        .iter()
        .find(|p| p["name"] == "palisade-cli")
        .unwrap()["id"]
        .clone();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![root];
    let mut newest = ((0, 0), String::new());
    while let Some(id) = todo.pop() {
        if !seen.insert(id.to_string()) {
            continue;
        }
        let package = packages.iter().find(|p| p["id"] == id).unwrap();
        if let Some(wanted) = package["rust_version"].as_str() {
            let wanted = rust_version(wanted);
            if wanted > newest.0 {
                newest = (wanted, package["name"].as_str().unwrap().to_owned());
            }
        }
        let node = nodes.iter().find(|n| n["id"] == id).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            let shipped = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if shipped {
                todo.push(dep["pkg"].clone());
            }
        }
    }
    assert!(
        image >= newest.0,
        "the build stage's Rust {image:?} is older than {:?}, which `{}` needs",
        newest.0,
        newest.1
    );
    assert!(
        declared >= newest.0,
        "Cargo.toml's `rust-version` {declared:?} is older than {:?}, which `{}` needs",
        newest.0,
        newest.1
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let promise = format!("({}.{} or newer)", declared.0, declared.1);
    assert!(
        readme.contains(&promise),
        "README.md's quick start does not say `{promise}`"
    );
}
