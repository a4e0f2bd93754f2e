//! The containers a capture describes: its `container` events (the JSON
//! that libsinsp's container engines wrote, or the older id, name and
//! image), by container id, for the `container.*` and `k8s.*` fields.

use std::collections::HashMap;

use super::event::{ParamValue, RawEvent};

/// What a capture says about one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The image's repository (`container.image.repository`).
    pub image_repository: Option<String>,
    /// Whether it runs privileged (`container.privileged`).
    pub privileged: Option<bool>,
    /// Its mounts: `(source, destination)`.
    pub mounts: Vec<(String, String)>,
    /// Its Kubernetes pod's namespace (`k8s.ns.name`), from the runtime's
    /// labels.
    pub pod_namespace: Option<String>,
    /// Its Kubernetes pod's name (`k8s.pod.name`).
    pub pod_name: Option<String>,
}

impl ContainerInfo {
    /// `container.mount.dest[SOURCE]`: the destination of the first mount
    /// whose source matches `source` (a trailing `*` matches any rest).
    pub fn mount_dest(&self, source: &str) -> Option<&str> {
        let matches = |s: &str| match source.strip_suffix('*') {
            Some(prefix) => s.starts_with(prefix),
            None => s == source,
        };
        self.mounts
            .iter()
            .find(|(s, _)| matches(s))
            .map(|(_, d)| d.as_str())
    }

    /// From a container event's JSON (`{"container": {...}}`).
    fn from_json(json: &serde_json::Value) -> Option<(String, Self)> {
        let c = json.get("container")?;
        let text = |v: Option<&serde_json::Value>| v?.as_str().map(str::to_owned);
        let id = text(c.get("id"))?;
        let labels = c.get("labels");
        let label = |name: &str| text(labels.and_then(|l| l.get(name)));
        let mounts = c
            .get("Mounts")
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| Some((text(m.get("Source"))?, text(m.get("Destination"))?)))
                    .collect()
            })
            .unwrap_or_default();
        Some((
            id,
            Self {
                image_repository: text(c.get("imagerepo")),
                privileged: c.get("privileged").and_then(serde_json::Value::as_bool),
                mounts,
                pod_namespace: label("io.kubernetes.pod.namespace"),
                pod_name: label("io.kubernetes.pod.name"),
            },
        ))
    }
}

/// The containers of a capture, by id.
#[derive(Debug, Clone, Default)]
pub struct ContainerTable {
    by_id: HashMap<String, ContainerInfo>,
}

impl ContainerTable {
    /// The container `id`, when the capture described it.
    pub fn get(&self, id: &str) -> Option<&ContainerInfo> {
        self.by_id.get(id)
    }

    /// Records what a `container` event says (other events change nothing;
    /// a container event that cannot be read is ignored, as libsinsp
    /// ignores it).
    pub fn update(&mut self, event: &RawEvent<'_>) {
        if event.info.name != "container" {
            return;
        }
        let text = |name: &str| match event.param_named(name).map(|p| p.value()) {
            Some(ParamValue::Str(b) | ParamValue::Bytes(b)) => {
                Some(String::from_utf8_lossy(b).into_owned())
            }
            _ => None,
        };
        if let Some(json) = text("json") {
            let json = json.trim_end_matches(['\n', '\0']);
            if let Some((id, info)) = serde_json::from_str(json)
                .ok()
                .as_ref()
                .and_then(ContainerInfo::from_json)
            {
                self.by_id.insert(id, info);
            }
        } else if let Some(id) = text("id") {
            let repository = text("image").map(|image| repository(&image).to_owned());
            self.by_id.insert(
                id,
                ContainerInfo {
                    image_repository: repository,
                    ..ContainerInfo::default()
                },
            );
        }
    }
}

/// An image reference's repository: without its digest and tag.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => image.get(..colon).unwrap_or(image),
        _ => image,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_drop_tags_and_digests() {
        for (image, repo) in [
            ("nginx:latest", "nginx"),
            ("registry:5000/team/app:1.2", "registry:5000/team/app"),
            ("app@sha256:abc", "app"),
            ("nginx", "nginx"),
        ] {
            assert_eq!(repository(image), repo, "{image}");
        }
    }

    #[test]
    fn mounts_are_found_by_source() {
        let info = ContainerInfo {
            mounts: vec![("/proc/1".into(), "/host/proc".into())],
            ..ContainerInfo::default()
        };
        assert_eq!(info.mount_dest("/proc*"), Some("/host/proc"));
        assert_eq!(info.mount_dest("/proc"), None);
    }
}
