//! The containers of a Pod or of a workload's pod template.

use serde_json::Value;

use crate::pss::pod_view;

/// Which list a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    /// `containers`.
    Containers,
    /// `initContainers`.
    InitContainers,
    /// `ephemeralContainers`.
    EphemeralContainers,
}

impl ContainerList {
    /// The word Gatekeeper's library uses in messages (`initContainer`).
    pub fn word(self) -> &'static str {
        match self {
            ContainerList::Containers => "container",
            ContainerList::InitContainers => "initContainer",
            ContainerList::EphemeralContainers => "ephemeralContainer",
        }
    }

    fn key(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }
}

/// The containers of the lists `lists` in `object`'s pod spec.
pub fn containers<'a>(
    object: &'a Value,
    lists: &'static [ContainerList],
) -> impl Iterator<Item = (ContainerList, &'a Value)> {
    let spec = pod_view(object).map(|p| p.spec);
    lists.iter().flat_map(move |&list| {
        spec.and_then(|s| s.get(list.key()))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(move |c| (list, c))
    })
}

/// A container's `name` and `image` (empty when absent).
pub fn name_and_image(container: &Value) -> (&str, &str) {
    let get = |k| container.get(k).and_then(Value::as_str).unwrap_or("");
    (get("name"), get("image"))
}

/// Gatekeeper's `exemptImages`: an exact image, or a prefix ending in `*`.
pub fn is_exempt(image: &str, exempt: &[String]) -> bool {
    exempt.iter().any(|e| match e.strip_suffix('*') {
        Some(prefix) => image.starts_with(prefix),
        None => e == image,
    })
}

/// Every list.
pub const ALL_LISTS: &[ContainerList] = &[
    ContainerList::Containers,
    ContainerList::InitContainers,
    ContainerList::EphemeralContainers,
];
