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

/// Declares a struct of fields read from a JSON object in one pass over its
/// entries (a `null` field is absent), with a `get` that falls back to a
/// lookup for any other key.
macro_rules! prefetched {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $key:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        pub(crate) struct $name<'a> {
            raw: Option<&'a Value>,
            $($field: Option<&'a Value>,)*
        }

        impl<'a> $name<'a> {
            /// Reads the fields of `value` (a mapping) in one pass.
            pub(crate) fn read(value: Option<&'a Value>) -> $name<'a> {
                let mut out = $name { raw: value, ..$name::default() };
                if let Some(map) = value.and_then(Value::as_object) {
                    for (k, v) in map {
                        if v.is_null() {
                            continue;
                        }
                        match k.as_str() {
                            $($key => out.$field = Some(v),)*
                            _ => {}
                        }
                    }
                }
                out
            }

            /// The field `key`, unless absent or `null`.
            #[inline]
            pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
                match key {
                    $($key => self.$field,)*
                    _ => field(self.raw?, key),
                }
            }
        }
    };
}

prefetched! {
    /// The security-context fields the checks read.
    Sc {
        allow_privilege_escalation: "allowPrivilegeEscalation",
        app_armor_profile: "appArmorProfile",
        capabilities: "capabilities",
        privileged: "privileged",
        proc_mount: "procMount",
        run_as_non_root: "runAsNonRoot",
        run_as_user: "runAsUser",
        se_linux_options: "seLinuxOptions",
        seccomp_profile: "seccompProfile",
        sysctls: "sysctls",
        windows_options: "windowsOptions",
    }
}

prefetched! {
    /// The container fields the checks read.
    ContainerFields {
        name: "name",
        ports: "ports",
        liveness_probe: "livenessProbe",
        readiness_probe: "readinessProbe",
        startup_probe: "startupProbe",
        lifecycle: "lifecycle",
        security_context: "securityContext",
    }
}

prefetched! {
    /// The pod spec fields the checks read.
    SpecFields {
        host_network: "hostNetwork",
        host_pid: "hostPID",
        host_ipc: "hostIPC",
        host_users: "hostUsers",
        os: "os",
        volumes: "volumes",
        security_context: "securityContext",
        init_containers: "initContainers",
        containers: "containers",
        ephemeral_containers: "ephemeralContainers",
    }
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
    /// The pod prepared for evaluation: containers and security contexts
    /// looked up once.
    pub(crate) fn prepare(&self) -> Pod<'a> {
        let spec = SpecFields::read(Some(self.spec));
        let mut containers = Vec::new();
        for key in ["initContainers", "containers", "ephemeralContainers"] {
            let list = spec
                .get(key)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            containers.extend(list.iter().map(|c| {
                let fields = ContainerFields::read(Some(c));
                Container {
                    fields,
                    sc: Sc::read(fields.get("securityContext")),
                }
            }));
        }
        Pod {
            metadata: self.metadata,
            spec,
            sc: Sc::read(spec.get("securityContext")),
            containers,
        }
    }
}

/// A pod ready for the checks: its containers (init containers,
/// containers, then ephemeral containers, as PSA visits them) and security
/// contexts are looked up once.
#[derive(Debug, Clone)]
pub(crate) struct Pod<'a> {
    /// `metadata`.
    pub(crate) metadata: &'a Value,
    /// `spec`, read once.
    pub(crate) spec: SpecFields<'a>,
    sc: Sc<'a>,
    containers: Vec<Container<'a>>,
}

impl<'a> Pod<'a> {
    /// The field `key` of `spec.securityContext`, when set.
    #[inline]
    pub(crate) fn pod_sc_field(&self, key: &str) -> Option<&'a Value> {
        self.sc.get(key)
    }

    /// The field `key` of `spec`, when set.
    #[inline]
    pub(crate) fn spec_field(&self, key: &str) -> Option<&'a Value> {
        self.spec.get(key)
    }

    /// `spec.volumes`.
    pub(crate) fn volumes(&self) -> &'a [Value] {
        self.spec
            .get("volumes")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Every container, in PSA's order.
    pub(crate) fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.containers.iter().copied()
    }

    /// `true` when `spec.os.name` is `windows`.
    pub(crate) fn is_windows(&self) -> bool {
        self.spec
            .get("os")
            .is_some_and(|os| str_field(os, "name") == "windows")
    }

    /// `true` when `spec.hostUsers` is `false` (the pod has its own user
    /// namespace).
    pub(crate) fn in_user_namespace(&self) -> bool {
        self.spec.get("hostUsers").and_then(Value::as_bool) == Some(false)
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

/// One container of a pod, its fields read once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Container<'a> {
    fields: ContainerFields<'a>,
    sc: Sc<'a>,
}

impl<'a> Container<'a> {
    /// The container's name.
    pub(crate) fn name(&self) -> &'a str {
        self.fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The field `key` of the security context, when set.
    #[inline]
    pub(crate) fn sc_field(&self, key: &str) -> Option<&'a Value> {
        self.sc.get(key)
    }

    /// The field `key` itself.
    #[inline]
    pub(crate) fn field(&self, key: &str) -> Option<&'a Value> {
        self.fields.get(key)
    }
}
