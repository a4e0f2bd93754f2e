//! The built-in remediation pack: Kyverno mutate rules (`remediation.yaml`,
//! loaded like any user policy) that set what Pod Security `restricted`
//! asks for where a manifest leaves it unset: `runAsNonRoot: true`,
//! `seccompProfile: RuntimeDefault`, `allowPrivilegeEscalation: false` and
//! `capabilities.drop: [ALL]` on every container and init container, on
//! Pods and (by autogen) Pod controllers. The container settings override
//! a weaker value; the Pod-level ones are added where unset.

use super::{MutateLoad, load_str};

/// The pack's policy text.
pub const REMEDIATION_POLICY: &str = include_str!("remediation.yaml");

/// Loads the pack (its load errors, if any, are in the result: a test
/// keeps them empty).
pub fn remediation_pack() -> MutateLoad {
    load_str("builtin:remediation.yaml", REMEDIATION_POLICY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::PatternRequest;
    use serde_json::json;

    #[test]
    fn the_pack_loads_and_fills_what_is_unset() {
        let pack = remediation_pack();
        assert!(pack.errors.is_empty(), "{:?}", pack.errors);
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "x",
                "securityContext": {"allowPrivilegeEscalation": true}}]}});
        let out = super::super::mutate(&pack.policies, &PatternRequest::create(&pod));
        let spec = &out.object["spec"];
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            spec["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let sc = &spec["containers"][0]["securityContext"];
        // A weaker value is overridden.
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
        assert!(spec.get("initContainers").is_none());
    }
}
