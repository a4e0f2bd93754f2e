//! The checks of the Pod Security Standards, one function per check
//! definition, with reasons and details worded like Pod Security Admission's.
//!
//! Each function returns `None` when the pod passes and a [`Failure`] when
//! it does not. The passing path allocates nothing.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{Container, Pod, bool_field, field, items, str_field};

/// Why one check failed: a short reason and a detail, as PSA words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The reason (`privileged`, `host namespaces`, ...).
    pub reason: String,
    /// The detail (`container "a" must not set securityContext.privileged=true`).
    pub detail: String,
}

fn fail(reason: impl Into<String>, detail: String) -> Option<Failure> {
    Some(Failure {
        reason: reason.into(),
        detail,
    })
}

fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// `"a", "b"`: items in double quotes, comma separated.
fn join_quote<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item.as_ref());
        out.push('"');
    }
    out
}

/// A string quoted the way Go's `%q` quotes it.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

fn security_context_field<'a>(c: &Container<'a>, key: &str) -> Option<&'a Value> {
    c.sc_field(key)
}

// ---- allowPrivilegeEscalation ----------------------------------------------

pub(crate) fn allow_privilege_escalation_1_8(pod: &Pod<'_>) -> Option<Failure> {
    let bad: Vec<&str> = pod
        .containers()
        .filter(|c| {
            c.sc_field("allowPrivilegeEscalation")
                .and_then(Value::as_bool)
                != Some(false)
        })
        .map(|c| c.name())
        .collect();
    if bad.is_empty() {
        return None;
    }
    fail(
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
    )
}

pub(crate) fn allow_privilege_escalation_1_25(pod: &Pod<'_>) -> Option<Failure> {
    if pod.is_windows() {
        return None;
    }
    allow_privilege_escalation_1_8(pod)
}

// ---- appArmorProfile -------------------------------------------------------

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_apparmor_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn allowed_apparmor_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

pub(crate) fn app_armor_profile_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<&str> = BTreeSet::new();
    if let Some(profile) = pod.pod_sc_field("appArmorProfile") {
        let t = str_field(profile, "type");
        if !allowed_apparmor_type(t) {
            setters.push("pod".to_owned());
            values.insert(t);
        }
    }
    let mut containers: Vec<&str> = Vec::new();
    for c in pod.containers() {
        if let Some(profile) = c.sc_field("appArmorProfile") {
            let t = str_field(profile, "type");
            if !allowed_apparmor_type(t) {
                containers.push(c.name());
                values.insert(t);
            }
        }
    }
    if !containers.is_empty() {
        setters.push(containers_phrase(&containers));
    }
    let mut annotations: Vec<String> = pod
        .annotations()
        .filter(|(k, v)| {
            k.starts_with(APPARMOR_ANNOTATION_PREFIX) && !allowed_apparmor_annotation(v)
        })
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    if setters.is_empty() && annotations.is_empty() {
        return None;
    }
    let mut value_list: Vec<String> = values.into_iter().map(str::to_owned).collect();
    if !annotations.is_empty() {
        annotations.sort();
        setters.push(pluralize("annotation", "annotations", annotations.len()).to_owned());
        value_list.extend(annotations);
    }
    fail(
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            value_list.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&value_list)
        ),
    )
}

// ---- capabilities ----------------------------------------------------------

const DEFAULT_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capability_names<'a>(caps: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    items(caps, key).iter().map(|c| c.as_str().unwrap_or(""))
}

pub(crate) fn capabilities_baseline_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut bad: Vec<&str> = Vec::new();
    let mut caps: BTreeSet<&str> = BTreeSet::new();
    for c in pod.containers() {
        if let Some(capabilities) = security_context_field(&c, "capabilities") {
            let mut valid = true;
            for cap in capability_names(capabilities, "add") {
                if !DEFAULT_CAPABILITIES.contains(&cap) {
                    valid = false;
                    caps.insert(cap);
                }
            }
            if !valid {
                bad.push(c.name());
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    fail(
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(&caps)
        ),
    )
}

pub(crate) fn capabilities_restricted_1_22(pod: &Pod<'_>) -> Option<Failure> {
    let mut missing_drop: Vec<&str> = Vec::new();
    let mut adding: Vec<&str> = Vec::new();
    let mut forbidden: BTreeSet<&str> = BTreeSet::new();
    for c in pod.containers() {
        let Some(capabilities) = security_context_field(&c, "capabilities") else {
            missing_drop.push(c.name());
            continue;
        };
        if !capability_names(capabilities, "drop").any(|cap| cap == "ALL") {
            missing_drop.push(c.name());
        }
        let mut added_forbidden = false;
        for cap in capability_names(capabilities, "add") {
            if cap != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden.insert(cap);
            }
        }
        if added_forbidden {
            adding.push(c.name());
        }
    }
    let mut details: Vec<String> = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&forbidden)
        ));
    }
    if details.is_empty() {
        return None;
    }
    fail("unrestricted capabilities", details.join("; "))
}

