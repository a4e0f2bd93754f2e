//! CEL admission: one engine for the policy formats written in the Common
//! Expression Language — Gatekeeper `K8sNativeValidation` templates (see
//! [`crate::gatekeeper`]) and Kubernetes ValidatingAdmissionPolicy with its
//! bindings ([`admission_policy`]); Kyverno's CEL policies are to come on
//! the same parts.
//!
//! - [`Environment`] declares the variables of a format and the library
//!   (CEL standard library, strings/math/encoders/optional-values extensions
//!   of the `cel-core` crate, and the Kubernetes functions it lacks, in
//!   [`library`]).
//! - Load: [`ValidationSet::from_json`] reads `matchConditions`,
//!   `variables`, `validations` and `auditAnnotations`, parsing and
//!   type-checking every expression once; a syntax error, an unknown
//!   variable or function or a type error is a [`CompileError`] naming the
//!   file, the field and the line and column inside the expression.
//! - Compile: the [`Expression`]s are immutable programs, `Send + Sync`,
//!   shared behind `Arc` by every thread.
//! - Evaluate: [`ValidationSet::evaluate`] on the [`Inputs`] of a request
//!   ([`request::inputs`]), with a cost limit ([`cost`]) so that a runaway
//!   expression is an error, not a hang.
//!
//! ```
//! use palisade_admission::cel::{Environment, Outcome, ValidationSet, request};
//! use palisade_admission::{AdmissionRequest, Context};
//! use serde_json::json;
//!
//! let env = Environment::admission();
//! let spec = json!({"validations": [{
//!     "expression": "object.spec.containers.all(c, !(c.?securityContext.?privileged.orValue(false)))",
//!     "message": "privileged containers are not allowed"
//! }]});
//! let set = ValidationSet::from_json(&env, &spec, "spec", &|_| None).unwrap();
//! let pod = AdmissionRequest::from_object(json!({
//!     "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
//!     "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": true}}]}
//! })).unwrap();
//! let outcome = set.evaluate(&request::inputs(&pod, &Context::new(), None)).unwrap();
//! let Outcome::Evaluated { failures, .. } = outcome else { panic!() };
//! assert_eq!(failures[0].message, "privileged containers are not allowed");
//! ```

pub mod admission_policy;
pub mod cluster;
pub mod cost;
pub(crate) mod error;
mod expression;
pub mod kyverno_policy;
pub mod library;
pub mod rbac;
pub mod request;
pub mod resources;
mod scope;
mod select;
mod validation;
pub mod value;

pub use error::{CompileError, EvalError};
pub use expression::{Environment, Expression};
pub use validation::{Failure, Inputs, Named, Outcome, Parts, Validation, ValidationSet};
