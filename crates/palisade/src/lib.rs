//! Palisade: one embeddable Kubernetes policy engine for three moments —
//! admission (before a workload starts), runtime (while it runs) and network
//! (on every flow).
//!
//! This facade is the stable API. Today it re-exports the shared vocabulary
//! and manifest loading of [`palisade_core`]; each layer's engine is
//! re-exported here as it lands.

pub use palisade_core::{
    EnforcementAction, Engine, Finding, FlowRef, Layer, Location, NetworkVerdict, ObjectRef,
    ProcessRef, Severity, Subject, Verdict, manifest,
};