pub(crate) fn capabilities_restricted_1_25(pod: &Pod<'_>) -> Option<Failure> {
    if pod.is_windows() {
        return None;
    }
    capabilities_restricted_1_22(pod)
}

// ---- host namespaces, hostPath, hostPorts, probes --------------------------

pub(crate) fn host_namespaces_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let found: Vec<&str> = [
        ("hostNetwork", "hostNetwork=true"),
        ("hostPID", "hostPID=true"),
        ("hostIPC", "hostIPC=true"),
    ]
    .into_iter()
    .filter(|(key, _)| pod.spec_field(key).and_then(Value::as_bool) == Some(true))
    .map(|(_, text)| text)
    .collect();
    if found.is_empty() {
        return None;
    }
    fail("host namespaces", found.join(", "))
}

pub(crate) fn host_path_volumes_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let bad: Vec<&str> = pod
        .volumes()
        .iter()
        .filter(|v| field(v, "hostPath").is_some())
        .map(|v| str_field(v, "name"))
        .collect();
    if bad.is_empty() {
        return None;
    }
    fail(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad)
        ),
    )
}

pub(crate) fn host_ports_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut bad: Vec<&str> = Vec::new();
    let mut ports: BTreeSet<String> = BTreeSet::new();
    for c in pod.containers() {
        let mut valid = true;
        for port in c
            .field("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let host_port = field(port, "hostPort").and_then(Value::as_i64).unwrap_or(0);
            if host_port != 0 {
                valid = false;
                ports.insert(host_port.to_string());
            }
        }
        if !valid {
            bad.push(c.name());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    fail(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    )
}

/// The non-empty `httpGet.host` and `tcpSocket.host` of a probe or handler.
fn handler_hosts(handler: Option<&Value>) -> impl Iterator<Item = &str> {
    handler.into_iter().flat_map(|h| {
        ["httpGet", "tcpSocket"]
            .into_iter()
            .filter_map(move |key| field(h, key))
            .map(|action| str_field(action, "host"))
            .filter(|host| !host.is_empty())
    })
}

pub(crate) fn host_probes_and_host_lifecycle_1_34(pod: &Pod<'_>) -> Option<Failure> {
    let mut bad: BTreeSet<&str> = BTreeSet::new();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    for c in pod.containers() {
        let lifecycle = c.field("lifecycle");
        let handlers = [
            c.field("livenessProbe"),
            c.field("readinessProbe"),
            c.field("startupProbe"),
            lifecycle.and_then(|l| field(l, "postStart")),
            lifecycle.and_then(|l| field(l, "preStop")),
        ];
        for handler in handlers {
            for host in handler_hosts(handler) {
                bad.insert(c.name());
                hosts.insert(host);
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    fail(
        "probe or lifecycle host",
        format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
    )
}

// ---- privileged, procMount -------------------------------------------------

pub(crate) fn privileged_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let bad: Vec<&str> = pod
        .containers()
        .filter(|c| c.sc_field("privileged").and_then(Value::as_bool) == Some(true))
        .map(|c| c.name())
        .collect();
    if bad.is_empty() {
        return None;
    }
    fail(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&bad)
        ),
    )
}

pub(crate) fn proc_mount_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut bad: Vec<&str> = Vec::new();
    let mut types: BTreeSet<&str> = BTreeSet::new();
    for c in pod.containers() {
        if let Some(mount) = c.sc_field("procMount") {
            let mount = mount.as_str().unwrap_or("");
            if mount != "Default" {
                bad.push(c.name());
                types.insert(mount);
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    fail(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&types)
        ),
    )
}

pub(crate) fn proc_mount_1_35_baseline(pod: &Pod<'_>) -> Option<Failure> {
    if pod.in_user_namespace() {
        return None;
    }
    proc_mount_1_0(pod)
}

// ---- restrictedVolumes -----------------------------------------------------

const ALLOWED_VOLUME_SOURCES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const RESTRICTED_VOLUME_SOURCES: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

pub(crate) fn restricted_volumes_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut bad: Vec<&str> = Vec::new();
    let mut types: BTreeSet<&str> = BTreeSet::new();
    for volume in pod.volumes() {
        if ALLOWED_VOLUME_SOURCES
            .iter()
            .any(|key| field(volume, key).is_some())
        {
            continue;
        }
        // A volume without any source is defaulted to `emptyDir` by the API
        // server (and by PSA's decoding), so it is allowed.
        let Some(kind) = RESTRICTED_VOLUME_SOURCES
            .iter()
            .find(|key| field(volume, key).is_some())
        else {
            continue;
        };
        bad.push(str_field(volume, "name"));
        types.insert(kind);
    }
    if bad.is_empty() {
        return None;
    }
    fail(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
    )
}

