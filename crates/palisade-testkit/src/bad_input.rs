//! Bad-input suites: a folder of malformed inputs, each with the exact
//! error message the library must give for it in `<case>.expected`.
//!
//! The suite reads each case's raw bytes and hands them to the test's
//! closure, which passes them to the library and returns the library's own
//! message (`None` when the input was accepted). The message is compared
//! with the expected file ([`crate::bless::check`]); a panic, an accepted
//! input, a missing or different expected file, or an expected file without
//! its case fails the suite, listing every failing case.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::bless;

/// The extension of expected-message files: `<case>.expected`.
pub const EXPECTED: &str = "expected";

/// A suite folder holds at least this many cases (a guard against a folder
/// emptied by accident passing vacuously).
pub const MIN_CASES: usize = 20;

/// One bad input.
#[derive(Debug)]
pub struct Case<'a> {
    /// The case's path as given to the suite (relative to the crate root
    /// when the suite's folder is, so messages are the same on every
    /// machine): name it to the library with this.
    pub path: &'a Path,
    /// The case's file name.
    pub name: &'a str,
    /// The file's raw bytes.
    pub bytes: &'a [u8],
}

impl Case<'_> {
    /// The case's path as text, as libraries name their sources.
    pub fn path_str(&self) -> String {
        self.path.display().to_string()
    }
}

/// The case files of `dir` (every file but `*.expected`), in name order.
///
/// # Errors
///
/// When the folder cannot be read.
pub fn cases(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !is_expected(p))
        .collect();
    files.sort();
    Ok(files)
}

fn is_expected(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == EXPECTED)
}

/// The expected-message file of a case: `<case>.expected`.
pub fn expected_path(case: &Path) -> PathBuf {
    let mut name = case.as_os_str().to_owned();
    name.push(".");
    name.push(EXPECTED);
    PathBuf::from(name)
}

/// Runs the suite of `dir` (a path relative to the crate root, which is the
/// working directory of `cargo test`): `check` gets each case and returns
/// the library's error message, or `None` when the library accepted it.
/// Fails listing every case that panicked, was accepted, or whose message
/// differs from its `.expected` file (written instead with
/// `PALISADE_BLESS=1`).
#[expect(clippy::panic, reason = "a test harness fails by panicking")]
pub fn run(dir: impl AsRef<Path>, check: impl Fn(&Case<'_>) -> Option<String>) {
    let dir = dir.as_ref();
    let files = cases(dir).unwrap_or_else(|e| panic!("bad-input suite: {e}"));
    assert!(
        files.len() >= MIN_CASES,
        "{}: only {} cases (at least {MIN_CASES} expected)",
        dir.display(),
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        let case = Case {
            path: file,
            name: &name,
            bytes: &bytes,
        };
        match catch_unwind(AssertUnwindSafe(|| check(&case))) {
            Err(payload) => failures.push(format!("{name}: panicked: {}", panic_text(&*payload))),
            Ok(None) => failures.push(format!("{name}: accepted")),
            Ok(Some(message)) => {
                if let Err(e) = bless::check(&expected_path(file), &message) {
                    failures.push(e);
                }
            }
        }
    }
    // Expected files whose case is gone.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut stale: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_expected(p) && !p.with_extension("").is_file())
            .collect();
        stale.sort();
        failures.extend(stale.iter().filter_map(|p| bless::stale(p).err()));
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {} cases failed:\n{}",
        dir.display(),
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The text of a panic's payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_file_sits_beside_the_case() {
        assert_eq!(
            expected_path(Path::new("tests/bad_input/rules/01_x.yaml")),
            Path::new("tests/bad_input/rules/01_x.yaml.expected")
        );
    }
}
