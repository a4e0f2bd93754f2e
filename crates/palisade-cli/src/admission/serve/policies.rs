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
    pub fn load(&self) -> Result<PolicySet, Vec<String>> {
        let mut set = PolicySet::new();
        if self.builtin {
            set.extend(BuiltinPack::default().policy_set());
        }
        if self.paths.is_empty() {
            return Ok(set);
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
        set.extend(loaded.policies);
        Ok(set)
    }
}

/// One loaded policy set and its number (1 for the first, +1 per reload).
#[derive(Debug)]
pub struct Generation {
    /// The policies.
    pub set: PolicySet,
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
    pub fn install(&self, set: PolicySet) -> u64 {
        let number = self.current.load().as_ref().map_or(0, |g| g.number) + 1;
        self.current
            .store(Some(Arc::new(Generation { set, number })));
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_is_served_without_paths() {
        let source = PolicySource::new(Vec::new(), false);
        let set = source.load().unwrap();
        assert_eq!(set.len(), BuiltinPack::default().policy_set().len());
        assert!(!set.is_empty());
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
        assert_eq!(store.install(PolicySet::new()), 1);
        let first = store.current().unwrap();
        assert_eq!(store.install(BuiltinPack::default().policy_set()), 2);
        assert_eq!(first.number, 1);
        assert!(first.set.is_empty());
        assert_eq!(store.current().unwrap().number, 2);
    }
}
