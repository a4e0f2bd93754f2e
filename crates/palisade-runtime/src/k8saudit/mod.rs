//! The `k8s_audit` event source: Kubernetes API server audit events
//! (`audit.k8s.io` `Event`, v1 and v1beta1) under Falco's k8saudit rules.
//!
//! Falco reads these events with two plugins: `k8saudit` gives the `ka.*`
//! fields and `json` the `jevt.*` fields. This module is both, natively:
//!
//! - [`fields`] — the fields, registered into a [`Schema`] with the event
//!   type `k8s_audit` of source `k8s_audit` ([`schema`]);
//! - `extract` (internal) — each field's value, as the plugins extract it;
//! - [`event`] — [`AuditEvent`], one audit event as the matcher reads it
//!   (values extracted on first use, once per event);
//! - [`reader`] — [`AuditEvents`]: JSON lines, `EventList`s and
//!   pretty-printed objects, malformed events counted with their line;
//! - [`plugins`] — `required_plugin_versions` checked against the plugin
//!   versions this support corresponds to.
//!
//! A ruleset compiled over [`schema`] holds `syscall` and `k8s_audit` rules
//! side by side; an audit event runs only the `k8s_audit` ones.
//!
//! ```
//! use palisade_runtime::k8saudit::{self, AuditEvents};
//! use palisade_runtime::loader::Loader;
//! use palisade_runtime::ruleset::{MatchMode, RuleSet};
//!
//! let schema = k8saudit::schema();
//! let mut loader = Loader::with_checker(&schema);
//! loader.add_str("rules.yaml", "- rule: exec\n  desc: d\n  condition: ka.verb = create and ka.target.subresource = exec\n  output: exec by %ka.user.name\n  priority: NOTICE\n  source: k8s_audit\n");
//! let rules = RuleSet::from_loaded(&loader.finish(), &schema, MatchMode::First).unwrap();
//! let events = AuditEvents::parse(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","verb":"create","objectRef":{"resource":"pods","subresource":"exec"},"user":{"username":"bob"}}"#, &schema);
//! assert!(events.errors().is_empty());
//! let mut matcher = rules.matcher();
//! assert_eq!(matcher.matches(&events.events()[0]).len(), 1);
//! ```

pub mod event;
mod extract;
pub mod fields;
pub mod plugins;
pub mod reader;

pub use event::AuditEvent;
pub use reader::{AuditEvents, AuditReadError};

use crate::fields::Schema;

/// The event source name rules give (`source: k8s_audit`).
pub const SOURCE: &str = "k8s_audit";

/// Falco's schema with the `k8s_audit` source added: the `ka.*` and
/// `jevt.*` fields and the event type `k8s_audit` (built once per process;
/// this is a cheap copy).
pub fn schema() -> Schema {
    SCHEMA.clone()
}

/// Adds the `k8s_audit` source to `schema` (an embedder's own schema).
/// Fields already registered under the same names are left as they are.
pub fn register(schema: &mut Schema) {
    fields::register(schema);
}

static SCHEMA: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(|| {
    let mut schema = Schema::falco();
    register(&mut schema);
    schema
});
