//! Which check definitions apply at a level and version, and the
//! evaluation of a pod against them.
//!
//! Like Pod Security Admission: each check has definitions that start at a
//! minimum version; at version `v` the newest definition at or below `v`
//! applies, and the check does not exist below its first version.
//! `restricted` runs every baseline check too, except the baseline checks
//! that a restricted definition overrides at that version (for example
//! `capabilities_restricted` replaces `capabilities_baseline` from v1.22).
//! Checks run in PSA's order: baseline IDs sorted, then restricted IDs
//! sorted.

use std::fmt;
use std::str::FromStr;

use super::checks::{self as c, Failure};
use super::fields::{Pod, PodView};
use super::level::{Level, LevelVersion};

/// The identifier of a Pod Security check, as PSA names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CheckId {
    /// `allowPrivilegeEscalation` (restricted).
    AllowPrivilegeEscalation,
    /// `appArmorProfile` (baseline).
    AppArmorProfile,
    /// `capabilities_baseline` (baseline).
    CapabilitiesBaseline,
    /// `capabilities_restricted` (restricted).
    CapabilitiesRestricted,
    /// `hostNamespaces` (baseline).
    HostNamespaces,
    /// `hostPathVolumes` (baseline).
    HostPathVolumes,
    /// `hostPorts` (baseline).
    HostPorts,
    /// `hostProbesAndHostLifecycle` (baseline, v1.34+).
    HostProbesAndHostLifecycle,
    /// `privileged` (baseline).
    Privileged,
    /// `procMount` (baseline).
    ProcMount,
    /// `procMount_restricted` (restricted, v1.35+).
    ProcMountRestricted,
    /// `restrictedVolumes` (restricted).
    RestrictedVolumes,
    /// `runAsNonRoot` (restricted).
    RunAsNonRoot,
    /// `runAsUser` (restricted, v1.23+).
    RunAsUser,
    /// `seLinuxOptions` (baseline).
    SeLinuxOptions,
    /// `seccompProfile_baseline` (baseline).
    SeccompProfileBaseline,
    /// `seccompProfile_restricted` (restricted, v1.19+).
    SeccompProfileRestricted,
    /// `sysctls` (baseline).
    Sysctls,
    /// `windowsHostProcess` (baseline).
    WindowsHostProcess,
}

impl CheckId {
    /// Every check, in PSA's evaluation order.
    pub const ALL: [CheckId; 19] = [
        CheckId::AppArmorProfile,
        CheckId::CapabilitiesBaseline,
        CheckId::HostNamespaces,
        CheckId::HostPathVolumes,
        CheckId::HostPorts,
        CheckId::HostProbesAndHostLifecycle,
        CheckId::Privileged,
        CheckId::ProcMount,
        CheckId::SeLinuxOptions,
        CheckId::SeccompProfileBaseline,
        CheckId::Sysctls,
        CheckId::WindowsHostProcess,
        CheckId::AllowPrivilegeEscalation,
        CheckId::CapabilitiesRestricted,
        CheckId::ProcMountRestricted,
        CheckId::RestrictedVolumes,
        CheckId::RunAsNonRoot,
        CheckId::RunAsUser,
        CheckId::SeccompProfileRestricted,
    ];

    /// The level the check belongs to.
    pub fn level(self) -> Level {
        match self {
            CheckId::AllowPrivilegeEscalation
            | CheckId::CapabilitiesRestricted
            | CheckId::ProcMountRestricted
            | CheckId::RestrictedVolumes
            | CheckId::RunAsNonRoot
            | CheckId::RunAsUser
            | CheckId::SeccompProfileRestricted => Level::Restricted,
            _ => Level::Baseline,
        }
    }
}

palisade_core::names! {
    /// The check's ID as PSA writes it (`capabilities_baseline`).
    CheckId {
        AllowPrivilegeEscalation => "allowPrivilegeEscalation",
        AppArmorProfile => "appArmorProfile",
        CapabilitiesBaseline => "capabilities_baseline",
        CapabilitiesRestricted => "capabilities_restricted",
        HostNamespaces => "hostNamespaces",
        HostPathVolumes => "hostPathVolumes",
        HostPorts => "hostPorts",
        HostProbesAndHostLifecycle => "hostProbesAndHostLifecycle",
        Privileged => "privileged",
        ProcMount => "procMount",
        ProcMountRestricted => "procMount_restricted",
        RestrictedVolumes => "restrictedVolumes",
        RunAsNonRoot => "runAsNonRoot",
        RunAsUser => "runAsUser",
        SeLinuxOptions => "seLinuxOptions",
        SeccompProfileBaseline => "seccompProfile_baseline",
        SeccompProfileRestricted => "seccompProfile_restricted",
        Sysctls => "sysctls",
        WindowsHostProcess => "windowsHostProcess",
    }
}

/// A check ID that PSA does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("unknown Pod Security check `{value}`")]
#[diagnostic(code(palisade::pss::check_id))]
pub struct ParseCheckIdError {
    /// The text that was given.
    pub value: String,
}

