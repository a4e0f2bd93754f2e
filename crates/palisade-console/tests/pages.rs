//! The web pages in a real browser: a console started by the test on
//! loopback (HTTPS, SQLite), headless Chromium driven through WebDriver.
//! Data goes in through the API; the tests assert on what the pages show,
//! click their buttons, and check the change through the API. Each test
//! writes screenshots to `target/tmp/screenshots/`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests panic"
)]

mod browser;
mod harness;

use std::path::PathBuf;
use std::time::Duration;

use browser::Browser;
use fantoccini::Locator;
use harness::{Console, config};
use palisade_console::ConsoleConfig;
use serde_json::{Value, json};

/// The example event stream's event number `n` (one JSON line).
fn event(n: u64) -> String {
    let file = harness::examples().join("../events.jsonl");
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .find(|l| serde_json::from_str::<Value>(l).unwrap()["evt.num"] == n)
        .unwrap()
        .to_owned()
}

/// A read of `/etc/shadow` by `cat` (rule `Read sensitive file`, ERROR).
fn shadow() -> String {
    event(2)
}

/// An interactive shell in a container (rule `Terminal shell in container`, WARNING).
fn shell() -> String {
    event(1)
}

/// The settings of a console on the example data: SQLite, no token (the
/// login form has its own test).
fn pages_config(name: &str) -> ConsoleConfig {
    let mut config = config(name, "");
    config.db = config.state_dir.join("console.db").display().to_string();
    config.token = None;
    config
}

/// A console with `config`, and a browser; `None` when the browser is not
/// installed.
async fn launch(config: ConsoleConfig) -> Option<(Console, Browser)> {
    let console = Console::start(config).await;
    match Browser::start(&console.base).await {
        Some(browser) => Some((console, browser)),
        None => {
            console.stop().await;
            None
        }
    }
}

/// Ends the browser's session, then the console.
async fn finish(console: Console, browser: Browser) {
    browser.close().await;
    console.stop().await;
}

/// Runs `body` with a console started with `config` and a browser, then
/// ends both; without chromium or chromedriver the test returns after the
/// browser harness printed its notice.
macro_rules! with_browser {
    ($config:expr, |$console:ident, $browser:ident| $body:block) => {
        let Some(($console, $browser)) = launch($config).await else {
            return;
        };
        $body
        finish($console, $browser).await;
    };
}

/// Posts the first shell event; its alert (a WARNING) appears in the
/// open runtime page's review list without a reload.
async fn first_shell_appears(console: &Console, browser: &Browser) {
    let (status, _) = console.post("/api/v1/events", &shell()).await;
    assert_eq!(status, 200);
    review_count(browser, "Terminal shell in container", "1").await;
}

/// Waits until the review list's row of `rule` counts `n`.
async fn review_count(browser: &Browser, rule: &str, n: &str) {
    let cell = format!("#review tr[data-rule=\"{rule}\"] td.count");
    browser.wait_text(&cell, |t| t == n).await;
}

