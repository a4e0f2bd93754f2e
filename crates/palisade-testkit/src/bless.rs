//! Expected-output files, compared by tests and regenerated on demand.
//!
//! A test states what it expects in a file beside its input (for a
//! bad-input case `<case>.expected`); [`check`] compares the actual text
//! with it. With `PALISADE_BLESS=1` in the environment, [`check`] writes the
//! actual text instead, so a deliberate change of a message is one command
//! followed by a review of the diff.

use std::path::Path;

/// The environment variable that turns comparisons into writes.
pub const BLESS_VAR: &str = "PALISADE_BLESS";

/// Whether this run regenerates expected files (`PALISADE_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1")
}

/// Compares `actual` with the content of `expected` (a missing trailing
/// newline in either is not a difference). When blessing, writes `actual`
/// (plus a newline) to `expected` instead, if it differs.
///
/// # Errors
///
/// A message naming the file and showing both texts when they differ, or
/// when the file is missing or unreadable.
pub fn check(expected: &Path, actual: &str) -> Result<(), String> {
    let actual = actual.strip_suffix('\n').unwrap_or(actual);
    let current = std::fs::read_to_string(expected);
    let same = current
        .as_ref()
        .is_ok_and(|text| text.strip_suffix('\n').unwrap_or(text) == actual);
    if same {
        return Ok(());
    }
    if blessing() {
        return std::fs::write(expected, format!("{actual}\n"))
            .map_err(|e| format!("{}: cannot write: {e}", expected.display()));
    }
    match current {
        Err(e) => Err(format!(
            "{}: {e} (run with {BLESS_VAR}=1 to write it)\n  actual:   {actual}",
            expected.display()
        )),
        Ok(text) => Err(format!(
            "{}: differs (run with {BLESS_VAR}=1 to accept)\n  expected: {}\n  actual:   {actual}",
            expected.display(),
            text.strip_suffix('\n').unwrap_or(&text)
        )),
    }
}

/// Removes an expected file whose input is gone when blessing; otherwise
/// reports it.
///
/// # Errors
///
/// A message naming the stale file (when not blessing, or when removing it
/// failed).
pub fn stale(expected: &Path) -> Result<(), String> {
    if blessing() {
        std::fs::remove_file(expected)
            .map_err(|e| format!("{}: cannot remove: {e}", expected.display()))
    } else {
        Err(format!(
            "{}: no case beside it (run with {BLESS_VAR}=1 to remove it)",
            expected.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_pass_and_different_ones_name_the_file() {
        let dir =
            std::env::temp_dir().join(format!("palisade-testkit-bless-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let file = dir.join("case.expected");
        std::fs::write(&file, "a.yaml:1:2: boom\n").unwrap_or_default();
        assert_eq!(check(&file, "a.yaml:1:2: boom"), Ok(()));
        if !blessing() {
            let err = check(&file, "a.yaml:1:3: boom").unwrap_err();
            assert!(err.contains("case.expected: differs"), "{err}");
            assert!(err.contains("expected: a.yaml:1:2: boom"), "{err}");
            assert!(err.contains("actual:   a.yaml:1:3: boom"), "{err}");
            let missing = check(&dir.join("none.expected"), "x").unwrap_err();
            assert!(missing.contains("none.expected"), "{missing}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
