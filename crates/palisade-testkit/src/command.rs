//! Running a built binary from a test (for what case files cannot say:
//! the corpus, servers, signals, generated inputs).

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `bin` (a test's `env!("CARGO_BIN_EXE_<name>")`) with `args` and
/// `NO_COLOR=1`, stdin empty, and returns its output. Fails the test when
/// the binary cannot be started.
pub fn run(bin: &str, args: &[&str]) -> Output {
    run_with_stdin(bin, args, &[])
}

/// [`run`], writing `stdin` to the process's standard input.
#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
pub fn run_with_stdin(bin: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        // A process that exits without reading its input is not an error here.
        let _ = input.write_all(stdin);
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{bin} did not finish: {e}"))
}

/// Output bytes as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
