//! Running a built binary from a test (for what case files cannot say:
//! the corpus, servers, signals, generated inputs).

use std::io::Write;
use std::path::Path;
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

/// `path` as a command-line argument. Fails the test when it is not UTF-8.
#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
pub fn arg(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

/// Fails the test unless `out` exited with `code`; the message shows what
/// the process wrote on both streams.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr:\n{}\nstdout:\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
}

/// `out`'s standard output read as JSON. Fails the test, showing both
/// streams, when it is not JSON.
#[track_caller]
#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Output {
        run("/bin/sh", &["-c", script])
    }

    #[test]
    fn exit_codes_and_json_are_read_from_the_output() {
        let out = shell("echo '{\"a\": [1]}'; exit 3");
        assert_exit(&out, 3);
        assert_eq!(stdout_json(&out), serde_json::json!({"a": [1]}));
    }

    #[test]
    #[should_panic(expected = "stderr:\nwhy\n")]
    fn another_exit_code_fails_showing_stderr() {
        assert_exit(&shell("echo why >&2; exit 1"), 0);
    }

    #[test]
    #[should_panic(expected = "stdout is not JSON")]
    fn stdout_that_is_not_json_fails() {
        stdout_json(&shell("echo nope"));
    }

    #[test]
    fn a_utf8_path_is_its_own_argument() {
        assert_eq!(arg(Path::new("/tmp/a b")), "/tmp/a b");
    }
}
