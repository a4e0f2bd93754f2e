//! The one directory walker every loader uses: manifests, policies, rules,
//! test suites, and the webhook's reload stamps.
//!
//! Built on `walkdir`: symbolic links are followed, a link back to one of
//! its own ancestors is refused with an error naming it (instead of walking
//! forever), directories nested deeper than a limit are refused, and the
//! files come out sorted (depth first, siblings by name), so every run reads
//! them in the same order.
//!
//! Names starting with `..` are never walked: in a directory mounted from a
//! Kubernetes ConfigMap or Secret the files are links such as
//! `policy.yaml -> ..data/policy.yaml`, where `..data` links to a
//! timestamped `..2024_...` directory; following the visible links reads
//! each file once, through `..data`, and the timestamped copies are not read
//! a second time. Other names starting with `.` are skipped too unless the
//! walker is told to keep them (Kyverno keeps its tests in `.kyverno-test`).

use std::io;
use std::path::{Path, PathBuf};

/// How deep directories may nest under the path given, by default.
pub const MAX_DEPTH: usize = 32;

/// A directory that could not be walked: unreadable, a symbolic-link loop,
/// or nested too deep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}: {reason}", path.display())]
#[diagnostic(code(palisade::walk))]
pub struct WalkError {
    /// The path at fault.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Walks directories for files. See the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walker {
    max_depth: usize,
    hidden: bool,
}

impl Default for Walker {
    fn default() -> Walker {
        Walker::new()
    }
}

impl Walker {
    /// A walker that goes [`MAX_DEPTH`] levels deep and skips hidden entries.
    pub fn new() -> Walker {
        Walker {
            max_depth: MAX_DEPTH,
            hidden: false,
        }
    }

    /// Refuse directories nested deeper than `levels` under the path given.
    pub fn max_depth(mut self, levels: usize) -> Walker {
        self.max_depth = levels;
        self
    }

    /// Also walk entries whose name starts with one `.` (names starting with
    /// `..` stay skipped).
    pub fn include_hidden(mut self, yes: bool) -> Walker {
        self.hidden = yes;
        self
    }

    /// The files under `root` for which `keep` holds, sorted. A `root` that
    /// is a file (or a link to one) is returned alone, whatever its name: a
    /// path given explicitly is always read. A link that leads nowhere is
    /// returned as a file when `keep` holds, so that reading it reports it.
    pub fn files(
        &self,
        root: &Path,
        keep: impl Fn(&Path) -> bool,
    ) -> Result<Vec<PathBuf>, WalkError> {
        let meta = std::fs::metadata(root).map_err(|e| WalkError {
            path: root.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Ok(vec![root.to_path_buf()]);
        }
        let hidden = self.hidden;
        let walk = walkdir::WalkDir::new(root)
            .follow_links(true)
            .max_depth(self.max_depth.saturating_add(1))
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |entry| entry.depth() == 0 || !skipped(entry.file_name(), hidden));
        let mut out = Vec::new();
        for entry in walk {
            match entry {
                Ok(entry) if entry.file_type().is_dir() => {
                    if entry.depth() > self.max_depth {
                        return Err(WalkError {
                            path: entry.into_path(),
                            reason: format!(
                                "directories nested deeper than {} levels",
                                self.max_depth
                            ),
                        });
                    }
                }
                Ok(entry) => {
                    if keep(entry.path()) {
                        out.push(entry.into_path());
                    }
                }
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    if let Some(ancestor) = e.loop_ancestor() {
                        return Err(WalkError {
                            reason: format!(
                                "a symbolic link loop: it leads back to `{}`",
                                ancestor.display()
                            ),
                            path,
                        });
                    }
                    let broken_link = e.io_error().map(io::Error::kind)
                        == Some(io::ErrorKind::NotFound)
                        && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
                    if broken_link {
                        if keep(&path) {
                            out.push(path);
                        }
                        continue;
                    }
                    let reason = e
                        .io_error()
                        .map_or_else(|| e.to_string(), io::Error::to_string);
                    return Err(WalkError { path, reason });
                }
            }
        }
        Ok(out)
    }
}

/// `true` for names the walker does not enter or return.
fn skipped(name: &std::ffi::OsStr, hidden: bool) -> bool {
    let name = name.as_encoded_bytes();
    name.starts_with(b"..") || (!hidden && name.starts_with(b"."))
}

/// `true` when `path`'s extension is one of `extensions` (without the dot).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e))
}

/// The extensions of manifest and policy files: `yaml`, `yml`, `json`.
pub const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    fn yaml(path: &Path) -> bool {
        has_extension(path, &MANIFEST_EXTENSIONS)
    }

    #[test]
    fn files_come_out_sorted_depth_first_without_hidden_entries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.yaml",
            "a/z.yml",
            "a.json",
            "c.txt",
            ".hidden.yaml",
            ".git/x.yaml",
        ] {
            let path = root.join(f);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "").unwrap();
        }
        let files = Walker::new().files(root, yaml).unwrap();
        assert_eq!(names(root, &files), ["a/z.yml", "a.json", "b.yaml"]);
        let files = Walker::new()
            .include_hidden(true)
            .files(root, yaml)
            .unwrap();
        assert_eq!(
            names(root, &files),
            [".git/x.yaml", ".hidden.yaml", "a/z.yml", "a.json", "b.yaml"]
        );
        let one = root.join("c.txt");
        assert_eq!(Walker::new().files(&one, yaml).unwrap(), [one]);
    }

    #[test]
    fn a_symlink_loop_is_an_error_naming_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/p.yaml"), "").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/back")).unwrap();
        let err = Walker::new().files(root, yaml).unwrap_err();
        assert_eq!(err.path, root.join("a/b/back"));
        assert_eq!(
            err.to_string(),
            format!(
                "{}: a symbolic link loop: it leads back to `{}`",
                root.join("a/b/back").display(),
                root.join("a").display()
            )
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("1/2/3")).unwrap();
        fs::write(root.join("1/2/3/p.yaml"), "").unwrap();
        assert_eq!(
            Walker::new().max_depth(3).files(root, yaml).unwrap().len(),
            1
        );
        let err = Walker::new().max_depth(2).files(root, yaml).unwrap_err();
        assert_eq!(err.path, root.join("1/2/3"));
        assert!(err.reason.contains("deeper than 2 levels"), "{err}");
    }

    #[test]
    fn configmap_mounts_read_each_file_once_through_data() {
        // The layout the kubelet writes for a ConfigMap volume.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let stamp = root.join("..2026_12_06_21_00_00.1");
        fs::create_dir(&stamp).unwrap();
        fs::write(stamp.join("policy.yaml"), "").unwrap();
        std::os::unix::fs::symlink("..2026_12_06_21_00_00.1", root.join("..data")).unwrap();
        std::os::unix::fs::symlink("..data/policy.yaml", root.join("policy.yaml")).unwrap();
        let files = Walker::new()
            .include_hidden(true)
            .files(root, yaml)
            .unwrap();
        assert_eq!(names(root, &files), ["policy.yaml"]);
        // A link being swapped (leading nowhere for a moment) is a file to read.
        fs::remove_file(root.join("..data")).unwrap();
        let files = Walker::new().files(root, yaml).unwrap();
        assert_eq!(names(root, &files), ["policy.yaml"]);
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let err = Walker::new()
            .files(Path::new("/nonexistent/palisade"), yaml)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent/palisade: "),
            "{err}"
        );
    }
}
