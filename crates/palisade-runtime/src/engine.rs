//! The runtime layer behind [`palisade_core::Engine`]: a [`RuleSet`] with
//! every rule's output compiled once, so that a verdict's findings carry the
//! output rendered from the event as an alert does (the same
//! [`OutputFormat`] the alert pipeline renders with) and name the event's
//! process.
//!
//! ```
//! use palisade_core::{Engine, Verdict};
//! use palisade_runtime::engine::RuntimeEngine;
//! use palisade_runtime::event::{Event, FlatEvents};
//! use palisade_runtime::fields::Schema;
//! use palisade_runtime::loader::Loader;
//! use palisade_runtime::ruleset::{MatchMode, RuleSet};
//!
//! let schema = Schema::falco();
//! let mut loader = Loader::with_checker(&schema);
//! loader.add_str("rules.yaml", "- rule: shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: shell %proc.name (args=%proc.args)\n  priority: WARNING\n");
//! let rules = RuleSet::from_loaded(&loader.finish(), &schema, MatchMode::All).unwrap();
//! let engine = RuntimeEngine::new(rules).unwrap();
//! let events = FlatEvents::parse(r#"{"evt.type": "execve", "proc.name": "bash", "proc.pid": 7}"#, &schema).unwrap();
//! let mut matcher = engine.scratch();
//! let verdict = engine.evaluate(&mut matcher, &events.events()[0] as &dyn Event);
//! assert!(!verdict.passed());
//! assert_eq!(verdict.findings()[0].message, "shell bash (args=<NA>)");
//! ```

use std::sync::Arc;

use palisade_core::{Engine, Finding, Layer, ProcessRef, Subject, Verdict};

use crate::event::{Event, Value};
use crate::fields::{FieldRef, Schema};
use crate::output::{OutputFormat, RenderContext, RuleOutputError, compile_outputs, render_value};
use crate::ruleset::{Matcher, RuleSet};

/// The fields a finding's process is read from.
#[derive(Debug, Clone)]
struct ProcessFields {
    pid: Option<FieldRef>,
    name: Option<FieldRef>,
    cmdline: Option<FieldRef>,
    container_id: Option<FieldRef>,
    rawtime: Option<FieldRef>,
}

impl ProcessFields {
    fn new(schema: &Schema) -> ProcessFields {
        let field = |name: &str| schema.resolve(name, None).ok();
        ProcessFields {
            pid: field("proc.pid"),
            name: field("proc.name"),
            cmdline: field("proc.cmdline"),
            container_id: field("container.id"),
            rawtime: field("evt.rawtime"),
        }
    }

    fn process<E: Event + ?Sized>(&self, event: &E) -> ProcessRef {
        let text = |field: &Option<FieldRef>| {
            let value = field.as_ref().map_or(Value::Absent, |f| event.value(f));
            if value == Value::Absent {
                return None;
            }
            let mut out = String::new();
            render_value(value, &mut out);
            Some(out)
        };
        let pid = match self.pid.as_ref().map(|f| event.value(f)) {
            Some(Value::Int(n)) => Some(n),
            Some(Value::UInt(n)) => i64::try_from(n).ok(),
            _ => None,
        };
        ProcessRef {
            pid,
            name: text(&self.name),
            cmdline: text(&self.cmdline),
            container_id: text(&self.container_id),
        }
    }

    /// The event's time (`evt.rawtime`), or the epoch when it has none, so
    /// that a replay renders the same text on every run.
    fn time<E: Event + ?Sized>(&self, event: &E) -> u64 {
        match self.rawtime.as_ref().map(|f| event.value(f)) {
            Some(Value::UInt(t)) => t,
            Some(Value::Int(t)) => u64::try_from(t).unwrap_or(0),
            _ => 0,
        }
    }
}

/// A ruleset with its outputs compiled: the runtime layer as an
/// [`Engine`] whose input is one event.
#[derive(Debug, Clone)]
pub struct RuntimeEngine {
    rules: RuleSet,
    outputs: Arc<[OutputFormat]>,
    fields: Arc<ProcessFields>,
    hostname: Arc<str>,
}

impl RuntimeEngine {
    /// Compiles every rule's output against the ruleset's schema; an error
    /// names the first rule whose output has an unknown `%field`.
    pub fn new(rules: RuleSet) -> Result<RuntimeEngine, RuleOutputError> {
        let outputs = compile_outputs(&rules)?;
        Ok(RuntimeEngine {
            fields: Arc::new(ProcessFields::new(rules.schema())),
            outputs: outputs.into(),
            rules,
            hostname: crate::alerts::hostname().into(),
        })
    }

