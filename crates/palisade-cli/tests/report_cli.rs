//! `palisade report` over a directory that holds a symbolic-link loop (made
//! at run time in a temporary directory: a loop committed to the repository
//! would trip every tool that walks it).
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use palisade_testkit::command::{run, text};

/// Regression: a symbolic link back to an ancestor under the directory given
/// to `palisade report` used to be walked forever; it is an error naming the
/// link and where it leads.
#[test]
fn a_symlink_loop_under_the_report_directory_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: empty\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("nested")).unwrap();
    std::os::unix::fs::symlink(root, root.join("nested/back")).unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_palisade"),
        &["report", root.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: cannot read `{}`: a symbolic link loop: it leads back to `{}`",
            root.join("nested/back").display(),
            root.display()
        )
    );
}

/// `palisade report --engine auto|rego|cel`: the template with both
/// implementations runs CEL under `auto` and `cel` and Rego under `rego`
/// (its two messages differ on purpose), the Rego-only template's
/// constraint is skipped with the reason under `cel` (not a finding, not
/// coverage), and the ValidatingAdmissionPolicy runs whatever the engine.
#[test]
fn report_engine_chooses_the_gatekeeper_implementation() {
    let dir = "tests/fixtures/report/engine";
    let admission_lines = |engine: &str| {
        let out = run(
            env!("CARGO_BIN_EXE_palisade"),
            &["report", dir, "--engine", engine],
        );
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let stdout = text(&out.stdout);
        let lines: Vec<String> = stdout
            .lines()
            .filter(|l| l.starts_with("  admission error") || l.starts_with("  admission 100"))
            .map(str::to_owned)
            .collect();
        let warnings: Vec<String> = text(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .map(str::to_owned)
            .collect();
        (lines, warnings)
    };
    let finding = |policy: &str, message: &str| {
        format!("  admission error {policy}: {message} [Pod shop/stray]")
    };
    let host = finding("no-host-network", "stray uses the host network");
    let privileged = finding("no-privileged", "privileged containers are not allowed");
    let coverage = |policy: &str| format!("  admission 100.0% (2/2) {policy}");
    let (auto, auto_err) = admission_lines("auto");
    let owner_cel = finding("pods-need-owner", "cel: stray has no owner label");
    assert_eq!(
        auto,
        [
            host.clone(),
            owner_cel.clone(),
            privileged.clone(),
            coverage("no-host-network"),
            coverage("pods-need-owner"),
            coverage("no-privileged"),
        ]
    );
    assert!(auto_err.is_empty(), "{auto_err:?}");
    let (rego, _) = admission_lines("rego");
    let owner_rego = finding("pods-need-owner", "rego: stray has no owner label");
    assert_eq!(
        rego,
        [
            host,
            owner_rego,
            privileged.clone(),
            coverage("no-host-network"),
            coverage("pods-need-owner"),
            coverage("no-privileged"),
        ]
    );
    let (cel, cel_err) = admission_lines("cel");
    assert_eq!(
        cel,
        [
            owner_cel,
            privileged,
            coverage("pods-need-owner"),
            coverage("no-privileged"),
        ]
    );
    assert_eq!(
        cel_err,
        [format!(
            "warning: {dir}/host-network-template.yaml:20:1: skipped constraint `no-host-network`: ConstraintTemplate `k8snohostnetwork` has no CEL implementation"
        )]
    );
}
