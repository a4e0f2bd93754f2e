//! Images only from allowed registries (Gatekeeper's `K8sAllowedRepos`):
//! every container image must start with one of the allowed prefixes.

use palisade_core::EnforcementAction;
use serde_json::Value;

use super::containers::{ALL_LISTS, containers, name_and_image};

/// The allowed-registries policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedRegistries {
    /// The policy's name.
    pub name: String,
    /// Allowed image prefixes (`registry.k8s.io/`, `ghcr.io/my-org/`).
    pub registries: Vec<String>,
    /// What a violation does.
    pub action: EnforcementAction,
}

impl Default for AllowedRegistries {
    /// `registry.k8s.io/`, `ghcr.io/` and `quay.io/`, denying.
    fn default() -> AllowedRegistries {
        AllowedRegistries::new(["registry.k8s.io/", "ghcr.io/", "quay.io/"])
    }
}

impl AllowedRegistries {
    /// A policy allowing images that start with one of `registries`.
    pub fn new<S: Into<String>>(registries: impl IntoIterator<Item = S>) -> AllowedRegistries {
        AllowedRegistries {
            name: "allowed-registries".to_owned(),
            registries: registries.into_iter().map(Into::into).collect(),
            action: EnforcementAction::Deny,
        }
    }

    /// The violations of `object` (a Pod or a workload), worded like
    /// Gatekeeper's library.
    pub fn check(&self, object: &Value) -> Vec<String> {
        containers(object, ALL_LISTS)
            .filter_map(|(list, c)| {
                let (name, image) = name_and_image(c);
                (!self
                    .registries
                    .iter()
                    .any(|r| image.starts_with(r.as_str())))
                .then(|| {
                    format!(
                        "{} <{name}> has an invalid image repo <{image}>, allowed repos are {:?}",
                        list.word(),
                        self.registries
                    )
                })
            })
            .collect()
    }
}

pod_spec_policy!(AllowedRegistries, |policy, object, _request| policy
    .check(object));