    /// The ruleset.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }
}

/// What one event fired, as findings: one per rule, in match order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVerdict {
    /// One finding per fired rule: its name and priority, its output
    /// rendered from the event, the event's process as subject.
    pub findings: Vec<Finding>,
}

impl Verdict for RuntimeVerdict {
    fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    fn findings(&self) -> Vec<Finding> {
        self.findings.clone()
    }
}

impl Engine for RuntimeEngine {
    type Input = dyn Event;
    type Verdict = RuntimeVerdict;
    type Scratch = Matcher;

    fn layer(&self) -> Layer {
        Layer::Runtime
    }

    fn scratch(&self) -> Matcher {
        self.rules.matcher()
    }

    fn evaluate(&self, scratch: &mut Matcher, input: &dyn Event) -> RuntimeVerdict {
        let matches = scratch.matches(input);
        if matches.is_empty() {
            return RuntimeVerdict {
                findings: Vec::new(),
            };
        }
        let ctx = RenderContext::new(self.fields.time(input), &self.hostname);
        let process = self.fields.process(input);
        let findings = matches
            .indexes()
            .iter()
            .filter_map(|&i| {
                let i = usize::try_from(i).ok()?;
                let rule = self.rules.rules().get(i)?;
                let mut message = String::new();
                if let Some(format) = self.outputs.get(i) {
                    format.render(input, &ctx, &mut message);
                }
                Some(
                    Finding::new(Layer::Runtime, rule.name.clone(), rule.priority, message)
                        .with_subject(Subject::Process(process.clone())),
                )
            })
            .collect();
        RuntimeVerdict { findings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use palisade_core::Severity;

    use crate::fields::{FieldDef, FieldType};
    use crate::ruleset::RuleSpec;

    /// An embedder's own event type: no copy into a `FlatEvent`.
    struct AuditEvent {
        verb: &'static str,
        user: &'static str,
        code: u16,
    }

    struct AuditFields {
        verb: FieldRef,
        user: FieldRef,
    }

    impl Event for (AuditEvent, std::sync::Arc<AuditFields>) {
        fn event_code(&self) -> u16 {
            self.0.code
        }
        fn value(&self, field: &FieldRef) -> Value<'_> {
            if *field == self.1.verb {
                Value::Str(self.0.verb)
            } else if *field == self.1.user {
                Value::Str(self.0.user)
            } else {
                Value::Absent
            }
        }
    }

    #[test]
    fn embedders_bring_fields_sources_and_events() {
        let mut schema = Schema::falco();
        schema.register_source("k8s_audit");
        let verb = schema
            .register_field(FieldDef::new("ka.verb", FieldType::String, "verb").source("k8s_audit"))
            .unwrap();
        let user = schema
            .register_field(
                FieldDef::new("ka.user.name", FieldType::String, "user").source("k8s_audit"),
            )
            .unwrap();
        let code = schema.register_event_type("k8s_audit_event").unwrap();
        let fields = std::sync::Arc::new(AuditFields {
            verb: FieldRef::new(&schema, verb, None),
            user: FieldRef::new(&schema, user, None),
        });
        let mut builder = RuleSet::builder(schema);
        builder.source("k8s_audit");
        let mut spec = RuleSpec::new(
            "exec by admin",
            crate::parser::parse("ka.verb = create and ka.user.name startswith admin").unwrap(),
            Severity::Warning,
        );
        spec.source = "k8s_audit".to_owned();
        builder.add(spec).unwrap();
        let syscall_rule = RuleSpec::new(
            "syscall",
            crate::parser::parse("proc.name = x").unwrap(),
            Severity::Debug,
        );
        builder.add(syscall_rule).unwrap();
        let rules = builder.build();
        let mut matcher = rules.matcher();
        let hit = (
            AuditEvent {
                verb: "create",
                user: "admin-7",
                code,
            },
            fields.clone(),
        );
        let miss = (
            AuditEvent {
                verb: "get",
                user: "admin-7",
                code,
            },
            fields,
        );
        let names: Vec<&str> = matcher
            .matches(&hit)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["exec by admin"]);
        assert!(matcher.matches(&miss).is_empty());
        let engine = RuntimeEngine::new(rules).unwrap();
        let verdict = engine.evaluate(&mut engine.scratch(), &hit as &dyn Event);
        assert!(!verdict.passed());
        assert_eq!(verdict.findings()[0].policy, "exec by admin");
    }
}
