//! Headless Chromium driven through WebDriver (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`): the pages' browser tests.
//! When either program is absent, [`Browser::start`] prints a notice and
//! gives `None`, and the test returns without asserting (it says so).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test harness fails by panicking"
)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long a page has to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// A program on `PATH`, by the first of `names` found.
fn program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Where screenshots go: `target/tmp/screenshots/` (CI keeps them).
pub fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// A chromedriver process and a WebDriver session on headless Chromium.
pub struct Browser {
    pub client: Client,
    driver: Child,
    base: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at 1280x800 that trusts
    /// the console's development certificate (`acceptInsecureCerts`: the
    /// certificate is made per test run). `None`, with a notice, when
    /// chromium or chromedriver is not installed.
    pub async fn start(base: &str) -> Option<Browser> {
        let (Some(chromium), Some(chromedriver)) = (
            program(&["chromium", "chromium-browser", "google-chrome"]),
            program(&["chromedriver"]),
        ) else {
            eprintln!(
                "notice: chromium or chromedriver is absent (Debian packages `chromium` and `chromium-driver`): the browser tests do not run"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group: dropping the browser ends chromedriver
        // and the Chromium it started, even when a test panics.
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut args = vec![
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,800",
            "--lang=en-US",
        ];
        // Chromium's sandbox refuses to run as root (CI containers).
        if is_root() {
            args.push("--no-sandbox");
        }
        let mut caps = serde_json::Map::new();
        caps.insert("acceptInsecureCerts".into(), json!(true));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < PATIENCE => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Some(Browser {
            client,
            driver,
            base: base.to_owned(),
        })
    }

    /// Opens `path` of the console.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The text of the first element matching `css`, when there is one
    /// (`None` too when the live stream replaced it while it was read).
    async fn try_text(&self, css: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()
    }

    /// The text of the first element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> String {
        self.wait_text(css, |_| true).await
    }

    /// The texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(element.text().await.unwrap());
        }
        out
    }

    /// The `value` of every form field matching `css` (what the user would
    /// submit, which `text()` does not show), as a JSON array.
    pub async fn values(&self, css: &str) -> serde_json::Value {
        self.client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.value)",
                vec![json!(css)],
            )
            .await
            .unwrap()
    }

    /// The attribute `name` of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.attr(name).await.unwrap()
    }

    /// Types `text` into the field matching `css`.
    pub async fn type_in(&self, css: &str, text: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.send_keys(text).await.unwrap();
    }

    /// Chooses `value` in the `select` element matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.select_by_value(value).await.unwrap();
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// Waits until there is an element matching `css` whose text satisfies
    /// `ok`; panics with the last text seen after [`PATIENCE`].
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let text = self.try_text(css).await;
            if let Some(text) = &text
                && ok(text)
            {
                return text.clone();
            }
            if started.elapsed() > PATIENCE {
                match text {
                    Some(text) => {
                        panic!("`{css}` did not change as expected; its text is `{text}`")
                    }
                    None => panic!("no `{css}` on the page"),
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css` (waiting for it, and again
    /// when the live stream replaced it under the click).
    pub async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            let clicked = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match clicked {
                Ok(()) => return,
                Err(e) if started.elapsed() > PATIENCE => panic!("cannot click `{css}`: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Clicks `button` (a CSS selector) and waits until the text of `watch` is `expected`.
    pub async fn click_until(&self, button: &str, watch: &str, expected: &str) {
        self.click(button).await;
        self.wait_text(watch, |t| t == expected).await;
    }

    /// Writes a screenshot of the window to `screenshots()/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session, then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and its Chromium.
        let _ = Command::new("kill")
            .arg("--")
            .arg(format!("-{}", self.driver.id()))
            .status();
        let _ = self.driver.wait();
    }
}

/// Whether this process runs as root (Chromium then needs `--no-sandbox`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
