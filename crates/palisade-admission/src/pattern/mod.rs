//! YAML pattern policies in Kyverno's `ClusterPolicy`/`Policy` form:
//! `validate.pattern` and `validate.anyPattern` with anchors, wildcards
//! and operators, `match`/`exclude`, `preconditions` (a small JMESPath
//! subset), `message`, `validationFailureAction`/`failureAction`, and the
//! rules Kyverno generates for Pod controllers.
//!
//! Parts that are not evaluated (`deny` with JMESPath, `mutate`,
//! `generate`, `verifyImages`, CEL, `foreach`, `context`, variables in
//! patterns) are refused when the policy loads, with file, line and column.
//!
//! ```
//! use palisade_admission::pattern::{self, PatternRequest, RuleStatus};
//! use serde_json::json;
//!
//! let load = pattern::load_str("policy.yaml", r#"
//! apiVersion: kyverno.io/v1
//! kind: ClusterPolicy
//! metadata: {name: disallow-latest-tag}
//! spec:
//!   rules:
//!   - name: validate-image-tag
//!     match: {any: [{resources: {kinds: [Pod]}}]}
//!     validate:
//!       message: "Using a mutable image tag e.g. 'latest' is not allowed."
//!       pattern:
//!         spec:
//!           containers:
//!           - image: "!*:latest"
//! "#);
//! assert!(load.errors.is_empty());
//! let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
//!                  "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}});
//! let results = load.policies[0].evaluate(&PatternRequest::create(&pod));
//! assert_eq!(results[0].status, RuleStatus::Fail);
//! ```

pub(crate) mod admission;
pub mod anchor;
mod condition;
pub(crate) mod eval;
pub(crate) mod load;
mod policy;
mod scalar;
mod validate;

pub use crate::autogen::POD_CONTROLLERS;
pub use condition::{
    Condition, Conditions, Expr, Operator, Segment, Template, TextPart, parse_expr,
};
pub use eval::{PatternRequest, RuleResult, RuleStatus, block_matches, images};
pub use load::{
    AUTOGEN_ANNOTATION, InvalidPolicyError, PatternLoad, PatternLoadError, ReadPolicyError,
    UnsupportedError, is_pattern_policy, load_file, load_paths, load_policy, load_str,
};
pub use policy::{
    ActionOverride, CelParams, FailureAction, Filter, LabelSelector, MatchBlock, PatternPolicy,
    Patterns, ResourceDescription, Rule, SubjectFilter,
};
pub use validate::{Mismatch, PatternOutcome, match_pattern};

/// Kyverno's wildcard matching (`*` any run, `?` one character).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    scalar::wildcard_match(pattern, text)
}
