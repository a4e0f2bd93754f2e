//! The Rust sources of a folder, for tests that read the workspace's own
//! code (the module-cycle check, the one-way-in guard).

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, at any depth, in path order; `target`
/// folders (build output) are left out. Fails the test when a folder
/// cannot be read.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    files
}

#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect(&path, files);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_testkit_sources_are_found_in_order() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = rust_files(&src);
        assert!(files.contains(&src.join("sources.rs")));
        assert!(files.contains(&src.join("lib.rs")));
        assert!(files.is_sorted());
        assert!(
            files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "rs"))
        );
    }
}
