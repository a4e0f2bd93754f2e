//! Every Pod Security Admission fixture of the corpus gives the expected
//! verdict at its level and version: pods in `pass/` are allowed, pods in
//! `fail/` are denied and the check named by the file prefix (or the
//! restricted check that overrides it at that version) is among the
//! failures.

use palisade_admission::pss::{self, CheckId, Level, LevelVersion, Version};
use palisade_core::manifest;

/// The checks that can stand for `check` at `lv`: itself, or the restricted
/// check that replaces it at that version.
fn accepted(check: CheckId, lv: LevelVersion) -> Vec<CheckId> {
    let active = pss::checks_for(lv);
    if active.contains(&check) {
        return vec![check];
    }
    let family = match check {
        CheckId::CapabilitiesBaseline => CheckId::CapabilitiesRestricted,
        CheckId::SeccompProfileBaseline => CheckId::SeccompProfileRestricted,
        CheckId::ProcMount => CheckId::ProcMountRestricted,
        CheckId::HostPathVolumes => CheckId::RestrictedVolumes,
        other => other,
    };
    vec![family]
}

/// The text PSA's own fixture test expects in the denial of each check.
fn expected_text(check: CheckId) -> &'static str {
    match check {
        CheckId::AppArmorProfile => "forbidden AppArmor profile",
        CheckId::CapabilitiesBaseline => "capabilities",
        CheckId::CapabilitiesRestricted => "unrestricted capabilities",
        CheckId::HostNamespaces => "host namespaces",
        CheckId::HostPathVolumes => "hostPath",
        CheckId::HostPorts => "hostPort",
        CheckId::HostProbesAndHostLifecycle => "probe or lifecycle host",
        CheckId::ProcMount | CheckId::ProcMountRestricted => "procMount",
        CheckId::RestrictedVolumes => "restricted volume types",
        CheckId::SeLinuxOptions => "seLinuxOptions",
        CheckId::SeccompProfileBaseline | CheckId::SeccompProfileRestricted => "seccompProfile",
        CheckId::Sysctls => "forbidden sysctl",
        CheckId::WindowsHostProcess => "hostProcess",
        other => other.as_str(),
    }
}

#[test]
fn every_fixture_gets_its_verdict() {
    let Some(root) = palisade_testkit::corpus("admission/pss") else {
        return;
    };
    let mut total = 0usize;
    let mut failures = Vec::new();
    let mut seen_versions = std::collections::BTreeSet::new();
    for level_dir in ["baseline", "restricted"] {
        let level: Level = level_dir.parse().unwrap();
        let mut versions: Vec<_> = std::fs::read_dir(root.join(level_dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        versions.sort();
        for version_dir in versions {
            let version_name = version_dir
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let version: Version = version_name.parse().unwrap();
            seen_versions.insert(version_name.clone());
            let lv = LevelVersion::new(level, version);
            for outcome in ["pass", "fail"] {
                let dir = version_dir.join(outcome);
                if !dir.is_dir() {
                    continue;
                }
                let report = manifest::load_path(&dir);
                assert!(report.errors.is_empty(), "{:?}", report.errors);
                for m in &report.objects {
                    total += 1;
                    let name = m.name().unwrap().to_owned();
                    let id = format!("{level_dir}/{version_name}/{outcome}/{name}");
                    let result = pss::evaluate(lv, &m.object).expect("a pod");
                    if outcome == "pass" {
                        if !result.allowed() {
                            failures.push(format!("{id}: denied: {}", result.denial_message()));
                        }
                        continue;
                    }
                    if result.allowed() {
                        failures.push(format!("{id}: allowed"));
                        continue;
                    }
                    let prefix = name.trim_end_matches(|c: char| c.is_ascii_digit());
                    let check: CheckId = prefix.parse().unwrap();
                    let wanted = accepted(check, lv);
                    let message = result.denial_message();
                    if !result.failures.iter().any(|f| wanted.contains(&f.check)) {
                        failures.push(format!("{id}: denied, but not by {wanted:?}: {message}"));
                    } else if !wanted.iter().any(|c| message.contains(expected_text(*c))) {
                        failures.push(format!("{id}: message lacks PSA's wording: {message}"));
                    }
                }
            }
        }
    }
    eprintln!("PSS fixtures: {total}, failed {}", failures.len());
    assert_eq!(total, 3172, "fixture count changed");
    assert!(seen_versions.contains("v1.37"));
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn latest_is_the_newest_version() {
    let Some(root) = palisade_testkit::corpus("admission/pss") else {
        return;
    };
    // Every restricted v1.37 fixture gets the same verdict at `latest`.
    for outcome in ["pass", "fail"] {
        let report = manifest::load_path(&root.join("restricted/v1.37").join(outcome));
        for m in &report.objects {
            let at = |version| {
                pss::evaluate(LevelVersion::new(Level::Restricted, version), &m.object)
                    .unwrap()
                    .allowed()
            };
            assert_eq!(at(Version::Latest), at(Version::V1(37)), "{:?}", m.name());
            assert_eq!(at(Version::Latest), outcome == "pass", "{:?}", m.name());
        }
    }
}
