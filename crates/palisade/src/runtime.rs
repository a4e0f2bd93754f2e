//! Execution-time detection: Falco rules files compiled to a [`RuleSet`]
//! (immutable, `Send + Sync`), matched per thread with a [`Matcher`].
//!
//! [`RuleSet`] implements the [`Engine`](crate::Engine) trait with
//! `dyn Event` as input.

pub use palisade_runtime::ast::Expr;
pub use palisade_runtime::event::{Event, EventParseError, FlatEvent, FlatEvents, Value};
pub use palisade_runtime::fields::{ArgSpec, FieldDef, FieldRef, FieldType, Schema};
pub use palisade_runtime::loader::{Diagnostic, Loaded, Loader};
pub use palisade_runtime::output::{OutputFormat, RenderContext, register_output_fields};
pub use palisade_runtime::parser::{ParseError, parse as parse_condition};
pub use palisade_runtime::ruleset::{
    MatchMode, Matcher, Matches, Rule, RuleCompileError, RuleSet, RuleSpec, RuntimeVerdict,
};

/// The alert pipeline: which rules run ([`Selection`](alerts::Selection)),
/// repeats suppressed within a window, rate limits, summaries, and the
/// [`Alert`](alerts::Alert) it emits.
pub mod alerts {
    pub use palisade_runtime::alerts::clock::{Clock, FakeClock, Nanos, SystemClock};
    pub use palisade_runtime::alerts::limits::{RateLimit, RateLimitParseError};
    pub use palisade_runtime::alerts::pipeline::{
        DedupKey, Pipeline, PipelineConfig, PipelineError, PipelineStats, RuleCounts, SUMMARY_RULE,
    };
    pub use palisade_runtime::alerts::selection::{Selection, Step};
    pub use palisade_runtime::alerts::{Alert, AlertKind, hostname};
}

/// Where alerts go: writers (standard output, files), and with the
/// `http-sink` and `program-sink` features an HTTP endpoint and a program
/// reading alerts on its standard input. Each sink runs on its own thread
/// behind a bounded queue ([`Dispatcher`](sinks::Dispatcher)).
pub mod sinks {
    #[cfg(feature = "http-sink")]
    pub use palisade_runtime::sinks::http::{HttpConfig, HttpSink};
    #[cfg(feature = "program-sink")]
    pub use palisade_runtime::sinks::program::ProgramSink;
    pub use palisade_runtime::sinks::writer::{LineFormat, WriterSink, file, stdout, write_line};
    pub use palisade_runtime::sinks::{
        DEFAULT_QUEUE, Dispatcher, Sink, SinkError, SinkStats, SinkWorker,
    };
}

/// Palisade's built-in runtime rules (loaded when no rules file is given)
/// and the event stream `palisade demo` replays.
pub mod builtin {
    pub use palisade_runtime::builtin::{DEMO_EVENTS, FILE_NAME, RULES, add_to, load, ruleset};
}

/// The bytecode of compiled rules, as text (`palisade runtime disasm`).
pub mod disasm {
    pub use palisade_runtime::disasm::{event_types, listing};
}

use crate::error::RulesError;

/// Loads rules texts (`(name, text)` pairs, in order) against the Falco
/// field schema and compiles every enabled rule.
///
/// ```
/// let rules = palisade::runtime::compile_texts(
///     &[("rules.yaml", "- rule: shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: shell\n  priority: WARNING\n")],
///     palisade::runtime::MatchMode::All,
/// ).unwrap();
/// assert_eq!(rules.rules().len(), 1);
/// ```
pub fn compile_texts(texts: &[(&str, &str)], mode: MatchMode) -> Result<RuleSet, RulesError> {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    for (name, text) in texts {
        loader.add_str(name, text);
    }
    compile_loaded(&loader.finish(), &schema, mode)
}

/// Loads rules files in order against the Falco field schema and compiles
/// every enabled rule.
pub fn compile_files<P: AsRef<std::path::Path>>(
    paths: &[P],
    mode: MatchMode,
) -> Result<RuleSet, RulesError> {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    for path in paths {
        loader.add_file(path.as_ref());
    }
    compile_loaded(&loader.finish(), &schema, mode)
}

/// Compiles the enabled rules of `loaded`; an error when loading failed.
pub fn compile_loaded(
    loaded: &Loaded,
    schema: &Schema,
    mode: MatchMode,
) -> Result<RuleSet, RulesError> {
    if !loaded.is_ok() {
        let messages: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(RulesError {
            message: messages.join("; "),
        });
    }
    let mut builder = RuleSet::builder(schema.clone());
    builder.mode(mode);
    for rule in loaded.rules.iter().filter(|r| r.enabled) {
        let mut spec = RuleSpec::new(rule.name.clone(), rule.condition.clone(), rule.priority);
        spec.output.clone_from(&rule.output);
        spec.tags = rule.tags.iter().cloned().collect();
        spec.source.clone_from(&rule.source);
        builder.add(spec).map_err(|e| RulesError {
            message: e.to_string(),
        })?;
    }
    Ok(builder.build())
}

/// Fills a rule's output template from a flat event: every `%field` (or
/// `%field[arg]`) becomes the event's value, `<NA>` when absent, as Falco
/// prints it.
pub fn format_output(template: &str, event: &FlatEvent) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']')))
            .unwrap_or(after.len());
        let key = after.get(..len).unwrap_or_default();
        if key.is_empty() {
            out.push('%');
        } else {
            out.push_str(&value_text(event.by_key(key)));
        }
        rest = after.get(len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// A value as text, the way Falco prints it in outputs.
pub fn value_text(value: Value<'_>) -> String {
    match value {
        Value::Absent => "<NA>".to_owned(),
        Value::Str(s) => s.to_owned(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Strs(list) => list.join(","),
    }
}
