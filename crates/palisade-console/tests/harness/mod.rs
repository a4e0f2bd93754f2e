//! The console harness shared by the test files: a console started in
//! this process on a loopback port, and an HTTPS client trusting its
//! development CA.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test harness: each test file uses part of it, and it fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use palisade_console::ConsoleConfig;
use serde_json::Value;

pub const TOKEN: &str = "s3cret-token";

pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed")
}

pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-console-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Console {
    pub base: String,
    pub client: reqwest::Client,
    running: palisade_console::Running,
}

/// A client trusting only the development CA the console wrote in `state`.
pub fn client_trusting(state: &Path) -> reqwest::Client {
    let ca = std::fs::read(state.join("console-ca.crt")).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap()
}

impl Console {
    pub async fn start(config: ConsoleConfig) -> Console {
        let state = config.state_dir.clone();
        let running =
            tokio::time::timeout(Duration::from_secs(60), palisade_console::start(config))
                .await
                .unwrap()
                .unwrap();
        Console {
            base: format!("https://localhost:{}", running.addr.port()),
            client: client_trusting(&state),
            running,
        }
    }

    pub async fn stop(self) {
        self.running.stop().await.unwrap();
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body.to_owned()))
            .await
    }

    pub async fn put(&self, path: &str, body: &str) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body.to_owned()))
            .await
    }

    /// The body of `GET path` as text (YAML exports, Prometheus metrics),
    /// which must answer 200.
    pub async fn text(&self, path: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{body}");
        match body {
            Value::String(text) => text,
            other => other.to_string(),
        }
    }

    /// `POST path` with `body`: `None` when accepted (200 or 201), else
    /// the status and the answer's text (what a bad-input case expects).
    pub async fn refusal(&self, path: &str, body: &[u8]) -> Option<String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status != 200 && status != 201).then(|| format!("{status} {text}"))
    }

    /// Asserts that the text `GET path` answers holds every one of `parts`.
    pub async fn text_holds(&self, path: &str, parts: &[&str]) {
        let text = self.text(path).await;
        for part in parts {
            assert!(text.contains(part), "`{part}` not in {path}:\n{text}");
        }
    }

    /// The item named `name` of the list `GET path` answers
    /// (`/api/v1/rules`, `/api/v1/tags`).
    pub async fn named(&self, path: &str, name: &str) -> Value {
        let (status, list) = self.get(path).await;
        assert_eq!(status, 200, "{list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` in {path}: {list}"))
            .clone()
    }

    /// The rule named `name` as `GET /api/v1/rules` lists it.
    pub async fn rule(&self, name: &str) -> Value {
        self.named("/api/v1/rules", name).await
    }

    /// The tag named `name` as `GET /api/v1/tags` lists it.
    pub async fn tag(&self, name: &str) -> Value {
        self.named("/api/v1/tags", name).await
    }

    /// Posts [`APT`] to `path` (`/api/v1/events?...`), which must accept
    /// it; the alerts of its rule then stored.
    pub async fn apt(&self, path: &str) -> Vec<Value> {
        let (status, body) = self.post(path, APT).await;
        assert_eq!(status, 200, "{body}");
        self.alerts("Package manager in container").await
    }

    /// The whole answer to `GET path` (with the token): status, headers, body.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        let request = self.client.get(url).bearer_auth(TOKEN);
        request.send().await.unwrap()
    }

    pub async fn alerts(&self, rule: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/api/v1/alerts?rule={}", urlencode(rule)))
            .await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().unwrap().clone()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn config(name: &str, db: &str) -> ConsoleConfig {
    let state = temp(name);
    std::fs::write(state.join("token"), TOKEN).unwrap();
    let mut config = ConsoleConfig::new(examples());
    config.db = db.to_owned();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.state_dir = state;
    config.token = Some(TOKEN.to_owned());
    config
}

/// A Hubble record (`hubble observe -o json`) between two pods of the
/// example inventory, seen at `direction` with `verdict`.
pub fn hubble(verdict: &str, direction: &str, from: &[&str], to: &[&str], port: u16) -> String {
    let end = |labels: &[&str]| serde_json::json!({"namespace": labels[0], "labels": labels[1..].iter().map(|l| format!("k8s:{l}")).collect::<Vec<_>>()});
    serde_json::json!({"flow": {
        "time": "2026-12-07T04:00:00.000000001Z",
        "verdict": verdict,
        "traffic_direction": direction,
        "l4": {"TCP": {"source_port": 40000, "destination_port": port}},
        "source": end(from),
        "destination": end(to),
    }})
    .to_string()
}

pub const WEB: &[&str] = &["shop", "app=web", "tier=frontend"];
pub const API: &[&str] = &["shop", "app=api", "tier=backend"];
pub const DB: &[&str] = &["data", "app=db"];

/// A package manager run in a container (rule `Package manager in
/// container`, tags `container` and `software_mgmt`).
pub const APT: &str = r#"{"evt.type": "execve", "evt.dir": "<", "proc.name": "apt", "proc.cmdline": "apt install nmap", "container.id": "3ad7b26ded6d"}"#;
