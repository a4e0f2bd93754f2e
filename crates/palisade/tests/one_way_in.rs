//! The facade is the one way in: the CLI, the console (and the HTTPS
//! plumbing it shares with the webhook), the C ABI, the examples and the
//! benches (criterion benches and `benches/peers`) name no layer crate in
//! their `Cargo.toml` and reach none from their sources.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = [
    "palisade-core",
    "palisade-admission",
    "palisade-runtime",
    "palisade-network",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The packages above the facade, by directory.
const ABOVE: [&str; 6] = [
    "crates/palisade-cli",
    "crates/palisade-console",
    "crates/palisade-https",
    "crates/palisade-ffi",
    "examples",
    "benches",
];

#[test]
fn no_manifest_above_the_facade_names_a_layer_crate() {
    for dir in ABOVE {
        let path = root().join(dir).join("Cargo.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let key = line
                .split(['=', '.', ' '])
                .next()
                .unwrap_or_default()
                .trim();
            assert!(
                !LAYERS.contains(&key),
                "{}:{}: `{line}`: depend on `palisade` instead",
                path.display(),
                i + 1
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_above_the_facade_reaches_into_a_layer_crate() {
    let mut files = Vec::new();
    for dir in ABOVE {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found {} files", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for layer in LAYERS {
                let path = format!("{}::", layer.replace('-', "_"));
                assert!(
                    !line.contains(&path) || line.trim_start().starts_with("//"),
                    "{}:{}: `{}`: go through `palisade`",
                    file.display(),
                    i + 1,
                    line.trim()
                );
            }
        }
    }
}