// ---- runAsNonRoot, runAsUser -----------------------------------------------

pub(crate) fn run_as_non_root_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut pod_non_root = false;
    match pod.pod_sc_field("runAsNonRoot").and_then(Value::as_bool) {
        Some(false) => setters.push("pod".to_owned()),
        Some(true) => pod_non_root = true,
        None => {}
    }
    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    for c in pod.containers() {
        match c.sc_field("runAsNonRoot").and_then(Value::as_bool) {
            Some(false) => explicit.push(c.name()),
            Some(true) => {}
            None if !pod_non_root => implicit.push(c.name()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return fail(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        );
    }
    if !implicit.is_empty() {
        return fail(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
        );
    }
    None
}

pub(crate) fn run_as_non_root_1_35(pod: &Pod<'_>) -> Option<Failure> {
    if pod.in_user_namespace() {
        return None;
    }
    run_as_non_root_1_0(pod)
}

fn is_root(run_as_user: Option<&Value>) -> bool {
    run_as_user.and_then(Value::as_i64) == Some(0)
}

pub(crate) fn run_as_user_1_23(pod: &Pod<'_>) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    if is_root(pod.pod_sc_field("runAsUser")) {
        setters.push("pod".to_owned());
    }
    let bad: Vec<&str> = pod
        .containers()
        .filter(|c| is_root(c.sc_field("runAsUser")))
        .map(|c| c.name())
        .collect();
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    fail(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
    )
}

pub(crate) fn run_as_user_1_35(pod: &Pod<'_>) -> Option<Failure> {
    if pod.in_user_namespace() {
        return None;
    }
    run_as_user_1_23(pod)
}

// ---- seLinuxOptions --------------------------------------------------------

const SELINUX_TYPES_1_0: [&str; 4] = ["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: [&str; 5] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(crate) fn se_linux_options_1_0(pod: &Pod<'_>) -> Option<Failure> {
    se_linux_options(pod, &SELINUX_TYPES_1_0)
}

pub(crate) fn se_linux_options_1_31(pod: &Pod<'_>) -> Option<Failure> {
    se_linux_options(pod, &SELINUX_TYPES_1_31)
}

/// What was wrong across every `seLinuxOptions` of a pod.
#[derive(Default)]
struct SeLinuxFindings {
    bad_types: BTreeSet<String>,
    set_user: bool,
    set_role: bool,
}

impl SeLinuxFindings {
    /// Checks one `seLinuxOptions`; `true` when it is allowed.
    fn check(&mut self, opts: &Value, allowed: &[&str]) -> bool {
        let mut ok = true;
        let t = str_field(opts, "type");
        if !allowed.contains(&t) {
            ok = false;
            self.bad_types.insert(t.to_owned());
        }
        if !str_field(opts, "user").is_empty() {
            ok = false;
            self.set_user = true;
        }
        if !str_field(opts, "role").is_empty() {
            ok = false;
            self.set_role = true;
        }
        ok
    }
}

fn se_linux_options(pod: &Pod<'_>, allowed: &[&str]) -> Option<Failure> {
    let mut findings = SeLinuxFindings::default();
    let mut setters: Vec<String> = Vec::new();
    if let Some(opts) = pod.pod_sc_field("seLinuxOptions")
        && !findings.check(opts, allowed)
    {
        setters.push("pod".to_owned());
    }
    let mut bad: Vec<&str> = Vec::new();
    for c in pod.containers() {
        if let Some(opts) = c.sc_field("seLinuxOptions")
            && !findings.check(opts, allowed)
        {
            bad.push(c.name());
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data: Vec<String> = Vec::new();
    if !findings.bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", findings.bad_types.len()),
            join_quote(&findings.bad_types)
        ));
    }
    if findings.set_user {
        data.push("user may not be set".to_owned());
    }
    if findings.set_role {
        data.push("role may not be set".to_owned());
    }
    fail(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
    )
}

// ---- seccompProfile --------------------------------------------------------

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn valid_seccomp_type(t: &str) -> bool {
    matches!(t, "Localhost" | "RuntimeDefault")
}

fn valid_seccomp_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

pub(crate) fn seccomp_profile_baseline_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    if let Some(value) = pod.annotation(SECCOMP_POD_ANNOTATION)
        && !valid_seccomp_annotation(value)
    {
        forbidden.insert(format!("{SECCOMP_POD_ANNOTATION}={}", go_quote(value)));
    }
    for c in pod.containers() {
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name());
        if let Some(value) = pod.annotation(&key)
            && !valid_seccomp_annotation(value)
        {
            forbidden.insert(format!("{key}={}", go_quote(value)));
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    let list: Vec<String> = forbidden.into_iter().collect();
    fail(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", list.len()),
            list.join(", ")
        ),
    )
}