/// Posts `n` reads of `/etc/shadow` in one batch.
async fn post_shadows(console: &Console, n: usize) {
    let (status, body) = console
        .post("/api/v1/events", &vec![shadow(); n].join("\n"))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Clicks the `action` button (`enabled` or `mode`) of the rules-table
/// row `row` and waits until the row shows `shown`.
async fn switch(browser: &Browser, row: &str, action: &str, shown: &str) {
    let watch = if action == "enabled" { "state" } else { "mode" };
    browser
        .click_until(
            &format!("{row} button[data-action={action}]"),
            &format!("{row} .{watch}"),
            shown,
        )
        .await;
}

/// Chooses `value` in the select `select`, submits its form with `button`
/// and waits until the page's address carries `name=value`; its query.
async fn choose(browser: &Browser, select: &str, button: &str, name: &str, value: &str) -> String {
    browser.select(select, value).await;
    browser.click(button).await;
    let wanted = format!("{name}={value}");
    for _ in 0..100 {
        let url = browser.client.current_url().await.unwrap();
        let query = url.query().unwrap_or_default().to_owned();
        if query.split('&').any(|p| p == wanted) {
            return query;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page did not load with `{wanted}`");
}

/// The CSS selector of `rule`'s row in the rules table.
fn rule_row(rule: &str) -> String {
    format!("#rules tr[data-rule=\"{rule}\"]")
}

/// The overview: score, pillars and reasons, findings, alerts, coverage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_shows_the_posture_of_the_example_data() {
    with_browser!(pages_config("pages-overview"), |console, browser| {
        post_shadows(&console, 3).await;
        let (_, posture) = console.get("/api/v1/posture").await;
        let (_, summary) = console.get("/api/v1/summary").await;

        browser.open("/").await;
        assert_eq!(
            browser.client.title().await.unwrap(),
            "Overview · Palisade console"
        );
        assert_eq!(browser.text("#score").await, posture["score"].to_string());
        assert_eq!(
            browser.text("#form-score").await,
            posture["form_score"].to_string()
        );
        // Every pillar with its score and each reason for points lost.
        for pillar in posture["pillars"].as_array().unwrap() {
            let name = pillar["name"].as_str().unwrap();
            let card = format!("article[data-pillar=\"{name}\"]");
            let text = browser.text(&card).await;
            assert!(
                text.contains(&format!("{} / 100", pillar["score"])),
                "{text}"
            );
            for reason in pillar["reasons"].as_array().unwrap() {
                assert!(
                    text.contains(reason["reason"].as_str().unwrap()),
                    "{name}: {text}"
                );
            }
        }
        // Findings by layer and severity: the table adds up to the summary.
        for (layer, severities) in summary["findings"].as_object().unwrap() {
            for (severity, n) in severities.as_object().unwrap() {
                let cells = browser
                    .texts(&format!(
                        "#findings tr:has(th[scope=row]) td[data-severity=\"{severity}\"]"
                    ))
                    .await;
                let row = ["admission", "runtime", "network"]
                    .iter()
                    .position(|l| l == layer)
                    .unwrap();
                assert_eq!(cells[row], n.to_string(), "{layer}/{severity}");
            }
        }
        assert_eq!(browser.text("#alerts-total").await, "1");
        assert_eq!(browser.text("#alerts-oncall").await, "1");
        // Coverage at a glance: each policy with its share.
        let (_, coverage) = console.get("/api/v1/coverage").await;
        let rows = browser.texts("#coverage tbody tr").await;
        assert_eq!(rows.len(), coverage["items"].as_array().unwrap().len());
        assert!(
            rows.iter().any(|r| r.starts_with("disallow-privileged")
                && r.contains("3 of 4")
                && r.ends_with("75%")),
            "{rows:?}"
        );
        browser.screenshot("overview").await;
    });
}

/// The runtime page: the lists, the live stream, the rule switches, exceptions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_page_lists_alerts_live_and_its_buttons_tune_the_rules() {
    with_browser!(pages_config("pages-runtime"), |console, browser| {
        post_shadows(&console, 100).await;

        browser.open("/runtime").await;
        // The escalated list: the deduplicated alert with its count.
        let row = "#oncall tr[data-rule=\"Read sensitive file\"]";
        assert_eq!(browser.text(&format!("{row} td.count")).await, "100");
        let alert = &console.alerts("Read sensitive file").await[0];
        let text = browser.text(row).await;
        for key in ["first_seen", "last_seen", "output"] {
            assert!(text.contains(alert[key].as_str().unwrap()), "{key}: {text}");
        }
        assert_eq!(browser.count("#review tbody tr").await, 0);

        // Events posted now appear without a reload: a new alert (a WARNING:
        // the review list), a new count.
        first_shell_appears(&console, &browser).await;
        let (status, _) = console.post("/api/v1/events", &shadow()).await;
        assert_eq!(status, 200);
        browser
            .wait_text(&format!("{row} td.count"), |t| t == "101")
            .await;
        browser.screenshot("runtime").await;

        // Disable a rule from the page: the API says so, its events stop alerting.
        let shell_rule = rule_row("Terminal shell in container");
        assert_eq!(
            browser.text(&format!("{shell_rule} .state")).await,
            "enabled"
        );
        switch(&browser, &shell_rule, "enabled", "disabled").await;
        assert!(!rules_now(&console, "Terminal shell in container", "enabled").await);
        let (status, _) = console.post("/api/v1/events", &shell()).await;
        assert_eq!(status, 200);
        assert_eq!(
            console.alerts("Terminal shell in container").await[0]["count"],
            1
        );
        // And back on.
        switch(&browser, &shell_rule, "enabled", "enabled").await;
        assert!(rules_now(&console, "Terminal shell in container", "enabled").await);

        // Alert-only (observe) mode and back, from the page; the API agrees.
        let shadow_rule = rule_row("Read sensitive file");
        for (shown, stored) in [("alert-only", "observe"), ("alert", "alert")] {
            switch(&browser, &shadow_rule, "mode", shown).await;
            assert_eq!(rules(&console).await["Read sensitive file"]["mode"], stored);
        }

        // An exception pre-filled from the alert suppresses the next identical event.
        browser.open("/runtime").await;
        browser
            .click(&format!("{row} details.exception summary"))
            .await;
        let checked = browser
            .values(&format!("{row} input[type=checkbox]:checked"))
            .await;
        assert_eq!(
            checked,
            json!(["container.id", "fd.name", "proc.name"]),
            "the string fields outside evt.* are pre-checked"
        );
        browser
            .click(&format!("{row} form.exception button[type=submit]"))
            .await;
        browser
            .wait_text(&format!("{shadow_rule} td.exceptions"), |t| t == "1")
            .await;
        let (status, _) = console.post("/api/v1/events", &shadow()).await;
        assert_eq!(status, 200);
        assert_eq!(console.alerts("Read sensitive file").await[0]["count"], 101);
        let export = console.text("/api/v1/exceptions/export").await;
        assert!(export.contains("/etc/shadow"), "{export}");
    });
}

async fn rules(console: &Console) -> serde_json::Map<String, Value> {
    let (status, body) = console.get("/api/v1/rules").await;
    assert_eq!(status, 200);
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

async fn rules_now(console: &Console, rule: &str, key: &str) -> bool {
    rules(console).await[rule][key].as_bool().unwrap()
}

/// Markup and terminal escapes in alerts stay text, on the page and in the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_render_as_text() {
    with_browser!(pages_config("pages-hostile"), |console, browser| {
        let rule = "<img src=x onerror=alert(1)>";
        let output = "shell </code><script>alert(2)</script> \u{1b}[31mred\u{1b}[0m";
        let falco = json!({
            "output": output,
            "priority": "Critical",
            "rule": rule,
            "time": "2026-12-06T22:00:00Z",
            "output_fields": {"proc.name": "<b>sh</b>", "container.id": "\"><svg onload=alert(3)>"},
            "source": "syscall",
            "tags": [],
            "hostname": "node-1"
        });
        let (status, body) = console.post("/api/v1/falco", &falco.to_string()).await;
        assert_eq!(status, 200, "{body}");

        browser.open("/runtime").await;
        let row = "#oncall tbody tr";
        assert_eq!(browser.text(&format!("{row} th")).await, rule);
        assert_eq!(
            browser.text(&format!("{row} code.output")).await,
            "shell </code><script>alert(2)</script> \\u{1b}[31mred\\u{1b}[0m"
        );
        // Nothing of it became markup, and nothing ran.
        assert_eq!(
            browser
                .count("main img, main script, main svg, main b")
                .await,
            0
        );
        assert!(
            browser.client.get_alert_text().await.is_err(),
            "a dialog opened"
        );
        // The live stream's rows are as inert as the page's.
        let (status, _) = console.post("/api/v1/falco", &falco.to_string()).await;
        assert_eq!(status, 200);
        browser
            .wait_text(&format!("{row} td.count"), |t| t == "2")
            .await;
        assert_eq!(
            browser
                .count("main img, main script, main svg, main b")
                .await,
            0
        );
        browser
            .click(&format!("{row} details.exception summary"))
            .await;
        let values = browser.values("#oncall input[type=text]").await;
        assert_eq!(values, json!(["\"><svg onload=alert(3)>", "<b>sh</b>"]));
        assert!(browser.client.get_alert_text().await.is_err());
        browser.screenshot("runtime-hostile").await;
    });
}

/// With a token: the login form, the session cookie, the CSRF token, log-out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_the_pages_ask_for_it_once_and_buttons_carry_the_csrf_token() {
    let mut config = pages_config("pages-login");
    config.token = Some(harness::TOKEN.to_owned());
    with_browser!(config, |console, browser| {
        post_shadows(&console, 1).await;

        // A page without a session: the login form, which then leads back.
        browser.open("/runtime").await;
        let url = browser.client.current_url().await.unwrap();
        assert_eq!(
            (url.path(), url.query()),
            ("/login", Some("next=%2Fruntime"))
        );
        browser.screenshot("login").await;
        let field = browser
            .client
            .find(Locator::Css("input#token"))
            .await
            .unwrap();
        assert_eq!(browser.text("label[for=token]").await, "Console token");
        field.send_keys("not-the-token").await.unwrap();
        browser.click("form.login button[type=submit]").await;
        assert_eq!(
            browser.text("#login-problem").await,
            "That is not the console's token."
        );
        assert!(browser.client.get_all_cookies().await.unwrap().is_empty());
        browser
            .client
            .find(Locator::Css("input#token"))
            .await
            .unwrap()
            .send_keys(harness::TOKEN)
            .await
            .unwrap();
        browser.click("form.login button[type=submit]").await;
        browser
            .wait_text(
                "#oncall tr[data-rule=\"Read sensitive file\"] td.count",
                |t| t == "1",
            )
            .await;
        assert_eq!(
            browser.client.current_url().await.unwrap().path(),
            "/runtime"
        );
        let cookies = browser.client.get_all_cookies().await.unwrap();
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        let cookie = &cookies[0];
        assert_eq!(cookie.name(), "palisade_session");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");

        // The live stream works through the cookie: a new alert appears.
        first_shell_appears(&console, &browser).await;

        // The buttons work through the cookie and the page's CSRF token.
        let shell_rule = rule_row("Terminal shell in container");
        switch(&browser, &shell_rule, "enabled", "disabled").await;
        assert!(!rules_now(&console, "Terminal shell in container", "enabled").await);

        // The cookie alone reads, but changes nothing without the CSRF token;
        // a forged cookie reads nothing.
        let session = format!("palisade_session={}", cookie.value());
        let forged = format!("palisade_session=9999999999.{}", "0".repeat(64));
        let status = |method: reqwest::Method, path: &str, cookie: &str| {
            console
                .client
                .request(method, format!("{}/api/v1/{path}", console.base))
                .header("cookie", cookie.to_owned())
                .body(r#"{"enabled": false}"#)
                .send()
        };
        let put = reqwest::Method::PUT;
        let rule = "rules/Read%20sensitive%20file";
        for (method, path, cookie, expected) in [
            (put, rule, &session, 401),
            (reqwest::Method::GET, "rules", &forged, 401),
            (reqwest::Method::GET, "rules", &session, 200),
        ] {
            let answer = status(method.clone(), path, cookie).await.unwrap();
            assert_eq!(answer.status(), expected, "{method} {path} {cookie}");
        }
        assert!(rules_now(&console, "Read sensitive file", "enabled").await);

        // Log out: the cookie is gone, the pages ask again.
        browser.click("#logout").await;
        browser
            .wait_text("label[for=token]", |t| t == "Console token")
            .await;
        assert!(browser.client.get_all_cookies().await.unwrap().is_empty());
        browser.open("/").await;
        assert_eq!(browser.client.current_url().await.unwrap().path(), "/login");
    });
}

/// Points `config` at a copy of the example data; the copy's workloads file.
fn copy_examples(config: &mut ConsoleConfig) -> PathBuf {
    let policies = config.state_dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    for entry in std::fs::read_dir(harness::examples()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, policies.join(path.file_name().unwrap())).unwrap();
    }
    config.policies = policies.clone();
    policies.join("workloads.yaml")
}

