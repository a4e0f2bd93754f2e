//! Network policy: answers "may A talk to B, and which rule says so" from
//! manifests alone, before anything is deployed.
//!
//! Manifests are read with [`palisade_core::manifest`].
//!
//! - [`inventory`] — namespaces, endpoints (pods and workloads), services,
//!   nodes, from manifests;
//! - [`policy`] — NetworkPolicy, AdminNetworkPolicy,
//!   BaselineAdminNetworkPolicy, CiliumNetworkPolicy and
//!   CiliumClusterwideNetworkPolicy in one model of tiers, rules and peers;
//!   anything not understood is reported in [`Issues`] with file and line;
//! - [`resolver`] — identities, the selector cache, per-identity rule maps,
//!   `check(flow)` with reasons, reachability, the identity matrix and its
//!   `petgraph` graph;
//! - [`connlist`] — netpol-analyzer compatible connectivity lists;
//! - [`diff`] — what a change of policies opens and closes;
//! - [`paths`] — paths between two ends with the rules behind them, as the
//!   intent comparison and the diff report them;
//! - [`flows`] — observed flows (Hubble's JSON export) judged against the
//!   policies and the declaration;
//! - [`intent`] — declared intent (Otterize `ClientIntents`) compared with
//!   what the policies allow: paths allowed but not declared, declared but
//!   denied;
//! - [`audit`] — unprotected workloads, missing default-deny, shadowed rules;
//! - `synthetic` (hidden, not part of the API) — generated clusters of any
//!   size, public only for the benchmarks and peers runners (through
//!   `palisade::network::synthetic`, hidden there too);
//! - `engine` — the resolver behind `palisade_core::Engine` (flows in,
//!   verdicts out; its audit is [`audit`] plus each policy's coverage).
//!
//! The user guide is `docs/network.md`.
//!
//! ```
//! use palisade_core::manifest::load_str;
//! use palisade_network::{Issues, Resolver, resolver::{Flow, FlowEnd}, ports::Protocol};
//!
//! let text = include_str!("../../../examples/data/cluster.yaml");
//! let manifests = load_str("cluster.yaml", text).objects;
//! let mut issues = Issues::default();
//! let resolver = Resolver::from_manifests(&manifests, &mut issues);
//! assert!(issues.is_empty());
//! let flow = |from: &str, to: &str| Flow {
//!     src: resolver.flow_end(from).unwrap(),
//!     dst: resolver.flow_end(to).unwrap(),
//!     protocol: Protocol::Tcp,
//!     port: 5432,
//! };
//! assert!(resolver.check(&flow("shop/api", "data/db")).allowed);
//! let denied = resolver.check(&flow("shop/web", "data/db"));
//! assert!(!denied.allowed);
//! assert!(denied.explanation().iter().any(|l| l.contains("isolated by")));
//! ```
pub mod audit;
pub mod connlist;
pub mod diff;
mod domains;
mod engine;
pub mod flows;
pub mod intent;
pub mod inventory;
pub mod issues;
mod json;
pub mod labels;
pub mod limits;
/// The naive reference evaluator, for the differential test and the peers
/// benchmark: not part of the API (hidden from the docs).
#[doc(hidden)]
pub mod naive;
pub mod paths;
pub mod policy;
pub mod ports;
pub mod resolver;
/// Generated clusters for benchmarks: not part of the API (hidden from the
/// docs), public only so that `benches/` can reach it through the facade.
#[doc(hidden)]
pub mod synthetic;

pub use inventory::Inventory;
pub use issues::{Issues, LoadIssue};
pub use policy::PolicySet;
pub use resolver::{Catalog, Resolver};
