//! Pod Security Standards: Palisade's native checks against the Gatekeeper
//! pod-security-policy templates that check the same things, on the PSS
//! fixture pods of the corpus.
//!
//! Each level has a list of templates with the parameters that make them
//! check what PSA checks at `latest`, and the PSS checks they correspond
//! to. A pod is denied by the native side when one of those checks fails
//! (the other checks are not compared; the timing runs all of them) and by
//! the Rego side when one template reports a violation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade::admission::gatekeeper::{ConstraintTemplate, review_value};
use palisade::admission::pss::{self, CheckId, Level, LevelVersion, Version};
use palisade::admission::{AdmissionRequest, Context};
use palisade::manifest;
use regorus::Value;
use serde_json::{Value as Json, json};

/// One template of the Rego side.
pub struct Template {
    /// Directory name under `pod-security-policy/`.
    pub name: &'static str,
    engine: regorus::Engine,
    rule: String,
    parameters: Value,
}

/// The Rego side of one level and the checks it corresponds to.
pub struct Side {
    /// The level, evaluated at `latest`.
    pub level: Level,
    /// The templates.
    pub templates: Vec<Template>,
    /// The PSS checks the templates cover together.
    pub checks: Vec<CheckId>,
}

/// One fixture pod.
pub struct Pod {
    /// `<level>/v1.N/<pass|fail>/<name>.yaml`.
    pub name: String,
    /// The level of its directory.
    pub level: Level,
    /// The object.
    pub object: Json,
    /// The input of the templates (`review` only; parameters per template).
    pub review: Value,
}

