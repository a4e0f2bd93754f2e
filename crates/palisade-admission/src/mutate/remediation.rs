//! The built-in remediation pack: Kyverno mutate rules (`remediation.yaml`,
//! loaded like any user policy) that set what Pod Security `restricted`
//! asks for, on Pods and (by autogen) Pod controllers, where a patch is
//! safe: it only takes privileges away, never changes what a workload
//! reaches or stores.
//!
//! | check | fix |
//! |---|---|
//! | `runAsNonRoot` | Pod `runAsNonRoot: true`; a container's `false` becomes `true` |
//! | `runAsUser` | `runAsUser: 0` removed (Pod and containers): the image's user runs |
//! | `seccompProfile_baseline`, `seccompProfile_restricted` | Pod `seccompProfile: RuntimeDefault` where unset; `Unconfined` (Pod or container) becomes `RuntimeDefault` |
//! | `allowPrivilegeEscalation` | `false` on every container and init container |
//! | `capabilities_restricted`, `capabilities_baseline` | `drop: [ALL]`; `add` keeps only `NET_BIND_SERVICE` |
//! | `privileged` | `privileged: true` becomes `false`, except in `kube-system` (reported as unfixable) |
//! | `procMount`, `procMount_restricted` | `procMount: Default` |
//! | `seLinuxOptions` | `user` and `role` removed, a `type` PSS does not allow removed |
//! | `appArmorProfile` | an unconfined profile (field or annotation) becomes `RuntimeDefault` / `runtime/default` |
//!
//! Not fixed, by design (see [`super::fix`]): host namespaces, `hostPath`
//! and other restricted volume types, host ports, Windows HostProcess,
//! unsafe sysctls, probes and lifecycle handlers aimed at another host.

use super::{MutateLoad, load_str};

/// The pack's policy text.
pub const REMEDIATION_POLICY: &str = include_str!("remediation.yaml");

/// The name of the pack's policy.
pub const PACK_POLICY: &str = "palisade-remediation";

/// Why a rule of the pack changes what it changes (by rule name).
pub fn reason(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "pod-security-context" => {
            "Pod Security restricted: the Pod must run as non-root (runAsNonRoot) with a seccomp profile (seccompProfile_restricted)"
        }
        "container-security-context" | "init-container-security-context" => {
            "Pod Security restricted: containers must set allowPrivilegeEscalation=false (allowPrivilegeEscalation) and drop ALL capabilities (capabilities_restricted)"
        }
        "pod-seccomp-unconfined"
        | "container-seccomp-unconfined"
        | "init-container-seccomp-unconfined" => {
            "Pod Security: an Unconfined seccomp profile is not allowed (seccompProfile_baseline); RuntimeDefault is"
        }
        "container-run-as-non-root" | "init-container-run-as-non-root" => {
            "Pod Security restricted: a container must not set runAsNonRoot=false (runAsNonRoot)"
        }
        "container-proc-mount" | "init-container-proc-mount" => {
            "Pod Security: only the Default /proc mount type is allowed (procMount)"
        }
        "container-capabilities-add" | "init-container-capabilities-add" => {
            "Pod Security restricted: only NET_BIND_SERVICE may be added (capabilities_restricted)"
        }
        "container-privileged" | "init-container-privileged" => {
            "Pod Security baseline: containers must not be privileged (privileged)"
        }
        "container-user-selinux-apparmor"
        | "init-container-user-selinux-apparmor"
        | "pod-user-selinux-apparmor" => {
            "Pod Security: no runAsUser=0 (runAsUser), no custom SELinux user, role or type (seLinuxOptions), no unconfined AppArmor profile (appArmorProfile)"
        }
        "apparmor-annotations" => {
            "Pod Security baseline: an unconfined AppArmor annotation is not allowed (appArmorProfile)"
        }
        _ => return None,
    })
}

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
