//! Network policy: answers "may A talk to B, and which rule says so" from
//! manifests alone.
//!
//! **Status: not built yet.** This crate holds only its plan; see the
//! network issue. Planned modules:
//!
//! - `inventory` — namespaces, pods, workloads, services from manifests;
//! - `policy` — NetworkPolicy, CiliumNetworkPolicy (+ clusterwide),
//!   AdminNetworkPolicy and BaselineAdminNetworkPolicy models;
//! - `resolver` — identities, selector cache, a `petgraph` graph of who may talk to whom;
//! - `verdict` — `check(flow)` with the reasons;
//! - `connlist` — netpol-analyzer compatible connectivity lists;
//! - `audit` — unprotected workloads, missing default-deny, shadowed rules.