/// A pod whose name is markup, in the example data's namespace `data`.
const HOSTILE_POD: &str = r#"---
apiVersion: v1
kind: Pod
metadata:
  name: "<img src=x onerror=alert(1)>"
  namespace: data
spec:
  containers:
    - name: c
      image: "registry.example/app:1"
"#;

/// The admission page: the violations, the namespace filter, hostile names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_page_filters_by_namespace_and_shows_hostile_names_as_text() {
    let mut config = pages_config("pages-admission");
    let workloads = copy_examples(&mut config);
    let text = std::fs::read_to_string(&workloads).unwrap() + HOSTILE_POD;
    std::fs::write(&workloads, text).unwrap();
    with_browser!(config, |console, browser| {
        browser.open("/admission").await;
        let objects = browser.texts("#violations tbody th").await;
        let hostile = "Pod data/<img src=x onerror=alert(1)>";
        assert!(objects.iter().any(|o| o == hostile), "{objects:?}");
        assert_eq!(browser.count("main img, main script").await, 0);
        assert!(
            browser.client.get_alert_text().await.is_err(),
            "a dialog opened"
        );
        let (_, all) = console.get("/api/v1/findings?layer=admission").await;
        assert_eq!(objects.len(), all["items"].as_array().unwrap().len());
        browser.screenshot("admission").await;

        // Filter by namespace: only that namespace's rows, as the API counts them.
        let filter = "form.filters button[type=submit]";
        choose(&browser, "#f-namespace", filter, "namespace", "shop").await;
        let namespaces = browser
            .client
            .execute(
                "return Array.from(document.querySelectorAll('#violations tbody tr')).map(r => r.dataset.namespace)",
                vec![],
            )
            .await
            .unwrap();
        let (_, shop) = console
            .get("/api/v1/findings?layer=admission&namespace=shop")
            .await;
        let expected = shop["items"].as_array().unwrap().len();
        assert!(expected > 0);
        assert_eq!(namespaces, json!(vec!["shop"; expected]));
    });
}

