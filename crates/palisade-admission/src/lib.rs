//! Admission control: decides whether Kubernetes should admit an object, the
//! way Gatekeeper, Kyverno and Pod Security Admission do.
//!
//! **Status: not built yet.** This crate holds only its plan; see the
//! admission issue. Planned modules:
//!
//! - `review` — AdmissionReview `admission.k8s.io/v1` in and out, plain manifests;
//! - `gatekeeper` — ConstraintTemplates and constraints, evaluated with `regorus`;
//! - `pss` — Pod Security Standards (baseline, restricted; every version), native;
//! - `pattern` — Kyverno-style `validate.pattern` / `anyPattern` policies;
//! - `builtin` — the built-in policy pack;
//! - `audit` — existing objects against all loaded policies, with coverage;
//! - `suite` — runners for Gatekeeper `suite.yaml` and `kyverno-test.yaml` files.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod builtin;
pub mod gatekeeper;
pub mod kyverno_test;
pub mod limits;
pub mod load;
pub mod pattern;
pub mod pss;
pub mod review;
pub mod suite;

pub use load::{LoadedPolicies, PolicyLoadError, load_policies};
pub use review::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Context, Decision, EvaluationError,
    Operation, Policy, PolicySet, Violation,
};
