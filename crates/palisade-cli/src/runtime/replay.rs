//! `palisade runtime replay`: run rules files over recorded events and
//! print one line per alert.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use palisade_runtime::event::{FlatEvent, FlatEvents};
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{Loaded, Loader};
use palisade_runtime::ruleset::{MatchMode, RuleSet, RuleSpec};

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Rules files, loaded in order.
    #[arg(long = "rules", required = true, value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Events, one JSON object per line (Falco field names as keys).
    #[arg(long, value_name = "FILE.jsonl")]
    pub events: PathBuf,
    /// Which rules an event fires: the first matching one, or all.
    #[arg(long = "match", value_enum, default_value_t = Matching::First)]
    pub matching: Matching,
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
    let mut builder = RuleSet::builder(schema.clone());
    builder.mode(mode);
    for rule in loaded.rules.iter().filter(|r| r.enabled) {
        let mut spec = RuleSpec::new(rule.name.clone(), rule.condition.clone(), rule.priority);
        spec.output.clone_from(&rule.output);
        spec.tags = rule.tags.iter().cloned().collect();
        spec.source.clone_from(&rule.source);
        if let Err(e) = builder.add(spec) {
            out.error(&e.to_string());
            return None;
        }
    }
    Some(builder.build())
}

/// Reads a JSON-lines events file; prints the error.
pub fn read_events(out: &Output, path: &Path, schema: &Schema) -> Option<FlatEvents> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            out.error(&format!("cannot read `{}`: {e}", path.display()));
            return None;
        }
    };
    match FlatEvents::parse(&text, schema) {
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

/// Runs `palisade runtime replay`.
pub fn run(out: &Output, args: &ReplayArgs) -> Exit {
    let schema = Schema::falco();
    let Some(loaded) = load_rules(out, &args.rules, &schema) else {
        return Exit::InputError;
    };
    let mode = match args.matching {
        Matching::First => MatchMode::First,
        Matching::All => MatchMode::All,
    };
    let Some(rules) = compile_rules(out, &loaded, &schema, mode) else {
        return Exit::InputError;
    };
    let Some(events) = read_events(out, &args.events, &schema) else {
        return Exit::InputError;
    };
    let alerts = replay(out, &rules, events.events());
    out.note(&format!(
        "{alerts} alerts from {} events, {} rules",
        events.events().len(),
        rules.rules().len()
    ));
    if alerts > 0 {
        Exit::Violation
    } else {
        Exit::Ok
    }
}

/// Prints one line per alert; returns how many.
fn replay(out: &Output, rules: &RuleSet, events: &[FlatEvent]) -> usize {
    let mut matcher = rules.matcher();
    let mut alerts = 0;
    for event in events {
        let num = event_number(event);
        for rule in matcher.matches(event).iter() {
            alerts += 1;
            if out.json() {
                let line = serde_json::json!({
                    "rule": rule.name,
                    "priority": rule.priority.as_str(),
                    "evt_num": num,
                    "output": rule.output,
                    "tags": rule.tags,
                });
                out.line(&line.to_string());
            } else {
                out.line(&format!("{}\t{}\t{num}", rule.name, rule.priority.as_str()));
            }
        }
    }
    alerts
}

const DEMO_RULES: &str = r#"
- list: shell_binaries
  items: [bash, sh, zsh]
- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir = <
- macro: container
  condition: container.id != host
- rule: Terminal shell in container
  desc: a shell was started inside a container
  condition: spawned_process and container and proc.name in (shell_binaries) and proc.tty != 0
  output: shell in container (user=%user.name container=%container.id cmdline=%proc.cmdline)
  priority: NOTICE
- rule: Read sensitive file
  desc: a process read /etc/shadow
  condition: evt.type in (open, openat) and evt.is_open_read = true and fd.name pmatch (/etc/shadow, /etc/sudoers)
  output: sensitive file opened (file=%fd.name proc=%proc.name)
  priority: WARNING
"#;

const DEMO_EVENTS: &str = r#"{"evt.num": 1, "evt.type": "execve", "evt.dir": "<", "proc.name": "bash", "proc.tty": 34816, "container.id": "3ad7b26ded6d", "user.name": "root"}
{"evt.num": 2, "evt.type": "openat", "evt.dir": "<", "evt.is_open_read": true, "fd.name": "/etc/shadow", "proc.name": "cat", "container.id": "host"}
{"evt.num": 3, "evt.type": "read", "evt.dir": "<", "fd.name": "/etc/shadow", "proc.name": "cat", "container.id": "host"}
{"evt.num": 4, "evt.type": "execve", "evt.dir": "<", "proc.name": "nginx", "proc.tty": 0, "container.id": "3ad7b26ded6d"}
"#;

/// The runtime part of `palisade demo`: a small built-in rules text over a
/// small built-in event stream.
pub fn demo(out: &Output) -> Exit {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    loader.add_str("<demo rules>", DEMO_RULES);
    let loaded = loader.finish();
    let events = FlatEvents::parse(DEMO_EVENTS, &schema);
    let (Some(rules), Ok(events)) = (
        loaded
            .is_ok()
            .then(|| compile_rules(out, &loaded, &schema, MatchMode::All))
            .flatten(),
        events,
    ) else {
        out.error("the built-in runtime demo does not compile");
        return Exit::InputError;
    };
    out.note(&format!(
        "runtime: {} rules replayed over {} built-in events",
        rules.rules().len(),
        events.events().len()
    ));
    replay(out, &rules, events.events());
    Exit::Ok
}