/// The overview's trend gains a point per audit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_trend_follows_the_audits() {
    let mut config = pages_config("pages-trend");
    config.reload_interval = Duration::from_millis(200);
    let workloads = copy_examples(&mut config);
    with_browser!(config, |console, browser| {
        let (_, before) = console.get("/api/v1/posture").await;
        let (_, first) = console.get("/api/v1/summary").await;
        // After `audits` runs, the trend goes from the first score to `last`.
        let trend_is = |audits: u32, last: Value| {
            let browser = &browser;
            let first = before["score"].clone();
            async move {
                browser.open("/").await;
                let caption = browser.text("figure.trend figcaption").await;
                let from = format!("Score over the last {audits} audits: from {first} on");
                assert!(caption.starts_with(&from), "{caption}");
                assert!(caption.contains(&format!(" to {last} on ")), "{caption}");
            }
        };
        trend_is(1, before["score"].clone()).await;

        // A new violating pod: the files change, the console audits again.
        let text = std::fs::read_to_string(&workloads).unwrap() + HOSTILE_POD;
        std::fs::write(&workloads, text).unwrap();
        let mut after = first.clone();
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            after = console.get("/api/v1/summary").await.1;
            if after["last_audit"] != first["last_audit"] {
                break;
            }
        }
        assert_ne!(after["last_audit"], first["last_audit"], "no second audit");
        trend_is(2, after["score"].clone()).await;
        let points = browser
            .client
            .execute(
                "return document.querySelector('#trend polyline').getAttribute('points').split(' ').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(points, json!(2));
    });
}

