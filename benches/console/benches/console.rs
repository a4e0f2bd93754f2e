//! The console over HTTPS on loopback, SQLite store (the default), in this
//! process (server and client share the machine's two cores):
//!
//! - `console/ingest_events`: `POST /api/v1/events` with batches of 10,000
//!   flat events (a tenth fire one of the example rules, over 100 distinct
//!   alerts; the rest match nothing), with parsing, matching, dedup, storage
//!   and the answer; throughput in events per second;
//! - `console/summary_1m_alerts`: `GET /api/v1/summary` with 1,000,000
//!   distinct stored alerts (the store is filled once, directly, before);
//! - `console/{overview,runtime}_page_1m_alerts`, `runtime_page_deep_1m_alerts`:
//!   the web pages `/` and `/runtime` (first page, and a page 500,000
//!   alerts deep) over the same alerts.
//!
//! The peak resident memory of the process with 1M alerts stored and
//! served is printed at the end (`VmHWM`), as `docs/performance.md` records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_wrap,
    reason = "a benchmark fails by panicking"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_console::ConsoleConfig;
use palisade_console::store::{NewAlert, Store};

const BATCH: usize = 10_000;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A batch: one event in ten fires a rule (shell or sensitive read in one
/// of 50 containers), the others are reads of ordinary files.
fn batch() -> String {
    let mut out = String::with_capacity(BATCH * 160);
    for i in 0..BATCH {
        let line = match i % 20 {
            0 => format!(
                r#"{{"evt.type": "execve", "evt.dir": "<", "proc.name": "bash", "proc.pid": {i}, "proc.cmdline": "bash -i", "proc.tty": 34816, "container.id": "c{}", "user.name": "root"}}"#,
                i % 50
            ),
            10 => format!(
                r#"{{"evt.type": "openat", "evt.dir": "<", "evt.is_open_read": true, "fd.name": "/etc/shadow", "proc.name": "cat", "proc.pid": {i}, "container.id": "c{}"}}"#,
                i % 50
            ),
            _ => format!(
                r#"{{"evt.type": "openat", "evt.dir": "<", "evt.is_open_read": true, "fd.name": "/srv/app/data/{}.json", "proc.name": "app", "proc.pid": {i}, "container.id": "c{}"}}"#,
                i % 97,
                i % 50
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The console on the example data in `runtime`, with a client trusting
/// its development CA.
struct Running {
    base: String,
    client: reqwest::Client,
    _console: palisade_console::Running,
}

fn start(runtime: &tokio::runtime::Runtime, name: &str, db: &str) -> Running {
    let state = temp(name);
    let mut config = ConsoleConfig::new(examples());
    config.db = db.to_owned();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.state_dir = state.clone();
    config.rate_limit = u64::MAX / 2;
    let console = runtime.block_on(palisade_console::start(config)).unwrap();
    let ca = std::fs::read(state.join("console-ca.crt")).unwrap();
    Running {
        base: format!("https://localhost:{}", console.addr.port()),
        client: reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .build()
            .unwrap(),
        _console: console,
    }
}

/// The client's and the server's runtime: two threads, as the machine's cores.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn ingest(c: &mut Criterion) {
    let runtime = runtime();
    let dir = temp("ingest-db");
    let console = start(
        &runtime,
        "ingest",
        &dir.join("palisade.db").display().to_string(),
    );
    let body = batch();
    let url = format!("{}/api/v1/events", console.base);
    let mut group = c.benchmark_group("console");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("ingest_events", |b| {
        b.iter(|| {
            let response = runtime
                .block_on(console.client.post(&url).body(body.clone()).send())
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            black_box(runtime.block_on(response.bytes()).unwrap());
        });
    });
    group.finish();
    drop(console);
}

fn summary(c: &mut Criterion) {
    let runtime = runtime();
    let dir = temp("summary-db");
    let db = dir.join("palisade.db").display().to_string();
    runtime.block_on(async {
        let store = Store::open(&db).await.unwrap();
        const CHUNK: usize = 20_000;
        for chunk in 0..(1_000_000 / CHUNK) {
            let alerts: Vec<NewAlert> = (0..CHUNK)
                .map(|i| {
                    let n = chunk * CHUNK + i;
                    NewAlert {
                        cluster: format!("cluster-{}", n % 7),
                        rule: format!("rule {}", n % 40),
                        priority: if n.is_multiple_of(3) {
                            "Error"
                        } else {
                            "Warning"
                        }
                        .to_owned(),
                        severity: if n.is_multiple_of(3) { 4 } else { 3 },
                        output: format!(
                            "alert number {n} (container=c{} proc=p{})",
                            n % 1000,
                            n % 77
                        ),
                        fields: format!(r#"{{"container.id": "c{}"}}"#, n % 1000),
                        count: 1 + (n % 5) as i64,
                        first_seen: 1_700_000_000_000 + n as i64,
                        last_seen: 1_700_000_000_000 + n as i64,
                        routed: if n.is_multiple_of(3) {
                            "oncall"
                        } else {
                            "review"
                        }
                        .to_owned(),
                    }
                })
                .collect();
            store.upsert_alerts(&alerts).await.unwrap();
        }
    });
    let console = start(&runtime, "summary", &db);
    let url = format!("{}/api/v1/summary", console.base);
    let first: serde_json::Value = runtime.block_on(async {
        console
            .client
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(first["alerts"]["total"], 1_000_000, "{first}");
    let mut group = c.benchmark_group("console");
    // The summary, and the web pages over the same alerts (the runtime
    // page's first page, and one 500,000 alerts deep in the review list).
    for (name, path) in [
        ("summary_1m_alerts", "/api/v1/summary"),
        ("overview_page_1m_alerts", "/"),
        ("runtime_page_1m_alerts", "/runtime"),
        (
            "runtime_page_deep_1m_alerts",
            "/runtime?review_before=1700000500000.500001",
        ),
    ] {
        let url = format!("{}{path}", console.base);
        group.bench_function(name, |b| {
            b.iter(|| {
                let response = runtime.block_on(console.client.get(&url).send()).unwrap();
                assert_eq!(response.status().as_u16(), 200);
                black_box(runtime.block_on(response.bytes()).unwrap());
            });
        });
    }
    group.finish();
    // One page of alerts too, to have touched the table while measuring memory.
    runtime.block_on(async {
        let page = console
            .client
            .get(format!("{}/api/v1/alerts?limit=1000", console.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status
        .lines()
        .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
    {
        eprintln!("console with 1M alerts: {line}");
    }
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    eprintln!("console with 1M alerts: SQLite file {} MB", size >> 20);
    drop(console);
    std::thread::sleep(Duration::from_millis(200));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = ingest, summary
}
criterion_main!(benches);
