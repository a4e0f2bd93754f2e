//! Reading a pod's metadata and spec from JSON the way the Kubernetes Go
//! types see it: a `null` field is the same as an absent one.

use serde_json::Value;

/// The field `key` of `value`, unless absent or `null`.
pub(crate) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|v| !v.is_null())
}

/// The boolean field `key` (`None` when absent, null or not a boolean).
pub(crate) fn bool_field(value: &Value, key: &str) -> Option<bool> {
    field(value, key)?.as_bool()
}

/// The string field `key`; absent, null and non-strings read as `""`, the
/// Go zero value.
pub(crate) fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    field(value, key).and_then(Value::as_str).unwrap_or("")
}

/// The items of the array field `key` (empty when absent).
pub(crate) fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    field(value, key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The metadata and spec of one pod (or pod template).
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    /// `metadata` (annotations are read from it); `Value::Null` when absent.
    pub metadata: &'a Value,
    /// `spec`; `Value::Null` when absent.
    pub spec: &'a Value,
}

impl<'a> PodView<'a> {
    /// `spec.securityContext`, when set.
    pub(crate) fn pod_security_context(&self) -> Option<&'a Value> {
        field(self.spec, "securityContext")
    }

    /// Every container: init containers, containers, then ephemeral
    /// containers, as Pod Security Admission visits them.
    pub(crate) fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        let spec = self.spec;
        ["initContainers", "containers", "ephemeralContainers"]
            .into_iter()
            .flat_map(move |key| items(spec, key).iter().map(Container))
    }

    /// `true` when `spec.os.name` is `windows`.
    pub(crate) fn is_windows(&self) -> bool {
        field(self.spec, "os").is_some_and(|os| str_field(os, "name") == "windows")
    }

    /// `true` when `spec.hostUsers` is `false` (the pod has its own user
    /// namespace).
    pub(crate) fn in_user_namespace(&self) -> bool {
        bool_field(self.spec, "hostUsers") == Some(false)
    }

    /// The annotations as (key, value) pairs; non-string values read as `""`.
    pub(crate) fn annotations(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        field(self.metadata, "annotations")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
    }

    /// The annotation `key`, when present.
    pub(crate) fn annotation(&self, key: &str) -> Option<&'a str> {
        let value = field(self.metadata, "annotations")?.get(key)?;
        Some(value.as_str().unwrap_or(""))
    }
}

/// One container of a pod.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Container<'a>(pub(crate) &'a Value);

impl<'a> Container<'a> {
    /// The container's name.
    pub(crate) fn name(&self) -> &'a str {
        str_field(self.0, "name")
    }

    /// `securityContext`, when set.
    pub(crate) fn security_context(&self) -> Option<&'a Value> {
        field(self.0, "securityContext")
    }

    /// The field `key` of the security context, when set.
    pub(crate) fn sc_field(&self, key: &str) -> Option<&'a Value> {
        field(self.security_context()?, key)
    }

    /// The field `key` itself.
    pub(crate) fn field(&self, key: &str) -> Option<&'a Value> {
        field(self.0, key)
    }
}