/// The policies page: coverage, findings, files, the export link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_page_shows_coverage_findings_and_files() {
    with_browser!(pages_config("pages-policies"), |console, browser| {
        // Policies: each with its coverage and findings, as the API has them.
        browser.open("/policies").await;
        let (_, coverage) = console.get("/api/v1/coverage").await;
        let rows = browser.texts("#policies tbody tr").await;
        assert_eq!(rows.len(), coverage["items"].as_array().unwrap().len());
        let (_, findings) = console
            .get("/api/v1/findings?policy=disallow-privileged")
            .await;
        let expected = findings["items"].as_array().unwrap().len();
        assert!(expected > 0);
        let row = rows
            .iter()
            .find(|r| r.starts_with("disallow-privileged"))
            .unwrap();
        assert!(row.ends_with(&format!("3 of 4 (75%) {expected}")), "{row}");
        let files = browser.texts("#files tbody tr").await;
        let (_, loaded) = console.get("/api/v1/policies").await;
        let expected: Vec<String> = loaded["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}",
                    f["file"].as_str().unwrap(),
                    f["kind"].as_str().unwrap(),
                    f["items"]
                )
            })
            .collect();
        assert_eq!(files, expected);
        let export = browser.attr("a[download]", "href").await;
        assert_eq!(export.as_deref(), Some("/api/v1/policies/export"));
        browser.screenshot("policies").await;
    });
}

/// The calculator: answers where nothing was measured, and the score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_calculator_takes_answers_where_nothing_was_measured() {
    // Only the Falco rules: nothing tells how admission is enforced.
    let mut config = pages_config("pages-score");
    let rules_only = config.state_dir.join("rules-only");
    std::fs::create_dir_all(&rules_only).unwrap();
    let rules = harness::examples().join("falco-rules.yaml");
    std::fs::copy(&rules, rules_only.join("falco-rules.yaml")).unwrap();
    config.policies = rules_only;
    with_browser!(config, |console, browser| {
        // The calculator: measured answers stand; the others can be changed,
        // and the score follows.
        browser.open("/score").await;
        let (_, posture) = console.get("/api/v1/posture").await;
        assert_eq!(
            browser.text("#calculated").await,
            posture["form_score"].to_string()
        );
        for question in posture["questions"].as_array().unwrap() {
            let id = question["id"].as_str().unwrap();
            let radios = browser.count(&format!("#q-{id} input[type=radio]")).await;
            let measured = question["source"] == "measured";
            assert_eq!(radios, if measured { 0 } else { 3 }, "{id}");
        }
        let admission = &posture["questions"][0];
        assert_eq!(admission["id"], "admission");
        assert_eq!(admission["source"], "answered", "{admission}");
        assert_eq!(admission["points"], 0, "{admission}");
        let points = admission["points"].as_i64().unwrap();
        browser.click("label[for=admission-yes]").await;
        browser.click("form.calculator button[type=submit]").await;
        let expected = posture["form_score"].as_i64().unwrap() - points + 20;
        browser
            .wait_text("#calculated", |t| t == expected.to_string())
            .await;
        // A measured answer cannot be overridden through the address.
        let runtime = &posture["questions"][1];
        assert_eq!(
            (
                &runtime["id"],
                &runtime["source"],
                runtime["points"].as_i64().unwrap() > 0
            ),
            (&json!("runtime"), &json!("measured"), true)
        );
        browser.open("/score?runtime=no").await;
        assert_eq!(
            browser.text("#calculated").await,
            posture["form_score"].to_string()
        );
        browser.screenshot("score").await;
    });
}

