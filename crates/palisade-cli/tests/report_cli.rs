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
