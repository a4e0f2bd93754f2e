//! `palisade runtime replay`'s arguments (run by [`super::alerts`]), and
//! the loading of rules and events the runtime commands share.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use palisade::Severity;
use palisade::runtime::Schema;
use palisade::runtime::alerts::RateLimit;
use palisade::runtime::k8saudit::PluginVersions;
use palisade::runtime::scap;
use palisade::runtime::{FlatEvent, FlatEvents};
use palisade::runtime::{Loaded, Loader};
use palisade::runtime::{MatchMode, RuleSet};

use crate::output::Output;

/// Arguments of `palisade runtime replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Rules files, loaded in order (default: the built-in rules).
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Events: one JSON object per line (Falco field names as keys), a
    /// `.scap` capture (plain or gzip), or a Kubernetes audit log
    /// (audit.k8s.io `Event` lines or `EventList`s); `-` reads standard
    /// input.
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// The events' source (default: recognized from the first event:
    /// `kind: Event|EventList` is an audit log).
    #[arg(long, value_enum)]
    pub source: Option<EventSource>,
    /// A plugin version the rules' `required_plugin_versions` are checked
    /// against (default k8saudit=0.18.0, json=0.7.0 and container=0.4.0,
    /// what Palisade's fields correspond to).
    #[arg(long = "plugin-version", value_name = "NAME=x.y.z")]
    pub plugin_versions: Vec<String>,
    /// Which rules an event fires: the first matching one, or all.
    #[arg(long = "match", value_enum, default_value_t = Matching::First)]
    pub matching: Matching,
    /// Selection, noise limits, sinks and input options.
    #[command(flatten)]
    pub alerts: Box<AlertArgs>,
}

/// `--source` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventSource {
    /// Syscall events, one JSON object of Falco fields per line.
    Syscall,
    /// Kubernetes API server audit events (the `k8s_audit` rules run).
    #[value(name = "k8s_audit")]
    K8sAudit,
}

impl EventSource {
    /// The source's name in rules files.
    pub fn name(self) -> &'static str {
        match self {
            EventSource::Syscall => "syscall",
            EventSource::K8sAudit => palisade::runtime::k8saudit::SOURCE,
        }
    }
}

/// Checks `loaded`'s `required_plugin_versions` against the plugin
/// versions of the `k8s_audit` source, amended by `--plugin-version` flags;
/// prints the error and returns `false` when one does not hold.
pub fn check_plugins(out: &Output, loaded: &Loaded, flags: &[String]) -> bool {
    let mut versions = PluginVersions::default();
    for flag in flags {
        if out.checked(versions.set_flag(flag)).is_none() {
            return false;
        }
    }
    out.checked(versions.check(loaded)).is_some()
}

/// `--match` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Matching {
    /// Only the first matching rule per event (Falco's default).
    First,
    /// Every matching rule.
    All,
}

/// Alert options of `palisade runtime replay`.
#[derive(Debug, Args)]
pub struct AlertArgs {
    /// Only rules of at least this priority run (emergency … debug).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub min_priority: Option<Severity>,
    /// Only rules with one of these tags run (Falco's `-t`).
    #[arg(long, value_name = "TAG", value_delimiter = ',', num_args = 1..)]
    pub tags: Vec<String>,
    /// Rules with one of these tags do not run (Falco's `-T`).
    #[arg(long, value_name = "TAG", value_delimiter = ',', num_args = 1..)]
    pub disable_tags: Vec<String>,
    /// Only these rules run: exact names or globs (`'Read *'`).
    #[arg(long = "rule", value_name = "NAME", num_args = 1..)]
    pub rules_only: Vec<String>,
    /// These rules do not run: exact names or globs (Falco's `-D`).
    #[arg(long = "disable-rule", value_name = "NAME", num_args = 1..)]
    pub disable_rules: Vec<String>,
    /// Suppress repeats of an alert within this window (`5m`, `30s`; `0` =
    /// off, the default for replays).
    #[arg(long, value_name = "DURATION", value_parser = palisade::duration::parse)]
    pub dedup_window: Option<Duration>,
    /// Fields that make two alerts of a rule repeats (default: all fields
    /// of the rule's output).
    #[arg(long, value_name = "FIELD", value_delimiter = ',', num_args = 1..)]
    pub dedup_fields: Option<Vec<String>>,
    /// At most this many alerts per rule: `N/s`, `N/m`, `N/h`, with an
    /// optional burst `N/m:B`.
    #[arg(long, value_name = "RATE")]
    pub rate_limit: Option<RateLimit>,
    /// Also append alerts (Falco JSON, one per line) to this file.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Also POST each alert as JSON to this URL.
    #[arg(long, value_name = "URL")]
    pub http_url: Option<String>,
    /// Also pipe alerts (JSON lines) into this program (`sh -c`).
    #[arg(long, value_name = "COMMAND")]
    pub program: Option<String>,
    /// Keep reading the events file as it grows.
    #[arg(long)]
    pub follow: bool,
    /// With `--follow`, stop after the file has not grown for this long.
    #[arg(long, value_name = "DURATION", value_parser = palisade::duration::parse, requires = "follow")]
    pub follow_idle: Option<Duration>,
}

fn parse_priority(text: &str) -> Result<Severity, String> {
    Severity::from_falco_priority(text).map_err(|e| e.to_string())
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
    out.checked(RuleSet::from_loaded(loaded, schema, mode))
}

/// Reads an events file, JSON lines or a `.scap` capture (told apart by
/// its first bytes); prints the error.
pub fn read_events(out: &Output, path: &Path, schema: &Schema) -> Option<FlatEvents> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.error(&format!("cannot read `{}`: {e}", path.display()));
            return None;
        }
    };
    if scap::is_capture(&bytes) {
        let name = path.display().to_string();
        return out.checked(
            scap::CaptureEvents::from_reader(name, bytes.as_slice())
                .and_then(|events| events.read_all(schema)),
        );
    }
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