/// The network page: violations from observed flows, explain, the matrix
/// per namespace, the findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_page_explains_flows_and_shows_the_matrix() {
    with_browser!(pages_config("pages-network"), |console, browser| {
        // Observed flows: the web tier reached the database (the policies
        // deny it), the API's traffic was dropped (they allow it).
        let flows = [
            harness::hubble("FORWARDED", "INGRESS", harness::WEB, harness::DB, 5432),
            harness::hubble("FORWARDED", "INGRESS", harness::WEB, harness::DB, 5432),
            harness::hubble("DROPPED", "INGRESS", harness::API, harness::DB, 5432),
            harness::hubble("FORWARDED", "INGRESS", harness::API, harness::DB, 5432),
        ];
        let (status, body) = console
            .post("/api/v1/flows?cluster=edge-1", &flows.join("\n"))
            .await;
        assert_eq!(status, 200, "{body}");
        browser.open("/network").await;
        let (_, stored) = console.get("/api/v1/flows").await;
        assert_eq!(
            browser.count("#flow-findings tbody tr").await,
            stored["items"].as_array().unwrap().len()
        );
        let rows = browser.texts("#flow-findings tbody tr").await;
        assert_eq!(rows.len(), 2, "{rows:?}");
        let web = rows
            .iter()
            .find(|r| r.contains("shop/web → data/db TCP/5432"))
            .unwrap_or_else(|| panic!("{rows:?}"));
        assert!(web.starts_with("drift error"), "{web}");
        assert!(
            web.contains("FORWARDED (ingress), policies: denied"),
            "{web}"
        );
        assert!(web.contains("edge-1"), "{web}");
        let api = rows
            .iter()
            .find(|r| r.contains("shop/api → data/db"))
            .unwrap();
        assert!(
            api.starts_with("drift warning") && api.contains("DROPPED"),
            "{api}"
        );

        // Explain, through the form: the API may reach the database, the web
        // front end may not; each with the policy that decided.
        browser.type_in("#from", "shop/api").await;
        browser.type_in("#to", "data/db").await;
        browser.type_in("#port", "5432").await;
        browser.click("#explain-h + form button[type=submit]").await;
        let verdict = browser
            .wait_text("#verdict", |t| t.starts_with("ALLOWED"))
            .await;
        assert!(
            verdict.contains("ingress: allowed by NetworkPolicy data/db-from-api spec.ingress[0]"),
            "{verdict}"
        );
        browser
            .open("/network?from=shop%2Fweb&to=data%2Fdb&port=5432&protocol=TCP")
            .await;
        let verdict = browser.text("#verdict").await;
        let denied = (
            "DENIED shop/web → data/db TCP/5432",
            "isolated by NetworkPolicy data/db-from-api",
        );
        assert!(
            verdict.starts_with(denied.0) && verdict.contains(denied.1),
            "{verdict}"
        );
        browser
            .open("/network?from=%3Cb%3Enope&to=data%2Fdb&port=5432")
            .await;
        assert_eq!(
            browser.text("#verdict").await,
            "no workload `<b>nope` (give NS/NAME, NS/NAME[Kind] or an IP address)"
        );
        assert_eq!(browser.count("main b").await, 0);

        // The matrix of a namespace: default deny closes `data` to itself.
        browser.select("#namespace", "data").await;
        browser.click("#matrix-h + form button[type=submit]").await;
        browser
            .wait_text("#matrix caption", |t| t.contains(" of data "))
            .await;
        let cells = browser.texts("#matrix tbody td").await;
        assert!(
            !cells.is_empty() && cells.iter().all(|c| c == "—"),
            "{cells:?}"
        );
        browser.screenshot("network").await;

        // The network audit's findings, as the API lists them (after them
        // it lists the flow findings).
        let (_, findings) = console
            .get("/api/v1/findings?layer=network&limit=1000")
            .await;
        let audit = findings["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["flow"].is_null())
            .count();
        assert_eq!(browser.count("#network-findings tbody tr").await, audit);
    });
}

/// What every page must have to be usable with a keyboard and a screen
/// reader: a language, one `h1`, a skip link to `main`, the current page
/// marked in the navigation, a label for every form control, a caption and
/// column headers for every table; and no request to another origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_labelled_and_loads_nothing_from_elsewhere() {
    with_browser!(pages_config("pages-a11y"), |console, browser| {
        post_shadows(&console, 1).await;
        const CHECK: &str = r#"
            const problems = [];
            if (!document.documentElement.lang) problems.push("no lang");
            if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
            const skip = document.querySelector("a.skip");
            if (!skip || !document.querySelector(skip.getAttribute("href"))) problems.push("no skip link");
            if (!document.querySelector("nav [aria-current=page]")) problems.push("no current page");
            for (const c of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
                const labelled = (c.id && document.querySelector(`label[for="${c.id}"]`)) || c.getAttribute("aria-label");
                if (!labelled) problems.push("unlabelled " + (c.name || c.id));
            }
            for (const t of document.querySelectorAll("table")) {
                if (!t.caption) problems.push("no caption: " + t.id);
                if (!t.querySelector("th[scope=col]")) problems.push("no column headers: " + t.id);
            }
            for (const e of performance.getEntriesByType("resource")) {
                if (new URL(e.name).origin !== location.origin) problems.push("elsewhere: " + e.name);
            }
            return problems;
        "#;
        for path in [
            "/",
            "/admission",
            "/runtime",
            "/network?from=shop%2Fapi&to=data%2Fdb&port=5432",
            "/policies",
            "/score",
        ] {
            browser.open(path).await;
            browser.text("h1").await;
            let problems = browser.client.execute(CHECK, vec![]).await.unwrap();
            assert_eq!(problems, json!([]), "{path}");
        }
    });
}

