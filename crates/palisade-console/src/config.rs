//! The console's settings (`palisade console` flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the console runs.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Policies of every layer (a directory, read recursively).
    pub policies: PathBuf,
    /// Cluster objects (namespaces, workloads), when apart from the policies.
    pub inventory: Option<PathBuf>,
    /// The name of the inventory's cluster.
    pub cluster: String,
    /// The store: an SQLite file or `postgres://` URL.
    pub db: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The PEM certificate chain and key; a development pair is made in
    /// `state_dir` when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where a generated development certificate is written.
    pub state_dir: PathBuf,
    /// The bearer token every API call must carry, when set.
    pub token: Option<String>,
    /// The on-call sink (an HTTP webhook), when set.
    pub oncall_url: Option<String>,
    /// Send the on-call sink Slack's body (`{"text": ...}`) instead of plain JSON.
    pub oncall_slack: bool,
    /// Repeats of an alert within this window reach on-call once.
    pub dedup_window: Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Events (or Falco alerts) accepted per second, over all clients.
    pub rate_limit: u64,
    /// How often the policy and inventory files are checked for change.
    pub reload_interval: Duration,
    /// Alerts and runs older than this are deleted.
    pub retention: Duration,
}

impl ConsoleConfig {
    /// Settings with the documented defaults for `policies`.
    pub fn new(policies: PathBuf) -> ConsoleConfig {
        ConsoleConfig {
            policies,
            inventory: None,
            cluster: "default".to_owned(),
            db: "palisade.db".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            tls: None,
            state_dir: PathBuf::from("."),
            token: None,
            oncall_url: None,
            oncall_slack: false,
            dedup_window: Duration::from_secs(300),
            max_body_bytes: 16 << 20,
            rate_limit: 1_000_000,
            reload_interval: Duration::from_secs(2),
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}
