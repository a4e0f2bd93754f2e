//! Paths named on the command line that must exist before a load starts.

use std::path::PathBuf;

/// `Ok` when every path exists; otherwise one message per missing path
/// (`` `PATH`: no such file or directory ``), so a typo is reported before
/// anything is loaded and never read as an empty directory.
pub fn require_existing(paths: &[PathBuf]) -> Result<(), Vec<String>> {
    let missing: Vec<String> = paths
        .iter()
        .filter(|path| !path.exists())
        .map(|path| format!("`{}`: no such file or directory", path.display()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}