/// The templates (with PSS-equivalent parameters) of each level, and the
/// PSS checks they correspond to. Checks without a counterpart that agrees
/// on the fixtures are left out (see `benches/peers/README.md`).
fn plan(level: Level) -> (Vec<(&'static str, Json)>, Vec<CheckId>) {
    let baseline_caps = json!({"allowedCapabilities": [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]});
    let mut templates = vec![
        ("privileged-containers", json!({})),
        ("host-namespaces", json!({})),
        (
            "host-network-ports",
            json!({"hostNetwork": false, "min": 0, "max": 0}),
        ),
        ("proc-mount", json!({"procMount": "Default"})),
        ("host-process", json!({})),
        ("host-probes-lifecycle", json!({})),
        (
            "forbidden-sysctls",
            json!({"allowedSysctls": [
                "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
                "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
                "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]}),
        ),
    ];
    let mut checks = vec![
        CheckId::Privileged,
        CheckId::HostNamespaces,
        CheckId::HostPorts,
        CheckId::ProcMount,
        CheckId::WindowsHostProcess,
        CheckId::HostProbesAndHostLifecycle,
        CheckId::Sysctls,
    ];
    match level {
        Level::Baseline => {
            templates.push(("capabilities", baseline_caps));
            templates.push(("host-filesystem", json!({"allowedHostPaths": []})));
            checks.extend([CheckId::CapabilitiesBaseline, CheckId::HostPathVolumes]);
        }
        _ => {
            templates.push((
                "capabilities",
                json!({"allowedCapabilities": ["NET_BIND_SERVICE"], "requiredDropCapabilities": ["ALL"]}),
            ));
            templates.push(("allow-privilege-escalation", json!({})));
            templates.push((
                "volumes",
                json!({"volumes": ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                    "persistentVolumeClaim", "projected", "secret"]}),
            ));
            checks.extend([
                CheckId::CapabilitiesBaseline,
                CheckId::CapabilitiesRestricted,
                CheckId::AllowPrivilegeEscalation,
                CheckId::HostPathVolumes,
                CheckId::RestrictedVolumes,
                CheckId::ProcMountRestricted,
            ]);
        }
    }
    (templates, checks)
}

/// Compiles the Rego side of `level` from the templates under `psp`.
pub fn side(psp: &Path, level: Level) -> Result<Side, String> {
    let (plan, checks) = plan(level);
    let mut templates = Vec::new();
    for (name, parameters) in plan {
        let file = psp.join(name).join("template.yaml");
        let report = manifest::load_file(&file);
        let manifest = report
            .objects
            .first()
            .ok_or_else(|| format!("no template in `{}`", file.display()))?;
        let template = ConstraintTemplate::from_manifest(manifest).map_err(|e| e.to_string())?;
        template
            .check_parameters(&parameters)
            .map_err(|e| format!("{name}: parameters: {e}"))?;
        templates.push(Template {
            name,
            engine: template.engine().clone(),
            rule: template.rule().to_owned(),
            parameters: Value::from(parameters),
        });
    }
    Ok(Side {
        level,
        templates,
        checks,
    })
}

impl Side {
    /// The input of `template` for `pod`.
    pub fn input(template: &Template, pod: &Pod) -> Value {
        let mut input = BTreeMap::new();
        input.insert(Value::from("review"), pod.review.clone());
        input.insert(Value::from("parameters"), template.parameters.clone());
        Value::from(input)
    }

    /// The Rego side's verdict on prepared inputs (one per template):
    /// the templates that reported a violation.
    pub fn rego(&self, inputs: &[Value]) -> Result<Vec<&'static str>, String> {
        let mut fired = Vec::new();
        for (template, input) in self.templates.iter().zip(inputs) {
            let mut engine = template.engine.clone();
            engine.set_input(input.clone());
            let result = engine
                .eval_rule(template.rule.clone())
                .map_err(|e| format!("{}: {e}", template.name))?;
            let found = match result {
                Value::Set(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => false,
            };
            if found {
                fired.push(template.name);
            }
        }
        Ok(fired)
    }

    /// The native side's failures among the corresponding checks.
    pub fn native(&self, pod: &Pod) -> Vec<CheckId> {
        pss::evaluate(LevelVersion::new(self.level, Version::Latest), &pod.object)
            .map(|e| {
                e.failures
                    .iter()
                    .map(|f| f.check)
                    .filter(|c| self.checks.contains(c))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why the two sides may differ on a pod where PSS and the templates
/// define a check differently; `None` when the difference is unexplained.
/// Each rule is narrow: it names the one template and check involved and
/// the field of the pod that makes them differ (see
/// `benches/peers/README.md`).
pub fn known_divergence(pod: &Pod, native: &[CheckId], rego: &[&str]) -> Option<&'static str> {
    let spec = pod.object.get("spec")?;
    let windows = spec.pointer("/os/name").and_then(Json::as_str) == Some("windows");
    if pod.level == Level::Restricted
        && windows
        && native.is_empty()
        && rego
            .iter()
            .all(|t| ["capabilities", "allow-privilege-escalation"].contains(t))
    {
        return Some(
            "windows-pod: PSS (v1.25+) exempts pods with spec.os.name=windows from the Linux-only restricted checks; the templates have no such exemption",
        );
    }
    if native.is_empty()
        && rego == ["proc-mount"]
        && pod.level == Level::Baseline
        && spec.get("hostUsers").and_then(Json::as_bool) == Some(false)
    {
        return Some(
            "user-namespace-procmount: PSS baseline (v1.35+) allows a non-default procMount in a pod with hostUsers=false; the proc-mount template does not look at hostUsers",
        );
    }
    let lower_case_capability = ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Json::as_array))
        .flatten()
        .filter_map(|c| c.pointer("/securityContext/capabilities/add")?.as_array())
        .flatten()
        .filter_map(Json::as_str)
        .any(|cap| cap != cap.to_ascii_uppercase());
    if lower_case_capability
        && native.iter().all(|c| {
            matches!(
                c,
                CheckId::CapabilitiesBaseline | CheckId::CapabilitiesRestricted
            )
        })
        && !native.is_empty()
        && rego.is_empty()
    {
        return Some(
            "capability-case: PSA compares capability names case-sensitively (`chown` is not `CHOWN`); the capabilities template lower-cases both sides",
        );
    }
    None
}

/// Every fixture pod under `root` (`.../admission/pss`).
pub fn pods(root: &Path) -> Result<Vec<Pod>, String> {
    let mut files: Vec<(Level, PathBuf)> = Vec::new();
    for (level, dir) in [
        (Level::Baseline, "baseline"),
        (Level::Restricted, "restricted"),
    ] {
        let level_dir = root.join(dir);
        let versions = std::fs::read_dir(&level_dir)
            .map_err(|e| format!("cannot read `{}`: {e}", level_dir.display()))?;
        for version in versions.filter_map(Result::ok) {
            for outcome in ["pass", "fail"] {
                let Ok(entries) = std::fs::read_dir(version.path().join(outcome)) else {
                    continue;
                };
                files.extend(
                    entries
                        .filter_map(Result::ok)
                        .map(|e| (level, e.path()))
                        .filter(|(_, p)| p.extension().is_some_and(|x| x == "yaml")),
                );
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let context = Context::new();
    let mut pods = Vec::with_capacity(files.len());
    for (level, file) in files {
        let report = manifest::load_file(&file);
        let Some(object) = report.objects.into_iter().next().map(|m| m.object) else {
            return Err(format!("no object in `{}`", file.display()));
        };
        let request = AdmissionRequest::from_object(object.clone()).map_err(|e| e.to_string())?;
        let name = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        pods.push(Pod {
            name,
            level,
            review: review_value(&request, &context),
            object,
        });
    }
    Ok(pods)
}
