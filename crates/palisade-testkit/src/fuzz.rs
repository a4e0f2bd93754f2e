//! Replay of fuzz findings by ordinary `cargo test`.
//!
//! The fuzz workspace (`fuzz/`, cargo-fuzz layout) keeps each target's
//! seed inputs in `fuzz/seeds/<target>` and the inputs that once crashed,
//! hung or blew up memory in `fuzz/regressions/<target>`. Each layer crate
//! replays them through the target's code path with [`replay`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::bad_input::panic_text;

/// The fuzz workspace: `<workspace root>/fuzz`.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<folder>` (for example `regressions/network`), in
/// name order; empty when the folder is absent.
pub fn inputs(folder: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(folder)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replays every file of `fuzz/<folder>` through `check`, which returns an
/// error text when the input's outcome is wrong (for a regression: accepted
/// where it must be refused). Fails listing every input that panicked or
/// failed its check, and when the folder holds fewer than `at_least` inputs.
pub fn replay(folder: &str, at_least: usize, check: impl Fn(&[u8]) -> Result<(), String>) {
    let files = inputs(folder);
    assert!(
        files.len() >= at_least,
        "only {} inputs in fuzz/{folder} (at least {at_least} expected)",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let outcome = std::fs::read(file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|data| {
                catch_unwind(AssertUnwindSafe(|| check(&data)))
                    .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_text(&*payload))))
            });
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz/{folder}: {} of {} inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Replays every file of `fuzz/<folder>`, read as text (invalid UTF-8
/// replaced, as the fuzz targets read it), through `errors`, which loads it
/// and returns how many errors the load reported: each input must be
/// refused with at least one error, not accepted and not a crash.
pub fn replay_refused(folder: &str, at_least: usize, errors: impl Fn(&str) -> usize) {
    replay(folder, at_least, |data| {
        if errors(&String::from_utf8_lossy(data)) == 0 {
            return Err("loaded without an error".to_owned());
        }
        Ok(())
    });
}
