//! The webhook's Prometheus metrics, served on `GET /metrics` in the
//! OpenMetrics text format (which Prometheus scrapes natively).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of `palisade_webhook_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `allowed`, `denied`, `error` (a policy failed), `timeout`, `invalid`
    /// (a malformed or oversized body), `unavailable` (no policies yet), or
    /// `mutated` (`/mutate` answered with a patch).
    pub verdict: &'static str,
    /// `true` for dry-run requests.
    pub dry_run: bool,
}

/// Labels of `palisade_webhook_policy_verdicts_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    /// The policy (constraint, pattern policy or built-in policy).
    pub policy: String,
    /// `deny`, `warn`, `dryrun`, `error`, or `mutate` (it changed the
    /// object at `/mutate`).
    pub verdict: &'static str,
}

/// Labels naming an outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `ok` or `error`.
    pub result: &'static str,
}

/// Labels of `palisade_webhook_rego_templates`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RegoLabels {
    /// `compiled` (regorus's VM) or `interpreter` (regorus could not
    /// compile the template).
    pub evaluator: &'static str,
}

/// Labels of `palisade_webhook_evaluation_timeouts_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TimeoutLabels {
    /// The `--failure-policy` applied.
    pub failure_policy: &'static str,
}

/// The verdicts of `palisade_webhook_requests_total`, in the order of
/// [`Metrics::request_counters`].
const VERDICTS: [&str; 6] = [
    "allowed",
    "denied",
    "error",
    "timeout",
    "invalid",
    "unavailable",
];

/// Every metric the webhook keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `requests` for each verdict (without, then with `dry_run`), made
    /// once so that counting a request is one atomic add.
    request_counters: Vec<Counter>,
    /// Reviews answered, by verdict.
    pub requests: Family<RequestLabels, Counter>,
    /// Per policy: requests it denied, warned about, recorded (dry run) or
    /// failed on.
    pub policy_verdicts: Family<PolicyLabels, Counter>,
    /// Time from a complete request body to the answer, in seconds.
    pub latency: Histogram,
    /// Evaluations that exceeded `--timeout`.
    pub timeouts: Family<TimeoutLabels, Counter>,
    /// Errors met loading policy sets (each file error counts).
    pub policy_load_errors: Counter,
    /// Policy set loads, by result.
    pub policy_reloads: Family<ResultLabels, Counter>,
    /// The number of the policy set being served (0: none yet).
    pub generation: Gauge,
    /// How many policies the served set holds.
    pub policies: Gauge,
    /// Certificate reloads, by result.
    pub tls_reloads: Family<ResultLabels, Counter>,
    /// Reviews being read or evaluated right now.
    pub in_flight: Gauge,
    /// Inventory loads, by result.
    pub inventory_loads: Family<ResultLabels, Counter>,
    /// Errors met loading the inventory.
    pub inventory_load_errors: Counter,
    /// The number of the inventory being served (0: none).
    pub inventory_generation: Gauge,
    /// How many objects the served inventory holds.
    pub inventory_objects: Gauge,
    /// Reviews of a namespaced object whose Namespace is not in the
    /// inventory (counted only with `--inventory`).
    pub unknown_namespaces: Counter,
    /// Gatekeeper templates of the served set, by the Rego evaluator
    /// running them.
    pub rego: Family<RegoLabels, Gauge>,
}

