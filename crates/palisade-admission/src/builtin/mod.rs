//! The built-in policy pack, in native Rust and parameterized:
//!
//! - [`AllowedRegistries`]: images only from allowed registries;
//! - [`ResourceLimits`]: CPU and memory limits required (optionally bounded);
//! - [`NoPrivileged`]: no privileged containers;
//! - [`PssPolicy`]: a Pod Security Standards level;
//! - [`RequiredLabels`]: required labels (`owner`, `env`, `app` by default).
//!
//! Each agrees with the equivalent Gatekeeper library template
//! (`K8sAllowedRepos`, `K8sContainerLimits`, `K8sPSPPrivilegedContainer`,
//! `K8sRequiredLabels`) on that template's samples, and words its messages
//! the same way. They apply to Pods and to workload pod templates.
//!
//! ```
//! use palisade_admission::builtin::BuiltinPack;
//! use palisade_admission::{AdmissionRequest, Context};
//! use serde_json::json;
//!
//! let pack = BuiltinPack::default().policy_set();
//! let pod = json!({"apiVersion": "v1", "kind": "Pod",
//!     "metadata": {"name": "web", "labels": {"owner": "a", "env": "prod", "app": "web"}},
//!     "spec": {"containers": [{"name": "web", "image": "docker.io/nginx",
//!              "securityContext": {"privileged": true}}]}});
//! let decision = pack.evaluate(&AdmissionRequest::from_object(pod).unwrap(), &Context::new());
//! assert!(!decision.allowed());
//! let policies: Vec<&str> = decision.violations.iter().map(|v| v.policy.as_str()).collect();
//! assert!(policies.contains(&"allowed-registries"));
//! assert!(policies.contains(&"no-privileged-containers"));
//! ```

/// Implements [`Policy`](crate::review::Policy) for a built-in policy (a
/// struct with `name` and `action` fields) that applies to objects with a
/// pod spec: its violations are the messages `$check` writes about the
/// request's object, with `$policy` the policy and `$request` the request.
macro_rules! pod_spec_policy {
    ($ty:ty, |$policy:ident, $object:ident, $request:ident| $check:expr) => {
        impl $crate::review::Policy for $ty {
            fn name(&self) -> &str {
                &self.name
            }

            fn applies_to(
                &self,
                request: &$crate::review::AdmissionRequest,
                _: &$crate::review::Context,
            ) -> bool {
                $crate::pss::has_pod_spec(&request.kind.kind)
            }

            fn validate(
                &self,
                $request: &$crate::review::AdmissionRequest,
                _: &$crate::review::Context,
            ) -> Result<Vec<$crate::review::Violation>, $crate::review::EvaluationError> {
                let $policy = self;
                Ok(super::violations(
                    &self.name,
                    self.action,
                    $request,
                    |$object| $check,
                ))
            }
        }
    };
}

mod containers;
mod labels;
mod limits;
mod privileged;
mod registries;

pub use containers::{ContainerList, is_exempt};
pub use labels::{LabelRegexError, RequiredLabel, RequiredLabels};
pub use limits::ResourceLimits;
pub use privileged::NoPrivileged;
pub use registries::AllowedRegistries;

use palisade_core::EnforcementAction;
use serde_json::Value;

pub use crate::pss::PssPolicy;
use crate::pss::{Level, LevelVersion, Version};
use crate::review::{AdmissionRequest, PolicySet, Violation};

static NULL: Value = Value::Null;

/// Turns a policy's messages about the request's object into violations.
fn violations(
    name: &str,
    action: EnforcementAction,
    request: &AdmissionRequest,
    check: impl FnOnce(&Value) -> Vec<String>,
) -> Vec<Violation> {
    check(request.subject_object().unwrap_or(&NULL))
        .into_iter()
        .map(|m| Violation::new(name.to_owned(), m, action))
        .collect()
}

/// The five built-in policies, each with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltinPack {
    /// Images only from allowed registries.
    pub registries: AllowedRegistries,
    /// Resource limits required.
    pub limits: ResourceLimits,
    /// No privileged containers.
    pub privileged: NoPrivileged,
    /// A Pod Security level.
    pub pod_security: PssPolicy,
    /// Required labels.
    pub labels: RequiredLabels,
}

impl Default for BuiltinPack {
    /// Every policy with its defaults; Pod Security `baseline:latest`.
    fn default() -> BuiltinPack {
        BuiltinPack {
            registries: AllowedRegistries::default(),
            limits: ResourceLimits::default(),
            privileged: NoPrivileged::default(),
            pod_security: PssPolicy::new(LevelVersion::new(Level::Baseline, Version::Latest)),
            labels: RequiredLabels::default(),
        }
    }
}

impl BuiltinPack {
    /// The pack as a policy set.
    pub fn policy_set(&self) -> PolicySet {
        let mut set = PolicySet::new();
        set.add(self.registries.clone());
        set.add(self.limits.clone());
        set.add(self.privileged.clone());
        set.add(self.pod_security.clone());
        set.add(self.labels.clone());
        set
    }

    /// Every violation of `object` (a plain manifest, reviewed as a
    /// `CREATE`), without going through a [`PolicySet`]: the fast path.
    pub fn check(&self, object: &Value) -> Vec<(&str, String)> {
        let mut out = Vec::new();
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        if crate::pss::has_pod_spec(kind) {
            out.extend(
                self.registries
                    .check(object)
                    .into_iter()
                    .map(|m| (self.registries.name.as_str(), m)),
            );
            out.extend(
                self.limits
                    .check(object)
                    .into_iter()
                    .map(|m| (self.limits.name.as_str(), m)),
            );
            out.extend(
                self.privileged
                    .check(object, None)
                    .into_iter()
                    .map(|m| (self.privileged.name.as_str(), m)),
            );
            out.extend(
                self.pod_security
                    .check(object)
                    .map(|m| (self.pod_security.name.as_str(), m)),
            );
        }
        if self.labels.kinds.is_empty() || self.labels.kinds.iter().any(|k| k == kind) {
            out.extend(
                self.labels
                    .check(object)
                    .into_iter()
                    .map(|m| (self.labels.name.as_str(), m)),
            );
        }
        out
    }
}
