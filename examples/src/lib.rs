//! Runnable examples of embedding Palisade (`cargo run -p palisade-examples --example NAME`)
//! and the example data they share (`examples/data/`).

/// The example cluster: namespaces, workloads, a service and network policies.
pub const CLUSTER_YAML: &str = include_str!("../data/cluster.yaml");

/// The mixed example directory (`examples/data/mixed/`): a ConstraintTemplate
/// and constraint, a pattern policy, a Falco rules file, network policies
/// and workloads.
pub fn mixed_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mixed")
}

/// The example event stream (`examples/data/events.jsonl`), Falco field
/// names as keys, one event per line.
pub const EVENTS_JSONL: &str = include_str!("../data/events.jsonl");

/// The mixed directory's Falco rules file.
pub const FALCO_RULES_YAML: &str = include_str!("../data/mixed/falco-rules.yaml");

/// The mixed directory's ConstraintTemplate and constraint, as one text.
pub fn gatekeeper_yaml() -> String {
    format!(
        "{}---\n{}",
        include_str!("../data/mixed/template-requiredlabels.yaml"),
        include_str!("../data/mixed/constraint-owner.yaml")
    )
}
