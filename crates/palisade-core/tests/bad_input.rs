#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Bad-input suite of the manifest loader: every malformed file under
//! `tests/bad_input/manifests/` gives an error naming the file and line,
//! and nothing panics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use palisade_core::manifest::load_reader;

#[test]
fn bad_manifests_are_errors_with_positions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input/manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} cases", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(file).unwrap();
        match catch_unwind(AssertUnwindSafe(|| load_reader(&name, bytes.as_slice()))) {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(report) => match report.errors.first() {
                None => failures.push(format!("{name}: accepted")),
                Some(e) => {
                    let message = e.to_string();
                    if !message.contains(&name) {
                        failures.push(format!("{name}: error does not name the file: {message}"));
                    }
                }
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