impl Metrics {
    /// Fresh metrics, all registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("palisade_webhook");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "AdmissionReview requests answered, by verdict",
            requests.clone(),
        );
        let policy_verdicts = Family::<PolicyLabels, Counter>::default();
        registry.register(
            "policy_verdicts",
            "Requests each policy denied, warned about, recorded (dryrun) or failed on",
            policy_verdicts.clone(),
        );
        // 50µs .. ~1.6s.
        let latency = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        registry.register(
            "request_duration_seconds",
            "Time to answer an AdmissionReview once its body is read",
            latency.clone(),
        );
        let timeouts = Family::<TimeoutLabels, Counter>::default();
        registry.register(
            "evaluation_timeouts",
            "Evaluations that exceeded the deadline, by the failure policy applied",
            timeouts.clone(),
        );
        let policy_load_errors = Counter::default();
        registry.register(
            "policy_load_errors",
            "Errors met loading policy sets (a set with errors is not served)",
            policy_load_errors.clone(),
        );
        let policy_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "policy_loads",
            "Policy set loads, by result",
            policy_reloads.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "policy_set_generation",
            "Number of the policy set being served (1 for the first, +1 per successful reload)",
            generation.clone(),
        );
        let policies = Gauge::default();
        registry.register("policies", "Policies in the served set", policies.clone());
        let tls_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "tls_reloads",
            "Certificate reloads, by result",
            tls_reloads.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "requests_in_flight",
            "AdmissionReview requests being read or evaluated",
            in_flight.clone(),
        );
        let inventory_loads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "inventory_loads",
            "Inventory loads, by result",
            inventory_loads.clone(),
        );
        let inventory_load_errors = Counter::default();
        registry.register(
            "inventory_load_errors",
            "Errors met loading the inventory (an inventory with errors is not served)",
            inventory_load_errors.clone(),
        );
        let inventory_generation = Gauge::default();
        registry.register(
            "inventory_generation",
            "Number of the inventory being served (0 without --inventory, +1 per successful load)",
            inventory_generation.clone(),
        );
        let inventory_objects = Gauge::default();
        registry.register(
            "inventory_objects",
            "Objects in the served inventory",
            inventory_objects.clone(),
        );
        let unknown_namespaces = Counter::default();
        registry.register(
            "unknown_namespaces",
            "Reviews of namespaced objects whose Namespace is not in the inventory",
            unknown_namespaces.clone(),
        );
        let rego = Family::<RegoLabels, Gauge>::default();
        registry.register(
            "rego_templates",
            "Gatekeeper templates of the served set, by Rego evaluator (compiled, or interpreter where regorus cannot compile the template)",
            rego.clone(),
        );
        let request_counters = VERDICTS
            .iter()
            .flat_map(|&verdict| {
                [false, true].map(|dry_run| {
                    requests
                        .get_or_create(&RequestLabels { verdict, dry_run })
                        .clone()
                })
            })
            .collect();
        Metrics {
            registry,
            request_counters,
            requests,
            policy_verdicts,
            latency,
            timeouts,
            policy_load_errors,
            policy_reloads,
            generation,
            policies,
            tls_reloads,
            in_flight,
            inventory_loads,
            inventory_load_errors,
            inventory_generation,
            inventory_objects,
            unknown_namespaces,
            rego,
        }
    }

    /// Sets how many templates of the served set run compiled and how
    /// many on the interpreter.
    pub fn rego_templates(&self, compiled: usize, interpreted: usize) {
        for (evaluator, n) in [("compiled", compiled), ("interpreter", interpreted)] {
            self.rego
                .get_or_create(&RegoLabels { evaluator })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Counts one answered request.
    pub fn request(&self, verdict: &'static str, dry_run: bool) {
        let counter = VERDICTS
            .iter()
            .position(|&v| v == verdict)
            .and_then(|i| self.request_counters.get(i * 2 + usize::from(dry_run)));
        match counter {
            Some(counter) => {
                counter.inc();
            }
            None => {
                self.requests
                    .get_or_create(&RequestLabels { verdict, dry_run })
                    .inc();
            }
        }
    }

    /// Counts one policy verdict.
    pub fn policy_verdict(&self, policy: &str, verdict: &'static str) {
        self.policy_verdicts
            .get_or_create(&PolicyLabels {
                policy: policy.to_owned(),
                verdict,
            })
            .inc();
    }

    /// Registers the `--console` forwarder's counters
    /// (`palisade_webhook_console_*`).
    pub fn register_console(&mut self, console: &palisade_console::forward::Forwarder) {
        console.register(&mut self.registry);
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a `String` cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family() {
        let metrics = Metrics::new();
        metrics.request("denied", false);
        metrics.policy_verdict("psp-privileged-container", "deny");
        metrics.latency.observe(0.0002);
        metrics.generation.set(3);
        metrics.policy_load_errors.inc();
        metrics.rego_templates(18, 1);
        let text = metrics.render();
        assert!(
            text.contains(
                "palisade_webhook_requests_total{verdict=\"denied\",dry_run=\"false\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains(
            "palisade_webhook_policy_verdicts_total{policy=\"psp-privileged-container\",verdict=\"deny\"} 1"
        ));
        assert!(text.contains("palisade_webhook_request_duration_seconds_count 1"));
        assert!(text.contains("palisade_webhook_policy_set_generation 3"));
        assert!(text.contains("palisade_webhook_policy_load_errors_total 1"));
        assert!(text.contains("palisade_webhook_rego_templates{evaluator=\"compiled\"} 18"));
        assert!(text.contains("palisade_webhook_rego_templates{evaluator=\"interpreter\"} 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
