//! Prometheus metrics of the console (`GET /metrics`).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The content type of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The console's counters.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Events and Falco alerts accepted.
    pub ingested: Counter,
    /// Alert occurrences stored (before dedup).
    pub alerts: Counter,
    /// Matches dropped because the rule is disabled.
    pub disabled: Counter,
    /// Matches dropped by an exception.
    pub excepted: Counter,
    /// Requests refused, by reason (`bad_request`, `too_large`,
    /// `rate_limited`, `unauthorized`, `not_found`).
    pub refused: Family<Vec<(String, String)>, Counter>,
    /// Alerts sent to on-call.
    pub oncall_sent: Counter,
    /// Alerts that could not be sent to on-call.
    pub oncall_failed: Counter,
    /// Audit runs stored.
    pub audits: Counter,
    /// Admission decisions stored (forwarded by webhooks).
    pub decisions: Counter,
    /// Flow records judged (`POST /api/v1/flows`).
    pub flows: Counter,
    /// Reloads of changed policies or inventory.
    pub reloads: Counter,
    /// Reloads that failed.
    pub reload_failures: Counter,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("palisade_console");
        let ingested = Counter::default();
        let alerts = Counter::default();
        let disabled = Counter::default();
        let excepted = Counter::default();
        let refused = Family::<Vec<(String, String)>, Counter>::default();
        let oncall_sent = Counter::default();
        let oncall_failed = Counter::default();
        let audits = Counter::default();
        let decisions = Counter::default();
        let flows = Counter::default();
        let reloads = Counter::default();
        let reload_failures = Counter::default();
        registry.register(
            "ingested",
            "Events and Falco alerts accepted",
            ingested.clone(),
        );
        registry.register(
            "alerts",
            "Alert occurrences stored, before dedup",
            alerts.clone(),
        );
        registry.register(
            "disabled",
            "Matches dropped: rule disabled",
            disabled.clone(),
        );
        registry.register(
            "excepted",
            "Matches dropped by an exception",
            excepted.clone(),
        );
        registry.register("refused", "Requests refused, by reason", refused.clone());
        registry.register(
            "oncall_sent",
            "Alerts sent to the on-call sink",
            oncall_sent.clone(),
        );
        registry.register(
            "oncall_failed",
            "Alerts the on-call sink did not take",
            oncall_failed.clone(),
        );
        registry.register("audits", "Audit runs stored", audits.clone());
        registry.register(
            "admission_decisions",
            "Admission decisions stored, as forwarded by webhooks",
            decisions.clone(),
        );
        registry.register(
            "flow_records",
            "Hubble flow records accepted and judged",
            flows.clone(),
        );
        registry.register("reloads", "Reloads of changed inputs", reloads.clone());
        registry.register(
            "reload_failures",
            "Reloads that failed",
            reload_failures.clone(),
        );
        Metrics {
            registry,
            ingested,
            alerts,
            disabled,
            excepted,
            refused,
            oncall_sent,
            oncall_failed,
            audits,
            decisions,
            flows,
            reloads,
            reload_failures,
        }
    }

    /// Counts a refused request.
    pub fn refuse(&self, reason: &str) {
        self.refused
            .get_or_create(&vec![("reason".to_owned(), reason.to_owned())])
            .inc();
    }

    /// The metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
