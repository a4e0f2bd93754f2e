//! The facade is the one way in: the CLI, the console (and the HTTPS
//! plumbing it shares with the webhook), the C ABI, the examples and the
//! benches (criterion benches and `benches/peers`) name no layer crate in
//! their `Cargo.toml` and reach none from their sources.

use std::path::{Path, PathBuf};

use palisade_testkit::sources::rust_files;

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
const ABOVE: [&str; 7] = [
    "crates/palisade-cli",
    "crates/palisade-console",
    "crates/palisade-https",
    "crates/palisade-ffi",
    "examples",
    "benches",
    "benches/console",
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

#[test]
fn no_source_above_the_facade_reaches_into_a_layer_crate() {
    let files: Vec<PathBuf> = ABOVE
        .iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .collect();
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
