//! Pod Security Standards, natively: every check of `baseline` and
//! `restricted` at every version from v1.0 to v1.37 (and `latest`), with
//! reasons worded like Pod Security Admission's, plus PSA's namespace
//! labels, exemptions and workload handling.
//!
//! ```
//! use palisade_admission::pss::{self, Level, LevelVersion, Version};
//! use serde_json::json;
//!
//! let pod = json!({
//!     "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
//!     "spec": {"containers": [{"name": "app", "image": "nginx",
//!              "securityContext": {"privileged": true}}]}
//! });
//! let lv = LevelVersion::new(Level::Baseline, Version::Latest);
//! let result = pss::evaluate(lv, &pod).unwrap();
//! assert!(!result.allowed());
//! assert_eq!(
//!     result.denial_message(),
//!     "violates PodSecurity \"baseline:latest\": privileged \
//!      (container \"app\" must not set securityContext.privileged=true)"
//! );
//! ```

mod admit;
mod checks;
mod fields;
mod level;
mod policy;
mod registry;
mod workload;

pub use admit::{
    Exemption, Exemptions, LABEL_PREFIX, LabelError, NamespacePolicy, NamespaceRequest,
    PodSecurity, PodSecurityDecision, PodSecurityRequest,
};
pub use fields::PodView;
pub use level::{Level, LevelVersion, NEWEST_MINOR, ParseLevelError, ParseVersionError, Version};
pub use policy::{PodSecurityAdmission, PssPolicy};
pub use registry::{
    CheckFailure, CheckId, Evaluation, ParseCheckIdError, checks_for, evaluate_pod,
};
pub use workload::{WORKLOAD_KINDS, has_pod_spec, is_significant_pod_update, pod_view};

/// Evaluates `object` (a Pod, or a workload through its pod template) at
/// `lv`. `None` when the object holds no pod to evaluate.
pub fn evaluate(lv: LevelVersion, object: &serde_json::Value) -> Option<Evaluation> {
    pod_view(object).map(|pod| evaluate_pod(lv, &pod))
}
