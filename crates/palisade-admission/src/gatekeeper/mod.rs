//! Gatekeeper on regorus: ConstraintTemplates (`templates.gatekeeper.sh/v1`,
//! `v1beta1`) and their constraints, evaluated the way Gatekeeper does.
//!
//! - A template's Rego (`spec.targets[0].rego` + `libs`, or the `code`
//!   entry with `engine: Rego`: `source.rego` + `source.libs`) is compiled
//!   **once** into a prepared [`regorus::Engine`] and, where regorus's
//!   compiler takes it, into a program for regorus's register-based VM
//!   (RVM), which evaluations run; the others run on the interpreter (a clone
//!   of the prepared engine per evaluation), with the compiler's reason in
//!   [`ConstraintTemplate::interpreter_reason`]. One template serves every
//!   thread and every constraint of its kind.
//!   Templates are Rego v0 unless `code[].source.version: v1`; an
//!   undeclared template that only parses as v1 is taken as v1. A v0 rule
//!   with several bodies (`p { A } { B }`), which regorus would read as
//!   `else`, is split into alternative definitions as OPA reads it.
//! - The input is Gatekeeper's: `input.review` is the admission request
//!   (`kind`, `name`, `namespace`, `object`, `oldObject`, `operation`,
//!   `userInfo`, ... as sent; built from a plain manifest like `gator` does),
//!   with `_unstable.namespace` holding the Namespace object when known, and
//!   `input.parameters` is the constraint's `spec.parameters`.
//! - `data.inventory` holds the context's synced objects
//!   (`namespace[ns][apiVersion][kind][name]`, `cluster[apiVersion][kind][name]`)
//!   for templates that read it.
//! - A constraint's `spec.match` (kinds, scope, namespaces and
//!   excludedNamespaces with `prefix*` / `*suffix` globs, labelSelector,
//!   namespaceSelector, name) decides whether it applies;
//!   `spec.enforcementAction` (deny, warn, dryrun) what a violation does.
//!   `spec.parameters` must fit the template's `openAPIV3Schema` (types,
//!   `enum`; unknown fields allowed, as Kubernetes prunes them).
//! - A template's `code` entry with `engine: K8sNativeValidation` (CEL:
//!   `variables`, `validations`, `matchConditions`) is compiled by the
//!   [`crate::cel`] engine; the expressions see `variables.anyObject` and
//!   `variables.params`. [`EngineChoice`] picks what runs: `auto` prefers CEL
//!   as Gatekeeper does, `rego` and `cel` force one and a template without it
//!   is skipped ([`GatekeeperError::EngineMissing`]).
//! - Templates needing what Palisade does not run (`external_data`,
//!   `http.send`, other targets) are refused at load with
//!   [`GatekeeperError::Unsupported`].
//!
//! ```
//! use palisade_admission::gatekeeper::{Constraint, ConstraintTemplate, GatekeeperPolicy};
//! use palisade_admission::{AdmissionRequest, Context, PolicySet};
//! use serde_json::json;
//! use std::sync::Arc;
//!
//! let template = ConstraintTemplate::from_json(&json!({
//!     "apiVersion": "templates.gatekeeper.sh/v1",
//!     "kind": "ConstraintTemplate",
//!     "metadata": {"name": "k8srequiredlabels"},
//!     "spec": {
//!         "crd": {"spec": {"names": {"kind": "K8sRequiredLabels"}}},
//!         "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": r#"
//! package k8srequiredlabels
//! violation[{"msg": msg}] {
//!   required := {l | l := input.parameters.labels[_]}
//!   provided := {l | input.review.object.metadata.labels[l]}
//!   missing := required - provided
//!   count(missing) > 0
//!   msg := sprintf("missing labels: %v", [missing])
//! }"#}]
//!     }
//! }), None).unwrap();
//! let constraint = Constraint::from_json(&json!({
//!     "apiVersion": "constraints.gatekeeper.sh/v1beta1",
//!     "kind": "K8sRequiredLabels",
//!     "metadata": {"name": "need-owner"},
//!     "spec": {"parameters": {"labels": ["owner"]}}
//! }), None).unwrap();
//! let mut policies = PolicySet::new();
//! policies.add(GatekeeperPolicy::new(constraint, Arc::new(template)));
//!
//! let pod = AdmissionRequest::from_object(json!({
//!     "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}
//! })).unwrap();
//! let response = policies.review(&pod, &Context::new());
//! assert!(!response.allowed);
//! assert_eq!(response.status.unwrap().message, r#"[need-owner] missing labels: {"owner"}"#);
//! ```

mod compiled;
mod constraint;
mod engine;
mod error;
mod loader;
mod matcher;
mod nesting;
mod policy;
mod rewrite;
mod schema;
mod template;
mod value;

pub use constraint::{CONSTRAINTS_GROUP, Constraint, is_constraint_api_version};
pub use engine::{Backend, EngineChoice, RegoMode};
pub use error::{
    EngineMissingError, GatekeeperError, InvalidConstraintError, InvalidTemplateError,
    NoTemplateError, RegoError, TemplateCelError, UnsupportedError,
};
pub use loader::{
    Loaded, is_constraint, is_template, load_manifests, load_manifests_with, load_paths,
    load_paths_with,
};
pub use matcher::{KindSelector, Match, MatchOutcome, Wildcard};
pub use policy::{GatekeeperPolicy, review_value};
pub use template::{ADMISSION_TARGET, ConstraintTemplate, RawViolation, RegoVersion};
