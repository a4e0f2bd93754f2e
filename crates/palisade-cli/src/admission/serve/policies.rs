//! The served policy set: loaded from the policy directories (and the
//! built-in pack), numbered, and swapped atomically so requests never wait
//! for a reload.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use palisade_admission::PolicySet;
use palisade_admission::builtin::BuiltinPack;

/// Where policies come from.
#[derive(Debug, Clone)]
pub struct PolicySource {
    paths: Vec<PathBuf>,
    builtin: bool,
}

impl PolicySource {
    /// Policies from `paths`, plus the built-in pack when `builtin` is set or
    /// no path is given.
    pub fn new(paths: Vec<PathBuf>, builtin: bool) -> PolicySource {
        let builtin = builtin || paths.is_empty();
        PolicySource { paths, builtin }
    }

    /// The policy files and directories.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Loads and compiles a whole set. Any error makes the whole set fail
    /// (so a half-written change never replaces a working set); the errors
    /// come back as messages naming file, line and column.
    pub fn load(&self) -> Result<Policies, Vec<String>> {
        let mut policies = Policies::default();
        if self.builtin {
            policies.native = BuiltinPack::default().policy_set();
        }
        if self.paths.is_empty() {
            return Ok(policies);
        }
        let mut errors = Vec::new();
        for path in &self.paths {
            if !path.exists() {
                errors.push(format!("`{}`: no such file or directory", path.display()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let loaded = palisade_admission::load_policies(&self.paths);
        if !loaded.errors.is_empty() {
            return Err(loaded.errors.iter().map(ToString::to_string).collect());
        }
        policies.guarded = loaded.policies;
        Ok(policies)
    }
}

/// A policy set split by how it runs.
#[derive(Debug, Default)]
pub struct Policies {
    /// The built-in pack: native code whose cost is linear in the object's
    /// size (bounded by the body limit), run inline on the request's task.
    pub native: PolicySet,
    /// Policies from files (Rego templates, pattern policies), whose cost the
    /// server cannot bound: run on the blocking pool under the deadline.
    pub guarded: PolicySet,
}

impl Policies {
    /// How many policies in all.
    pub fn len(&self) -> usize {
        self.native.len() + self.guarded.len()
    }
}

/// One loaded policy set and its number (1 for the first, +1 per reload).
#[derive(Debug)]
pub struct Generation {
    /// The policies.
    pub policies: Policies,
    /// Its number.
    pub number: u64,
}

/// The policy set requests are evaluated against, swapped atomically.
#[derive(Debug, Default)]
pub struct PolicyStore {
    current: ArcSwapOption<Generation>,
}

impl PolicyStore {
    /// The current set; `None` until the first set has loaded.
    pub fn current(&self) -> Option<Arc<Generation>> {
        self.current.load_full()
    }

    /// Installs `set` as the next generation and returns its number.
    /// Requests already running keep the set they started with.
    pub fn install(&self, policies: Policies) -> u64 {
        let number = self.current.load().as_ref().map_or(0, |g| g.number) + 1;
        self.current
            .store(Some(Arc::new(Generation { policies, number })));
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_is_served_without_paths() {
        let source = PolicySource::new(Vec::new(), false);
        let policies = source.load().unwrap();
        assert_eq!(policies.len(), BuiltinPack::default().policy_set().len());
        assert!(policies.guarded.is_empty());
    }

    #[test]
    fn builtin_pack_and_directories_together() {
        let corpus = std::env::var_os("PALISADE_CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
            PathBuf::from,
        );
        let dir = corpus.join("admission/gatekeeper/pod-security-policy/privileged-containers");
        if !dir.is_dir() {
            eprintln!("skipping: corpus not found at {}", dir.display());
            return;
        }
        let policies = PolicySource::new(vec![dir], true).load().unwrap();
        assert_eq!(
            policies.native.len(),
            BuiltinPack::default().policy_set().len()
        );
        let names: Vec<&str> = policies
            .guarded
            .policies()
            .iter()
            .map(|p| p.name())
            .collect();
        assert_eq!(names, ["psp-privileged-container"]);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let source = PolicySource::new(vec![PathBuf::from("/nonexistent/palisade")], false);
        let errors = source.load().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("/nonexistent/palisade"), "{errors:?}");
    }

    #[test]
    fn generations_count_up_and_swap() {
        let store = PolicyStore::default();
        assert!(store.current().is_none());
        assert_eq!(store.install(Policies::default()), 1);
        let first = store.current().unwrap();
        let builtin = Policies {
            native: BuiltinPack::default().policy_set(),
            guarded: PolicySet::new(),
        };
        assert_eq!(store.install(builtin), 2);
        assert_eq!(first.number, 1);
        assert_eq!(first.policies.len(), 0);
        assert_eq!(store.current().unwrap().number, 2);
    }
}
