//! The command line's behaviour from case files (`tests/cmd/`): each
//! `.toml` or `.trycmd` file gives a command, its stdin, the expected
//! stdout/stderr and exit code. `TRYCMD=overwrite cargo test -p palisade-cli
//! --test cmd` rewrites the expected output after a deliberate change.
//!
//! trycmd compares output with every `\` read as `/` (so that paths
//! compare on Windows); expected files therefore show a JSON escape `\"`
//! as `/"`. Where a backslash itself matters it is checked below.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .default_bin_name("palisade")
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}

/// The case files' output comparison reads a backslash as `/` (for paths on
/// Windows), so the demo's matrix corner is checked here.
#[test]
fn demo_matrix_corner_is_a_backslash() {
    let out = palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), &["demo"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = palisade_testkit::command::text(&out.stdout);
    assert!(stdout.contains("FROM \\ TO"), "{stdout}");
}