fn seccomp_type(profile: Option<&Value>) -> Option<&str> {
    profile.map(|p| str_field(p, "type"))
}

pub(crate) fn seccomp_profile_baseline_1_19(pod: &Pod<'_>) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<&str> = BTreeSet::new();
    if let Some(t) = seccomp_type(pod.pod_sc_field("seccompProfile"))
        && !valid_seccomp_type(t)
    {
        setters.push("pod".to_owned());
        values.insert(t);
    }
    let mut bad: Vec<&str> = Vec::new();
    for c in pod.containers() {
        if let Some(t) = seccomp_type(c.sc_field("seccompProfile"))
            && !valid_seccomp_type(t)
        {
            bad.push(c.name());
            values.insert(t);
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    fail(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
    )
}

pub(crate) fn seccomp_profile_restricted_1_19(pod: &Pod<'_>) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<&str> = BTreeSet::new();
    let mut pod_set = false;
    if let Some(t) = seccomp_type(pod.pod_sc_field("seccompProfile")) {
        if valid_seccomp_type(t) {
            pod_set = true;
        } else {
            setters.push("pod".to_owned());
            values.insert(t);
        }
    }
    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    for c in pod.containers() {
        match seccomp_type(c.sc_field("seccompProfile")) {
            Some(t) if !valid_seccomp_type(t) => {
                explicit.push(c.name());
                values.insert(t);
            }
            Some(_) => {}
            None if !pod_set => implicit.push(c.name()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return fail(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        );
    }
    if !implicit.is_empty() {
        return fail(
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit)
            ),
        );
    }
    None
}

pub(crate) fn seccomp_profile_restricted_1_25(pod: &Pod<'_>) -> Option<Failure> {
    if pod.is_windows() {
        return None;
    }
    seccomp_profile_restricted_1_19(pod)
}

// ---- sysctls ---------------------------------------------------------------

const SYSCTLS_1_0: [&str; 5] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: [&str; 1] = ["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: [&str; 4] = [
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: [&str; 2] = ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37: [&str; 2] = [
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

/// The safe sysctls of a version: each version adds to the previous.
fn sysctls(pod: &Pod<'_>, allowed: &[&[&str]]) -> Option<Failure> {
    let forbidden: Vec<&str> = pod
        .pod_sc_field("sysctls")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|s| str_field(s, "name"))
        .filter(|name| !allowed.iter().any(|set| set.contains(name)))
        .collect();
    if forbidden.is_empty() {
        return None;
    }
    fail("forbidden sysctls", forbidden.join(", "))
}

pub(crate) fn sysctls_1_0(pod: &Pod<'_>) -> Option<Failure> {
    sysctls(pod, &[&SYSCTLS_1_0])
}

pub(crate) fn sysctls_1_27(pod: &Pod<'_>) -> Option<Failure> {
    sysctls(pod, &[&SYSCTLS_1_0, &SYSCTLS_1_27])
}

pub(crate) fn sysctls_1_29(pod: &Pod<'_>) -> Option<Failure> {
    sysctls(pod, &[&SYSCTLS_1_0, &SYSCTLS_1_27, &SYSCTLS_1_29])
}

pub(crate) fn sysctls_1_32(pod: &Pod<'_>) -> Option<Failure> {
    sysctls(
        pod,
        &[&SYSCTLS_1_0, &SYSCTLS_1_27, &SYSCTLS_1_29, &SYSCTLS_1_32],
    )
}

pub(crate) fn sysctls_1_37(pod: &Pod<'_>) -> Option<Failure> {
    sysctls(
        pod,
        &[
            &SYSCTLS_1_0,
            &SYSCTLS_1_27,
            &SYSCTLS_1_29,
            &SYSCTLS_1_32,
            &SYSCTLS_1_37,
        ],
    )
}

// ---- windowsHostProcess ----------------------------------------------------

fn host_process(windows_options: Option<&Value>) -> bool {
    windows_options.and_then(|w| bool_field(w, "hostProcess")) == Some(true)
}

pub(crate) fn windows_host_process_1_0(pod: &Pod<'_>) -> Option<Failure> {
    let bad: Vec<&str> = pod
        .containers()
        .filter(|c| host_process(c.sc_field("windowsOptions")))
        .map(|c| c.name())
        .collect();
    let mut setters: Vec<String> = Vec::new();
    if host_process(pod.pod_sc_field("windowsOptions")) {
        setters.push("pod".to_owned());
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    fail(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(join_quote(["a", "b"]), "\"a\", \"b\"");
    }
}
