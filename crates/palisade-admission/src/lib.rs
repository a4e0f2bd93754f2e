//! Admission control: decides whether Kubernetes should admit an object, the
//! way Gatekeeper, Kyverno and Pod Security Admission do.
//!
//! - [`review`] — AdmissionReview `admission.k8s.io/v1` in and out, requests
//!   from plain manifests, the [`Policy`] trait every backend implements and
//!   the [`PolicySet`] that folds violations into a response;
//! - [`gatekeeper`] — ConstraintTemplates and constraints, evaluated with `regorus`
//!   (Rego) or the [`cel`] engine (`K8sNativeValidation`);
//! - [`cel`] — the CEL engine: expressions parsed and checked once, evaluated per request;
//! - [`pss`] — Pod Security Standards (baseline, restricted; every version), native;
//! - [`pattern`] — Kyverno-style `validate.pattern` / `anyPattern` policies;
//! - [`builtin`] — the built-in policy pack;
//! - [`mutate`] — Kyverno `mutate` rules: the JSON patches made before validation;
//! - [`audit`] — existing objects against all loaded policies, with coverage;
//! - [`suite`] and [`kyverno_test`] — runners for Gatekeeper `suite.yaml` and
//!   `kyverno-test.yaml` files;
//! - [`load_policies`] — every policy kind from files and directories;
//! - [`request_cache`] — what the policies of a set share about one request.

pub mod audit;
pub(crate) mod autogen;
pub mod builtin;
pub mod cel;
pub mod engine;
pub mod gatekeeper;
/// The runner behind `palisade admission test` (Kyverno CLI test files).
/// Hidden from the docs: its API is `palisade::admission::kyverno_test`,
/// re-exported by the facade.
#[doc(hidden)]
pub mod kyverno_test;
pub mod limits;
pub mod load;
pub mod mutate;
pub mod pattern;
pub mod pss;
pub mod request_cache;
pub mod review;
mod string_list;
pub mod suite;

pub use load::{
    LoadedPolicies, PolicyLoadError, load_policies, load_policies_str, load_policies_with,
};
pub use request_cache::RequestCache;
pub use review::{
    AdmissionRequest, AdmissionResponse, AdmissionReview, Context, Decision, EvaluationError,
    Operation, Policy, PolicySet, Violation,
};