/// The runtime lists page through their alerts, newest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_lists_page_through_the_alerts() {
    with_browser!(pages_config("pages-paging"), |console, browser| {
        // 60 distinct alerts (one container each), seen one second apart.
        let batch: Vec<String> = (0..60_u64)
            .map(|i| {
                let mut event: Value = serde_json::from_str(&shadow()).unwrap();
                event["container.id"] = json!(format!("c{i:02}"));
                event["evt.time"] = json!(1_796_000_000_000_000_000_u64 + i * 1_000_000_000);
                event.to_string()
            })
            .collect();
        let (status, body) = console.post("/api/v1/events", &batch.join("\n")).await;
        assert_eq!(status, 200, "{body}");
        browser.open("/runtime").await;
        let outputs = browser.texts("#oncall tbody code.output").await;
        assert_eq!(outputs.len(), 50);
        assert!(outputs[0].contains("container=c59"), "{outputs:?}");
        assert!(outputs[49].contains("container=c10"), "{outputs:?}");
        browser.click("a[rel=next]").await;
        browser
            .wait_text("#oncall tbody tr:first-child code.output", |t| {
                t.contains("container=c09")
            })
            .await;
        let older = browser.texts("#oncall tbody code.output").await;
        assert_eq!(older.len(), 10, "{older:?}");
        assert!(older[9].contains("container=c00"), "{older:?}");
        assert_eq!(browser.count("a[rel=next]").await, 0);
    });
}

/// The overview's cluster picker: the counts narrow to the cluster picked
/// (alerts, flow findings; the audit's findings are the inventory's
/// cluster's), and back to all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_cluster_picker_narrows_the_counts() {
    with_browser!(pages_config("pages-clusters"), |console, browser| {
        post_shadows(&console, 2).await;
        let falco = json!({"output": "x", "priority": "Critical", "rule": "Edge rule"});
        let (status, _) = console
            .post("/api/v1/falco?cluster=edge-1", &falco.to_string())
            .await;
        assert_eq!(status, 200);
        let flow = harness::hubble("FORWARDED", "INGRESS", harness::WEB, harness::DB, 5432);
        let (status, _) = console.post("/api/v1/flows?cluster=edge-1", &flow).await;
        assert_eq!(status, 200);

        browser.open("/").await;
        let options = browser.values("#cluster option").await;
        assert_eq!(options, json!(["", "default", "edge-1"]));
        assert_eq!(browser.text("#alerts-total").await, "2");

        let picker = "#cluster-picker button[type=submit]";
        choose(&browser, "#cluster", picker, "cluster", "edge-1").await;
        assert_eq!(browser.text("#alerts-h").await, "Alerts of edge-1");
        let (_, edge) = console.get("/api/v1/summary?cluster=edge-1").await;
        assert_eq!(
            browser.text("#alerts-total").await,
            edge["alerts"]["total"].to_string()
        );
        assert_eq!(browser.text("#alerts-total").await, "1");
        // Only the flow finding: no admission row counts, one network error.
        let totals = browser.texts("#findings tbody tr td:last-child").await;
        assert_eq!(totals, vec!["0", "0", "1"], "{totals:?}");
        assert!(
            browser
                .text("#findings caption")
                .await
                .ends_with("of cluster edge-1")
        );
        browser.screenshot("overview-cluster").await;

        choose(&browser, "#cluster", picker, "cluster", "").await;
        assert_eq!(browser.text("#alerts-h").await, "Alerts");
        assert_eq!(browser.text("#alerts-total").await, "2");
    });
}

/// The severities of the violations' rows, in the order shown.
async fn shown(browser: &Browser, attribute: &str) -> Vec<String> {
    let values = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#violations tbody tr')).map(r => r.getAttribute(arguments[0]))",
            vec![json!(attribute)],
        )
        .await
        .unwrap();
    serde_json::from_value(values).unwrap()
}

