//! The shared corpus of real inputs, beside the workspace.
//!
//! The corpus lives at `../shared/corpus` relative to the workspace root
//! (the clone), or wherever `PALISADE_CORPUS` points. Tests that need it
//! skip with a printed notice when it is absent, so a clone without the
//! corpus still builds and passes everything else.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the corpus location.
pub const CORPUS_VAR: &str = "PALISADE_CORPUS";

/// The corpus root: `$PALISADE_CORPUS` when set, otherwise
/// `<workspace root>/../shared/corpus`. The folder may not exist.
pub fn corpus_root() -> PathBuf {
    std::env::var_os(CORPUS_VAR).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    )
}

/// `sub` (a folder or file, `/`-separated) under the corpus root when it
/// exists; otherwise prints a `skipping:` notice naming where it was looked
/// for and returns `None`, for the caller to return early.
///
/// ```
/// if let Some(dir) = palisade_testkit::corpus("falco/captures") {
///     assert!(dir.is_dir());
/// }
/// ```
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let path = corpus_root().join(sub);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipping: corpus `{sub}` not found at {} (set {CORPUS_VAR})",
            path.display()
        );
        None
    }
}

/// One capture of the corpus's `falco/captures/captures.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Its name (`cat_write`).
    pub name: String,
    /// The `.scap` file.
    pub scap: PathBuf,
    /// The events sysdig printed from it (`<name>.events.jsonl`).
    pub events: PathBuf,
}

/// The corpus captures, in manifest order; `None` (with the notice of
/// [`corpus`]) without the corpus, or when its manifest cannot be read.
pub fn captures() -> Option<Vec<Capture>> {
    let dir = corpus("falco/captures")?;
    let text = std::fs::read_to_string(dir.join("captures.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let entry = |c: &serde_json::Value| {
        let field = |key: &str| c.get(key).and_then(serde_json::Value::as_str);
        Some(Capture {
            name: field("name")?.to_owned(),
            scap: dir.join(field("file")?),
            events: dir.join(field("events_file")?),
        })
    };
    manifest
        .get("captures")?
        .as_array()?
        .iter()
        .map(entry)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_root_is_beside_the_workspace() {
        if std::env::var_os(CORPUS_VAR).is_some() {
            return;
        }
        let root = corpus_root();
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(workspace.join("Cargo.toml").is_file());
        assert_eq!(
            root.canonicalize().ok(),
            workspace.join("../shared/corpus").canonicalize().ok()
        );
    }

    #[test]
    fn an_absent_folder_is_none() {
        assert_eq!(corpus("no/such/folder/in/the/corpus"), None);
    }
}
