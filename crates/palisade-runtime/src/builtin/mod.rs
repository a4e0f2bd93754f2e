//! Palisade's built-in runtime rules, written in Falco's rules-file syntax
//! (they load in Falco too) and loaded by default when no rules file is
//! given:
//!
//! | rule | priority | catches |
//! |---|---|---|
//! | `Unexpected shell in container` | Notice | a shell started inside a container |
//! | `Read of sensitive file` | Warning | `/etc/shadow` and friends opened for reading |
//! | `Outbound connection outside allowed networks` | Notice | `connect` to an address outside `palisade_allowed_networks` |
//! | `Process spawned by unexpected parent` | Warning | a service (web server, runtime, database) starting a shell or network tool |
//! | `Kernel module load` | Critical | `init_module`/`finit_module`, `insmod`/`modprobe` |
//!
//! Each has a description, tags and an example exception. Tune them with a
//! rules file loaded after them (append to their lists, append exceptions)
//! or with a [`Selection`](crate::alerts::selection::Selection).
//!
//! ```
//! use palisade_runtime::builtin;
//! use palisade_runtime::fields::Schema;
//!
//! let schema = Schema::falco();
//! let loaded = builtin::load(&schema);
//! assert!(loaded.is_ok());
//! let rules = builtin::ruleset(&loaded, &schema).unwrap();
//! assert_eq!(rules.rules().len(), 5);
//! ```

use crate::fields::Schema;
use crate::loader::{Loaded, Loader};
use crate::ruleset::{MatchMode, RuleCompileError, RuleSet};

/// The rules file text.
pub const RULES: &str = include_str!("rules.yaml");

/// The name diagnostics give the built-in rules file.
pub const FILE_NAME: &str = "<builtin>/palisade_rules.yaml";

/// A small event stream (JSON lines) on which every built-in rule fires,
/// with near misses and repeats: `palisade demo` replays it.
pub const DEMO_EVENTS: &str = include_str!("demo.events.jsonl");

/// Adds the built-in rules to `loader` (before or after other files).
pub fn add_to(loader: &mut Loader<'_>) {
    loader.add_str(FILE_NAME, RULES);
}

/// The built-in rules alone, checked against `schema`.
pub fn load(schema: &Schema) -> Loaded {
    let mut loader = Loader::with_checker(schema);
    add_to(&mut loader);
    loader.finish()
}

/// Compiles the enabled rules of `loaded` (name, condition, priority,
/// output, tags, source) into a ruleset matching every rule
/// ([`MatchMode::All`]; an alert pipeline's selection picks the mode).
pub fn ruleset(loaded: &Loaded, schema: &Schema) -> Result<RuleSet, RuleCompileError> {
    RuleSet::from_loaded(loaded, schema, MatchMode::All)
}