/// The admission page: sorting by a column header (both ways), each row's
/// links to its object and its policy, the fix's patch and the fixed
/// manifest to download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_page_sorts_links_and_offers_the_fixed_manifest() {
    // A second constraint that only warns: every workload names its team.
    let mut config = pages_config("pages-admission-fix");
    let workloads = copy_examples(&mut config);
    std::fs::write(
        workloads.with_file_name("constraint-team.yaml"),
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sRequiredLabels\nmetadata:\n  name: workloads-should-name-a-team\nspec:\n  enforcementAction: warn\n  match:\n    kinds:\n      - apiGroups: [\"\", \"apps\"]\n        kinds: [\"Pod\", \"Deployment\", \"StatefulSet\"]\n  parameters:\n    labels: [\"team\"]\n",
    )
    .unwrap();
    with_browser!(config, |console, browser| {
        browser.open("/admission").await;
        // Most urgent first.
        let rank = |s: &String| std::cmp::Reverse(s.parse::<palisade::Severity>().unwrap());
        browser.click("a.sort[data-sort=severity]").await;
        browser
            .wait_text("th[aria-sort=ascending]", |t| t == "Severity")
            .await;
        let severities = shown(&browser, "data-severity").await;
        assert!(severities.len() > 2, "{severities:?}");
        let ranks: Vec<_> = severities.iter().map(rank).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{severities:?}");
        assert_ne!(ranks.first(), ranks.last(), "{severities:?}");
        browser.click("a.sort[data-sort=severity]").await;
        browser
            .wait_text("th[aria-sort=descending]", |t| t == "Severity")
            .await;
        let ranks: Vec<_> = shown(&browser, "data-severity")
            .await
            .iter()
            .map(rank)
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
        browser.click("a.sort[data-sort=policy]").await;
        browser
            .wait_text("th[aria-sort=ascending]", |t| t == "Policy")
            .await;
        let policies = shown(&browser, "data-policy").await;
        let mut sorted = policies.clone();
        sorted.sort();
        assert_eq!(policies, sorted);
        // Filtering keeps the order.
        let filter = "form.filters button[type=submit]";
        let query = choose(&browser, "#f-namespace", filter, "namespace", "shop").await;
        assert!(query.contains("sort=policy"), "{query}");

        // The debug pod runs as root with a shell: fixable; its patch shows.
        let row = "#violations tbody tr:has(a.object[href*='name=debug'])";
        assert!(browser.count(&format!("{row} details.fix")).await > 0);
        browser.click(&format!("{row} details.fix summary")).await;
        let patch = browser.text(&format!("{row} ol.patch")).await;
        assert!(patch.contains("/spec/securityContext"), "{patch}");
        browser.screenshot("admission-fix").await;

        // The download is the fixed manifest, as YAML, as an attachment.
        let href = browser
            .attr(&format!("{row} a.download"), "href")
            .await
            .unwrap();
        let response = console.fetch(&href).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["content-disposition"],
            "attachment; filename=\"Pod-shop-debug.fixed.yaml\""
        );
        let fixed = response.text().await.unwrap();
        assert!(
            fixed.contains("name: debug") && fixed.contains("runAsNonRoot: true"),
            "{fixed}"
        );

        // The policy link lands on the policy's row.
        let policy = browser
            .attr(&format!("{row} a.policy"), "href")
            .await
            .unwrap();
        let anchor = policy.strip_prefix("/policies#").unwrap().to_owned();
        browser.click(&format!("{row} a.policy")).await;
        browser
            .wait_text(&format!("tr#{anchor} th"), |t| !t.is_empty())
            .await;
        // The object link: its manifest, its violations, its fix.
        browser.client.back().await.unwrap();
        browser.click(&format!("{row} a.object")).await;
        browser
            .wait_text("#object-h", |t| t == "Pod shop/debug")
            .await;
        assert!(browser.text("#manifest").await.contains("name: debug"));
        assert!(browser.count("#object-violations li").await > 0);
        assert!(browser.text("#download").await.starts_with("Download"));
        browser.screenshot("admission-object").await;
    });
}

/// The runtime page's tags: switching one off stops its rules' alerts,
/// switching it on again lets the next one through, live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_tags_switch_off_and_on() {
    with_browser!(pages_config("pages-tags"), |console, browser| {
        browser.open("/runtime").await;
        let row = "#tags tr[data-tag=software_mgmt]";
        assert_eq!(browser.text(&format!("{row} td")).await, "1");
        browser
            .click_until(
                &format!("{row} button[data-action=tag]"),
                &format!("{row} .state"),
                "off",
            )
            .await;
        let tag = console.tag("software_mgmt").await;
        assert_eq!(tag["enabled"], false, "{tag}");
        assert!(console.apt("/api/v1/events").await.is_empty());
        browser.screenshot("runtime-tags").await;

        browser
            .click_until(
                &format!("{row} button[data-action=tag]"),
                &format!("{row} .state"),
                "on",
            )
            .await;
        assert_eq!(console.apt("/api/v1/events").await.len(), 1);
        review_count(&browser, "Package manager in container", "1").await;
    });
}
