#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Replays `fuzz/regressions/network/*` through the `network` fuzz
//! target's code path: manifests, resolver, matrix, without a crash.

use std::path::{Path, PathBuf};

use palisade_network::{Issues, Resolver};

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
fn network_regressions_replay() {
    for file in inputs("network") {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let report = palisade_core::manifest::load_str("fuzz.yaml", &text);
        assert!(!report.errors.is_empty(), "{}", file.display());
        let mut issues = Issues::default();
        let resolver = Resolver::from_manifests(&report.objects, &mut issues);
        let _ = resolver.matrix();
        let _ = palisade_network::audit::audit(&resolver);
    }
}
