//! `palisade runtime replay`: run rules files over recorded events and
//! print one line per alert.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use palisade::runtime::Schema;
use palisade::runtime::{FlatEvent, FlatEvents};
use palisade::runtime::{Loaded, Loader};
use palisade::runtime::{MatchMode, RuleSet};

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Rules files, loaded in order (default: the built-in rules).
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Events, one JSON object per line (Falco field names as keys); `-`
    /// reads standard input.
    #[arg(long, value_name = "FILE.jsonl")]
    pub events: PathBuf,
    /// Which rules an event fires: the first matching one, or all.
    #[arg(long = "match", value_enum, default_value_t = Matching::First)]
    pub matching: Matching,
    /// Selection, noise limits, sinks and input options.
    #[command(flatten)]
    pub alerts: Box<super::alerts::AlertArgs>,
}

/// `--match` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Matching {
    /// Only the first matching rule per event (Falco's default).
    First,
    /// Every matching rule.
    All,
}

/// Loads rules files in order with the full field schema; prints every
/// warning and error; `None` when there were errors.
pub fn load_rules(out: &Output, paths: &[PathBuf], schema: &Schema) -> Option<Loaded> {
    let mut loader = Loader::with_checker(schema);
    for path in paths {
        loader.add_file(path);
    }
    let loaded = loader.finish();
    for warning in &loaded.warnings {
        out.warning(&warning.to_string());
    }
    for error in &loaded.errors {
        out.error(&error.to_string());
    }
    loaded.is_ok().then_some(loaded)
}

/// Compiles every enabled rule of `loaded`; prints the first error.
pub fn compile_rules(
    out: &Output,
    loaded: &Loaded,
    schema: &Schema,
    mode: MatchMode,
) -> Option<RuleSet> {
    match RuleSet::from_loaded(loaded, schema, mode) {
        Ok(rules) => Some(rules),
        Err(e) => {
            out.error(&e.to_string());
            None
        }
    }
}

/// Reads a JSON-lines events file; prints the error.
pub fn read_events(out: &Output, path: &Path, schema: &Schema) -> Option<FlatEvents> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.error(&format!("cannot read `{}`: {e}", path.display()));
            return None;
        }
    };
    match FlatEvents::parse_bytes(&bytes, schema) {
        Ok(events) => Some(events),
        Err(e) => {
            out.error(&format!("{}: {e}", path.display()));
            None
        }
    }
}

/// The number shown for an event: `evt.num`, or its 1-based line.
pub fn event_number(event: &FlatEvent) -> u64 {
    event.num().unwrap_or(event.line() as u64)
}

/// Runs `palisade runtime replay` (through the alert pipeline).
pub fn run(out: &Output, args: &ReplayArgs) -> Exit {
    super::alerts::run(out, args)
}