impl FromStr for CheckId {
    type Err = ParseCheckIdError;
    /// Parses a check ID; case-insensitive, so the lower-cased file prefixes
    /// of the PSA fixtures parse too.
    fn from_str(s: &str) -> Result<CheckId, ParseCheckIdError> {
        CheckId::ALL
            .into_iter()
            .find(|id| id.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseCheckIdError {
                value: s.to_owned(),
            })
    }
}

type CheckFn = fn(&Pod<'_>) -> Option<Failure>;

/// One definition of a check, in effect from `min_minor` on.
struct Versioned {
    min_minor: u32,
    run: CheckFn,
    overrides: &'static [CheckId],
}

struct CheckDef {
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "checked against `CheckId::as_str` in tests")
    )]
    id: &'static str,
    level: Level,
    versions: &'static [Versioned],
}

const fn v(min_minor: u32, run: CheckFn) -> Versioned {
    Versioned {
        min_minor,
        run,
        overrides: &[],
    }
}

const fn vo(min_minor: u32, run: CheckFn, overrides: &'static [CheckId]) -> Versioned {
    Versioned {
        min_minor,
        run,
        overrides,
    }
}

const B: Level = Level::Baseline;
const R: Level = Level::Restricted;

/// The checks in the order of [`CheckId::ALL`].
static CHECKS: [CheckDef; 19] = [
    CheckDef {
        id: "appArmorProfile",
        level: B,
        versions: &[v(0, c::app_armor_profile_1_0)],
    },
    CheckDef {
        id: "capabilities_baseline",
        level: B,
        versions: &[v(0, c::capabilities_baseline_1_0)],
    },
    CheckDef {
        id: "hostNamespaces",
        level: B,
        versions: &[v(0, c::host_namespaces_1_0)],
    },
    CheckDef {
        id: "hostPathVolumes",
        level: B,
        versions: &[v(0, c::host_path_volumes_1_0)],
    },
    CheckDef {
        id: "hostPorts",
        level: B,
        versions: &[v(0, c::host_ports_1_0)],
    },
    CheckDef {
        id: "hostProbesAndHostLifecycle",
        level: B,
        versions: &[v(34, c::host_probes_and_host_lifecycle_1_34)],
    },
    CheckDef {
        id: "privileged",
        level: B,
        versions: &[v(0, c::privileged_1_0)],
    },
    CheckDef {
        id: "procMount",
        level: B,
        versions: &[v(0, c::proc_mount_1_0), v(35, c::proc_mount_1_35_baseline)],
    },
    CheckDef {
        id: "seLinuxOptions",
        level: B,
        versions: &[
            v(0, c::se_linux_options_1_0),
            v(31, c::se_linux_options_1_31),
        ],
    },
    CheckDef {
        id: "seccompProfile_baseline",
        level: B,
        versions: &[
            v(0, c::seccomp_profile_baseline_1_0),
            v(19, c::seccomp_profile_baseline_1_19),
        ],
    },
    CheckDef {
        id: "sysctls",
        level: B,
        versions: &[
            v(0, c::sysctls_1_0),
            v(27, c::sysctls_1_27),
            v(29, c::sysctls_1_29),
            v(32, c::sysctls_1_32),
            v(37, c::sysctls_1_37),
        ],
    },
    CheckDef {
        id: "windowsHostProcess",
        level: B,
        versions: &[v(0, c::windows_host_process_1_0)],
    },
    CheckDef {
        id: "allowPrivilegeEscalation",
        level: R,
        versions: &[
            v(8, c::allow_privilege_escalation_1_8),
            v(25, c::allow_privilege_escalation_1_25),
        ],
    },
    CheckDef {
        id: "capabilities_restricted",
        level: R,
        versions: &[
            vo(
                22,
                c::capabilities_restricted_1_22,
                &[CheckId::CapabilitiesBaseline],
            ),
            vo(
                25,
                c::capabilities_restricted_1_25,
                &[CheckId::CapabilitiesBaseline],
            ),
        ],
    },
    CheckDef {
        id: "procMount_restricted",
        level: R,
        versions: &[vo(35, c::proc_mount_1_0, &[CheckId::ProcMount])],
    },
    CheckDef {
        id: "restrictedVolumes",
        level: R,
        versions: &[vo(
            0,
            c::restricted_volumes_1_0,
            &[CheckId::HostPathVolumes],
        )],
    },
    CheckDef {
        id: "runAsNonRoot",
        level: R,
        versions: &[v(0, c::run_as_non_root_1_0), v(35, c::run_as_non_root_1_35)],
    },
    CheckDef {
        id: "runAsUser",
        level: R,
        versions: &[v(23, c::run_as_user_1_23), v(35, c::run_as_user_1_35)],
    },
    CheckDef {
        id: "seccompProfile_restricted",
        level: R,
        versions: &[
            vo(
                19,
                c::seccomp_profile_restricted_1_19,
                &[CheckId::SeccompProfileBaseline],
            ),
            vo(
                25,
                c::seccomp_profile_restricted_1_25,
                &[CheckId::SeccompProfileBaseline],
            ),
        ],
    },
];

