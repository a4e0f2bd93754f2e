//! What every request handler shares: the state of one running webhook.
//! A leaf module: the server builds it, the handlers and the reload loop
//! read it, and it imports none of them.

use std::sync::Arc;
use std::time::Duration;

use palisade_console::forward::Forwarder;
use tokio::sync::Semaphore;

use super::args::FailurePolicy;
use super::inventory::InventoryStore;
use super::metrics::Metrics;
use super::policies::PolicyStore;

/// What every request handler shares.
#[derive(Debug)]
pub struct App {
    /// The policy set being served.
    pub store: PolicyStore,
    /// The cluster objects policies look up (empty without `--inventory`).
    pub inventory: InventoryStore,
    /// Whether `--inventory` was given (then a namespace missing from it is
    /// counted).
    pub has_inventory: bool,
    /// The metrics.
    pub metrics: Metrics,
    /// The evaluation deadline of one request.
    pub timeout: Duration,
    /// What to answer when the deadline passes.
    pub failure_policy: FailurePolicy,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Turns to evaluate: one per core.
    pub evaluations: Arc<Semaphore>,
    /// Where decisions are forwarded (`--console`).
    pub console: Option<Forwarder>,
}
