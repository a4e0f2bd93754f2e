//! Runnable examples of embedding Palisade (`cargo run -p palisade-examples --example NAME`)
//! and the example data they share (`examples/data/`).

/// The example cluster: namespaces, workloads, a service and network policies.
pub const CLUSTER_YAML: &str = include_str!("../data/cluster.yaml");