/// The definition of `def` in effect at `minor`, if the check exists then.
fn active(def: &CheckDef, minor: u32) -> Option<&Versioned> {
    def.versions.iter().rev().find(|v| v.min_minor <= minor)
}

/// The checks that run at `lv`, in order (empty for `privileged`).
pub fn checks_for(lv: LevelVersion) -> Vec<CheckId> {
    applicable(lv).map(|(id, _)| id).collect()
}

/// `true` when `restricted` at `minor` replaces baseline check `id`.
fn overridden(id: CheckId, minor: u32) -> bool {
    CHECKS
        .iter()
        .filter(|d| d.level == Level::Restricted)
        .filter_map(|d| active(d, minor))
        .any(|v| v.overrides.contains(&id))
}

fn applicable(lv: LevelVersion) -> impl Iterator<Item = (CheckId, CheckFn)> {
    let minor = lv.version.effective_minor();
    CheckId::ALL
        .into_iter()
        .zip(CHECKS.iter())
        .filter(move |(id, def)| match (lv.level, def.level) {
            (Level::Privileged, _) | (Level::Baseline, Level::Restricted) => false,
            (Level::Restricted, Level::Baseline) => !overridden(*id, minor),
            _ => true,
        })
        .filter_map(move |(id, def)| active(def, minor).map(|v| (id, v.run)))
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check that failed.
    pub check: CheckId,
    /// PSA's reason (`host namespaces`).
    pub reason: String,
    /// PSA's detail (`hostNetwork=true`); may be empty.
    pub detail: String,
}

impl fmt::Display for CheckFailure {
    /// `reason (detail)`, as in PSA's messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

/// The outcome of evaluating one pod at one level and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// What was evaluated against.
    pub level_version: LevelVersion,
    /// The checks that failed, in PSA's order; empty when allowed.
    pub failures: Vec<CheckFailure>,
}

impl Evaluation {
    /// `true` when no check failed.
    pub fn allowed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The reasons, joined as PSA joins them (`privileged, host namespaces`).
    pub fn forbidden_reason(&self) -> String {
        let reasons: Vec<&str> = self.failures.iter().map(|f| f.reason.as_str()).collect();
        reasons.join(", ")
    }

    /// Every failure as `reason (detail)`, joined with `, `.
    pub fn forbidden_detail(&self) -> String {
        let parts: Vec<String> = self.failures.iter().map(ToString::to_string).collect();
        parts.join(", ")
    }

    /// PSA's denial message: `violates PodSecurity "restricted:latest": ...`.
    pub fn denial_message(&self) -> String {
        format!(
            "violates PodSecurity \"{}\": {}",
            self.level_version,
            self.forbidden_detail()
        )
    }

    /// PSA's audit and warning message: `would violate PodSecurity "...": ...`.
    pub fn warning_message(&self) -> String {
        format!(
            "would violate PodSecurity \"{}\": {}",
            self.level_version,
            self.forbidden_detail()
        )
    }
}

/// Evaluates one pod (its metadata and spec) at `lv`.
pub fn evaluate_pod(lv: LevelVersion, pod: &PodView<'_>) -> Evaluation {
    let mut failures = Vec::new();
    let pod = pod.prepare();
    for (check, run) in applicable(lv) {
        if let Some(f) = run(&pod) {
            failures.push(CheckFailure {
                check,
                reason: f.reason,
                detail: f.detail,
            });
        }
    }
    Evaluation {
        level_version: lv,
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::Version;

    #[test]
    fn ids_round_trip_and_table_is_in_order() {
        for (id, def) in CheckId::ALL.iter().zip(CHECKS.iter()) {
            assert_eq!(id.as_str(), def.id);
            assert_eq!(id.level(), def.level);
            assert_eq!(def.id.parse::<CheckId>().unwrap(), *id);
        }
        assert_eq!(
            "seccompprofile_restricted".parse::<CheckId>().unwrap(),
            CheckId::SeccompProfileRestricted
        );
    }

    #[test]
    fn overrides_follow_versions() {
        let at = |level, minor| checks_for(LevelVersion::new(level, Version::V1(minor)));
        let r21 = at(Level::Restricted, 21);
        assert!(r21.contains(&CheckId::CapabilitiesBaseline));
        assert!(!r21.contains(&CheckId::CapabilitiesRestricted));
        let r22 = at(Level::Restricted, 22);
        assert!(!r22.contains(&CheckId::CapabilitiesBaseline));
        assert!(!r22.contains(&CheckId::HostPathVolumes));
        assert!(!at(Level::Restricted, 7).contains(&CheckId::AllowPrivilegeEscalation));
        assert!(at(Level::Baseline, 34).contains(&CheckId::HostProbesAndHostLifecycle));
        assert!(!at(Level::Baseline, 33).contains(&CheckId::HostProbesAndHostLifecycle));
        assert!(at(Level::Privileged, 30).is_empty());
    }
}
