#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Replays `fuzz/regressions/manifests/*` through the `manifests` fuzz
//! target's code path: loading must give a result, not a crash.

use std::path::{Path, PathBuf};

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
fn manifests_regressions_replay() {
    for file in inputs("manifests") {
        let data = std::fs::read(&file).unwrap();
        let yaml = palisade_core::manifest::load_reader("fuzz.yaml", data.as_slice());
        let json = palisade_core::manifest::load_reader("fuzz.json", data.as_slice());
        assert!(
            !yaml.errors.is_empty() && !json.errors.is_empty(),
            "{}: a nesting bomb loaded",
            file.display()
        );
    }
}
