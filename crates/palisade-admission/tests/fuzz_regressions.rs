#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Replays `fuzz/regressions/{admission_review,pattern_policy}/*` through
//! the code paths of those fuzz targets: each input is refused with an
//! error, not a crash.

use std::path::{Path, PathBuf};

use palisade_admission::AdmissionReview;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
}

#[test]
fn admission_review_regressions_replay() {
    for file in inputs("admission_review") {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(
            AdmissionReview::from_json_str(&text).is_err(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn pattern_policy_regressions_replay() {
    for file in inputs("pattern_policy") {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let load = palisade_admission::pattern::load_str("fuzz.yaml", &text);
        assert!(!load.errors.is_empty(), "{}", file.display());
    }
}
