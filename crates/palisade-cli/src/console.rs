//! `palisade console`: the console service (HTTPS API over every layer's
//! findings and alerts, posture, history in SQLite or PostgreSQL). The
//! service itself is the `palisade-console` crate; this is its command line.
//! `--demo` starts it on the example data with a built-in stream of events.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use palisade_console::ConsoleConfig;

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Policies of every layer: Gatekeeper, pattern policies, Falco rules,
    /// network policies (a directory, read recursively; reloaded on change).
    #[arg(long, value_name = "DIR", required_unless_present = "demo")]
    pub policies: Option<PathBuf>,
    /// Cluster objects (namespaces, workloads); reloaded on change.
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<PathBuf>,
    /// The name of the inventory's cluster.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub cluster: String,
    /// The store: an SQLite file (created on first run) or a
    /// `postgres://user@host:port/db` URL.
    #[arg(long, value_name = "URL", default_value = "palisade.db")]
    pub db: String,
    /// Where to listen (port 0 picks a free one; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// PEM certificate chain; without it a development certificate is made
    /// in `--state-dir` (its CA in `console-ca.crt`).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where a development certificate is written.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub state_dir: PathBuf,
    /// A file holding the bearer token every API call must carry.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The on-call sink: CRITICAL and ERROR alerts are POSTed here as JSON,
    /// once per alert per dedup window.
    #[arg(long, value_name = "URL")]
    pub oncall_url: Option<String>,
    /// Send the on-call sink Slack's incoming-webhook body (`{"text": ...}`).
    #[arg(long)]
    pub oncall_slack: bool,
    /// Repeats of an alert within this window reach on-call once.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = palisade::duration::parse)]
    pub dedup_window: Duration,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_body_bytes: usize,
    /// Events (or Falco alerts) accepted per second; batches beyond get 429.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub rate_limit: u64,
    /// How often the policy and inventory files are checked for change.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = palisade::duration::parse)]
    pub reload_interval: Duration,
    /// Start on the example data (`examples/data/mixed`, a fresh store
    /// `palisade-demo.db` in `--state-dir`)
    /// with a built-in stream of events.
    #[arg(long)]
    pub demo: bool,
}

/// The example data the demo runs on, found next to the binary's sources
/// or in the current directory.
fn demo_dir() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("examples/data/mixed"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed"),
    ];
    candidates.into_iter().find(|p| p.is_dir())
}

/// Runs `palisade console`.
pub fn run(out: &Output, args: ConsoleArgs) -> Exit {
    let _logs = crate::admission::serve::init_logging(out.json());
    let policies = match (&args.policies, args.demo) {
        (Some(p), _) => p.clone(),
        (None, _) => match demo_dir() {
            Some(d) => d,
            None => {
                out.error("the demo data (`examples/data/mixed`) is not here; run from the source tree or give --policies");
                return Exit::InputError;
            }
        },
    };
    let token = match &args.token_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            Ok(_) => {
                out.error(&format!("token file `{}` is empty", path.display()));
                return Exit::InputError;
            }
            Err(e) => {
                out.error(&format!("cannot read token file `{}`: {e}", path.display()));
                return Exit::InputError;
            }
        },
        None => None,
    };
    let mut config = ConsoleConfig::new(policies);
    config.inventory = args.inventory;
    config.cluster = args.cluster;
    config.db = if args.demo && args.db == "palisade.db" {
        // A fresh store for every demo, beside its certificate.
        let db = args.state_dir.join("palisade-demo.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        db.display().to_string()
    } else {
        args.db
    };
    config.listen = args.listen;
    config.tls = args.tls_cert.zip(args.tls_key);
    config.state_dir = args.state_dir;
    config.token = token;
    config.oncall_url = args.oncall_url;
    config.oncall_slack = args.oncall_slack;
    config.dedup_window = args.dedup_window;
    config.max_body_bytes = args.max_body_bytes;
    config.rate_limit = args.rate_limit;
    config.reload_interval = args.reload_interval;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("palisade-console")
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            out.error(&format!("cannot start the async runtime: {e}"));
            return Exit::InputError;
        }
    };
    let demo = args.demo;
    let events = config.policies.join("../events.jsonl");
    let result = runtime.block_on(palisade_console::serve(config, move |addr| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on https://{addr}");
        let _ = stdout.flush();
        if demo {
            let _ = writeln!(
                stdout,
                "demo: streaming the example events every 2s into the console"
            );
            tokio::spawn(palisade_console::demo::stream(addr, events));
        }
    }));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => Exit::Ok,
        Err(e) => {
            out.error(&e.to_string());
            Exit::InputError
        }
    }
}
