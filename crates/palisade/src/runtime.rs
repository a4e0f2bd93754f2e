//! Execution-time detection: Falco rules files compiled to a [`RuleSet`]
//! (immutable, `Send + Sync`), matched per thread with a [`Matcher`].
//!
//! [`RuntimeEngine`] (a ruleset with its outputs compiled) implements the
//! [`Engine`](crate::Engine) trait with `dyn Event` as input.

pub use palisade_runtime::ast::Expr;
pub use palisade_runtime::engine::{RuntimeEngine, RuntimeVerdict};
pub use palisade_runtime::event::{Event, EventParseError, FlatEvent, FlatEvents, Value};
pub use palisade_runtime::fields::{ArgSpec, FieldDef, FieldRef, FieldType, Schema};
pub use palisade_runtime::loader::{Diagnostic, Loaded, Loader};
pub use palisade_runtime::output::{
    OutputFormat, RenderContext, RuleOutputError, alert_schema, register_output_fields,
};
pub use palisade_runtime::parser::{ParseError, parse as parse_condition};
pub use palisade_runtime::ruleset::{
    MatchMode, Matcher, Matches, Rule, RuleCompileError, RuleSet, RuleSpec,
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

/// `.scap` captures (sysdig, Falco) read natively, without libscap: plain
/// or gzip-compressed, streamed block by block, every event record with its
/// decoded parameters, numbered and shown as libsinsp numbers and shows
/// them; the metadata blocks (machine, threads, fds, interfaces, users);
/// and the shown events as events rules run on ([`CaptureEvents`](scap::CaptureEvents),
/// with the Falco fields listed in [`FIELDS`](scap::FIELDS)).
///
/// ```no_run
/// use palisade::runtime::{Event, alert_schema};
/// let events = palisade::runtime::scap::CaptureEvents::open("trace.scap")?
///     .read_all(&alert_schema())?;
/// println!("{} events", events.events().len());
/// # Ok::<(), palisade::runtime::scap::ScapError>(())
/// ```
///
/// ```no_run
/// let mut capture = palisade::runtime::scap::Capture::open("trace.scap")?;
/// while let Some(event) = capture.next_event()? {
///     if event.shown {
///         println!("{} {} {}", event.num, event.direction(), event.type_name());
///     }
/// }
/// # Ok::<(), palisade::runtime::scap::ScapError>(())
/// ```
pub mod scap {
    pub use palisade_runtime::scap::event_info::{
        EventInfo, ParamFormat, ParamInfo, ParamType, event_count, event_info, syscall_name,
    };
    pub use palisade_runtime::scap::metadata::{
        Credentials, FdEntry, FdKind, Group, Interface, MachineInfo, Metadata, ThreadEntry, User,
    };
    pub use palisade_runtime::scap::threads::{ThreadInfo, ThreadTable};
    pub use palisade_runtime::scap::{
        BlockCounts, Capture, Endian, Limits, Param, ParamValue, RawEvent, ScapError,
        ScapErrorKind, SectionHeader, SockAddr, errno_name,
    };
    pub use palisade_runtime::scap::{CaptureEvents, CaptureState, FIELDS, is_capture};
}

/// Kubernetes API server audit events under Falco's k8saudit rules: the
/// `k8s_audit` event source, with the `ka.*` fields of Falco's k8saudit
/// plugin and the `jevt.*` fields of its json plugin. Rules of `source:
/// k8s_audit` load beside syscall rules ([`alert_schema`] holds both
/// sources); an audit event runs only the `k8s_audit` ones.
///
/// ```
/// use palisade::runtime::k8saudit::AuditEvents;
///
/// let rules = palisade::runtime::compile_texts(
///     &[("k8s.yaml", "- rule: exec\n  desc: d\n  condition: ka.target.subresource = exec\n  output: exec by %ka.user.name\n  priority: NOTICE\n  source: k8s_audit\n")],
///     palisade::runtime::MatchMode::First,
/// ).unwrap();
/// let log = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","verb":"create","objectRef":{"resource":"pods","subresource":"exec"},"user":{"username":"bob"}}"#;
/// let events = AuditEvents::parse(log, rules.schema());
/// let fired = rules.matcher().matches(&events.events()[0]).len();
/// assert_eq!(fired, 1);
/// ```
pub mod k8saudit {
    pub use palisade_runtime::k8saudit::plugins::{
        PluginRequirementError, PluginVersionError, PluginVersions, Version,
    };
    pub use palisade_runtime::k8saudit::reader::{MAX_EVENT_BYTES, is_audit_text};
    pub use palisade_runtime::k8saudit::{
        AuditEvent, AuditEvents, AuditReadError, SOURCE, register, schema,
    };
}

/// The bytecode of compiled rules, as text (`palisade runtime disasm`).
pub mod disasm {
    pub use palisade_runtime::disasm::{event_types, listing};
}

use crate::error::{RulesError, RulesLoadError};

/// Loads rules texts (`(name, text)` pairs, in order) against the Falco
/// field schema (with the output-only fields, see [`alert_schema`]) and
/// compiles every enabled rule.
///
/// ```
/// let rules = palisade::runtime::compile_texts(
///     &[("rules.yaml", "- rule: shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: shell\n  priority: WARNING\n")],
///     palisade::runtime::MatchMode::All,
/// ).unwrap();
/// assert_eq!(rules.rules().len(), 1);
/// ```
pub fn compile_texts(texts: &[(&str, &str)], mode: MatchMode) -> Result<RuleSet, RulesError> {
    let schema = alert_schema();
    let mut loader = Loader::with_checker(&schema);
    for (name, text) in texts {
        loader.add_str(name, text);
    }
    compile_loaded(&loader.finish(), &schema, mode)
}

/// Loads rules files in order against the Falco field schema (with the
/// output-only fields, see [`alert_schema`]) and compiles every enabled
/// rule.
pub fn compile_files<P: AsRef<std::path::Path>>(
    paths: &[P],
    mode: MatchMode,
) -> Result<RuleSet, RulesError> {
    let schema = alert_schema();
    let mut loader = Loader::with_checker(&schema);
    for path in paths {
        loader.add_file(path.as_ref());
    }
    compile_loaded(&loader.finish(), &schema, mode)
}

/// Compiles the enabled rules of `loaded` ([`RuleSet::from_loaded`]); an
/// error with every loading error when loading failed.
pub fn compile_loaded(
    loaded: &Loaded,
    schema: &Schema,
    mode: MatchMode,
) -> Result<RuleSet, RulesError> {
    if !loaded.is_ok() {
        return Err(RulesLoadError {
            errors: loaded.errors.clone(),
        }
        .into());
    }
    Ok(RuleSet::from_loaded(loaded, schema, mode)?)
}

/// The runtime layer as an [`Engine`](crate::Engine): `rules` with every
/// output compiled, so that findings carry the rendered output (as alerts
/// do) and the event's process.
pub fn engine(rules: RuleSet) -> Result<RuntimeEngine, RulesError> {
    Ok(RuntimeEngine::new(rules)?)
}
