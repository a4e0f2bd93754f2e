//! No privileged containers (Gatekeeper's `K8sPSPPrivilegedContainer`):
//! no container, init container or ephemeral container sets
//! `securityContext.privileged: true`. Updates are not checked (the field
//! is immutable), as in the library template.

use palisade_core::EnforcementAction;
use serde_json::Value;

use super::containers::{ALL_LISTS, containers, is_exempt, name_and_image};
use crate::review::Operation;

/// The no-privileged-containers policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPrivileged {
    /// The policy's name.
    pub name: String,
    /// Images left alone (exact, or a prefix ending in `*`).
    pub exempt_images: Vec<String>,
    /// What a violation does.
    pub action: EnforcementAction,
}

impl Default for NoPrivileged {
    fn default() -> NoPrivileged {
        NoPrivileged {
            name: "no-privileged-containers".to_owned(),
            exempt_images: Vec::new(),
            action: EnforcementAction::Deny,
        }
    }
}

impl NoPrivileged {
    /// The violations of `object` (a Pod or a workload) for `operation`
    /// (`UPDATE` is never a violation).
    pub fn check(&self, object: &Value, operation: Option<Operation>) -> Vec<String> {
        if operation == Some(Operation::Update) {
            return Vec::new();
        }
        containers(object, ALL_LISTS)
            .filter(|(_, c)| !is_exempt(name_and_image(c).1, &self.exempt_images))
            .filter_map(|(_, c)| {
                let sc = c.get("securityContext")?;
                (sc.get("privileged") == Some(&Value::Bool(true))).then(|| {
                    format!(
                        "Privileged container is not allowed: {}, securityContext: {sc}",
                        name_and_image(c).0
                    )
                })
            })
            .collect()
    }
}

pod_spec_policy!(NoPrivileged, |policy, object, request| policy
    .check(object, request.operation));
