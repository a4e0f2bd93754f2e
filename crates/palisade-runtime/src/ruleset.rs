//! The compiled ruleset and its per-thread matcher.
//!
//! A [`RuleSet`] is immutable, `Send + Sync`, and cheap to clone (an `Arc`
//! inside): compile once, share across threads. Each thread makes a
//! [`Matcher`], which owns the buffers a match needs, so matching allocates
//! nothing per event. Rules are indexed by event type: an event only runs
//! the rules whose condition can hold for its type.
//!
//! ```
//! use palisade_runtime::event::FlatEvents;
//! use palisade_runtime::fields::Schema;
//! use palisade_runtime::ruleset::{RuleSet, RuleSpec};
//! use palisade_runtime::parser::parse;
//! use palisade_core::Severity;
//!
//! let mut builder = RuleSet::builder(Schema::falco());
//! let condition = parse("evt.type = execve and proc.name = nc").unwrap();
//! builder.add(RuleSpec::new("netcat", condition, Severity::Warning)).unwrap();
//! let rules = builder.build();
//!
//! let events = FlatEvents::parse(r#"{"evt.num": 1, "evt.type": "execve", "proc.name": "nc"}"#, rules.schema()).unwrap();
//! let mut matcher = rules.matcher();
//! let names: Vec<&str> = matcher.matches(&events.events()[0]).iter().map(|r| r.name.as_str()).collect();
//! assert_eq!(names, ["netcat"]);
//! ```

use std::sync::Arc;

use palisade_core::Severity;

use crate::ast::Expr;
use crate::compile;
use crate::compile::bytecode::{Instr, Program};
pub use crate::compile::{CompileError, EvtSet};
use crate::event::Event;
use crate::fields::Schema;
use crate::loader::Loaded;
use crate::vm;

/// How many rules one event may fire, as Falco's `rule_matching` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchMode {
    /// Only the first matching rule, in rules-file order (Falco's default).
    #[default]
    First,
    /// Every matching rule.
    All,
}

/// A rule to compile: the loader's output for one enabled rule.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    /// The rule's name.
    pub name: String,
    /// Its resolved condition (macros and lists expanded, exceptions appended).
    pub condition: Expr,
    /// Its priority.
    pub priority: Severity,
    /// Its output template.
    pub output: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its event source (`syscall` unless told).
    pub source: String,
}

impl RuleSpec {
    /// A `syscall` rule without output or tags.
    pub fn new(name: impl Into<String>, condition: Expr, priority: Severity) -> RuleSpec {
        RuleSpec {
            name: name.into(),
            condition,
            priority,
            output: String::new(),
            tags: Vec::new(),
            source: "syscall".to_owned(),
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// Its priority.
    pub priority: Severity,
    /// Its output template.
    pub output: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its event source.
    pub source: String,
    /// Its condition in Falco's canonical form.
    pub condition: String,
    /// The event types on which it can fire.
    pub event_types: EvtSet,
    /// Entry point of its code in the ruleset's bytecode program.
    pub entry: u32,
}

/// A rule's condition did not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("rule `{rule}`: {source}")]
#[diagnostic(
    code(palisade::runtime::ruleset::compile),
    help("fix the rule's condition")
)]
pub struct RuleCompileError {
    /// The rule.
    pub rule: String,
    /// What is wrong.
    pub source: CompileError,
}

/// Builds a [`RuleSet`].
#[derive(Debug)]
pub struct RuleSetBuilder {
    schema: Schema,
    rules: Vec<Rule>,
    program: Program,
    mode: MatchMode,
    source: String,
    guards: Vec<Guard>,
    /// Per rule, its code specialized per group of event types (empty
    /// when its generic code tests no event type).
    specialized: Vec<Vec<(EvtSet, Run)>>,
}

/// How the matcher runs one rule: where its code starts, and the check it
/// needs before its code is worth running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    entry: u32,
    guard: Guard,
}

impl Run {
    /// Runs the rule on `event`: its guard, then (from past the guard) its
    /// code.
    #[inline]
    fn eval<E: Event + ?Sized>(self, program: &Program, event: &E, state: &mut vm::State) -> bool {
        let entry = match self.guard {
            Guard::Holds(i) => {
                if !vm::check(program, i, event, state) {
                    return false;
                }
                self.entry + 1
            }
            Guard::Fails(i) => {
                if vm::check(program, i, event, state) {
                    return false;
                }
                self.entry + 1
            }
            Guard::None => self.entry,
        };
        vm::run(program, entry, event, state)
    }
}

/// A check a rule needs before its code is worth running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    None,
    /// The check must hold.
    Holds(u32),
    /// The check must fail.
    Fails(u32),
}

impl RuleSetBuilder {
    /// Compiles `spec` and adds it after the rules added before.
    pub fn add(&mut self, spec: RuleSpec) -> Result<(), RuleCompileError> {
        let (ir, event_types) =
            compile::lower_indexed(&spec.condition, &self.schema).map_err(|source| {
                RuleCompileError {
                    rule: spec.name.clone(),
                    source,
                }
            })?;
        let generic = compile::drop_indexed_tests(ir.clone(), &event_types);
        // A rule whose code still tests `evt.type` (it fires on several
        // types, `open` ones in one branch, `execve` in another) gets one
        // version of its code per group of its types on which those tests
        // agree, with the tests folded away.
        let mut specialized = Vec::new();
        let sets = generic.evt_sets();
        let Run { entry, guard } = self.emit(generic);
        if !sets.is_empty() {
            let mut groups: Vec<(Vec<bool>, EvtSet)> = Vec::new();
            for code in event_types.iter() {
                let outcome: Vec<bool> = sets.iter().map(|set| set.contains(code)).collect();
                match groups.iter_mut().find(|(o, _)| *o == outcome) {
                    Some((_, group)) => group.insert(code),
                    None => {
                        let mut group = EvtSet::EMPTY;
                        group.insert(code);
                        groups.push((outcome, group));
                    }
                }
            }
            for (_, group) in groups {
                let run = self.emit(compile::drop_indexed_tests(ir.clone(), &group));
                specialized.push((group, run));
            }
        }
        self.guards.push(guard);
        self.specialized.push(specialized);
        self.rules.push(Rule {
            name: spec.name,
            priority: spec.priority,
            output: spec.output,
            tags: spec.tags,
            source: spec.source,
            condition: spec.condition.as_string(),
            event_types,
            entry,
        });
        Ok(())
    }

    /// Emits `ir` and finds its guard.
    fn emit(&mut self, ir: compile::Ir) -> Run {
        let entry = self.program.emit(ir);
        // A rule whose code starts with "check, and leave when false" is
        // skipped by the matcher without entering the VM when that check
        // fails (it is memoized, and often shared by many rules).
        // (Only when its jump leaves the whole rule: lands on `ret`.)
        let code = &self.program.code;
        let leaves = |to: u32| code.get(to as usize) == Some(&Instr::Ret);
        let guard = match code.get(entry as usize) {
            Some(Instr::CheckJf(i, to)) if leaves(*to) => Guard::Holds(*i),
            Some(Instr::NotCheckJf(i, to)) if leaves(*to) => Guard::Fails(*i),
            _ => Guard::None,
        };
        Run { entry, guard }
    }

    /// Sets the match mode (default [`MatchMode::First`]).
    pub fn mode(&mut self, mode: MatchMode) -> &mut RuleSetBuilder {
        self.mode = mode;
        self
    }

    /// Sets the default event source (default `syscall`): the source of
    /// events whose type the schema registered without one
    /// ([`Schema::register_event_type`], and code 0). Every event runs only
    /// the rules of its type's source ([`Schema::event_source`]): a ruleset
    /// holds `syscall` and `k8s_audit` rules side by side.
    pub fn source(&mut self, source: &str) -> &mut RuleSetBuilder {
        self.source = source.to_owned();
        self
    }

    /// The finished ruleset.
    pub fn build(mut self) -> RuleSet {
        let schema = &self.schema;
        self.program.group_checks(&|field| {
            schema.field(field.id).is_some_and(|d| {
                d.type_for(field.arg.is_some()) == crate::fields::FieldType::String
            })
        });
        let runs: Vec<Run> = self
            .rules
            .iter()
            .zip(&self.guards)
            .map(|(rule, &guard)| Run {
                entry: rule.entry,
                guard,
            })
            .collect();
        let count = self.schema.event_type_count();
        let mut index: Vec<Box<[(u32, Run)]>> = Vec::with_capacity(count);
        for code in 0..count {
            let code = u16::try_from(code).unwrap_or(0);
            let ids: Vec<(u32, Run)> = self
                .rules
                .iter()
                .zip(&runs)
                .zip(&self.specialized)
                .enumerate()
                .filter(|(_, ((r, _), _))| {
                    r.source == source_of(&self.schema, &self.source, code)
                        && r.event_types.contains(code)
                })
                .map(|(i, ((_, &run), specialized))| {
                    let run = specialized
                        .iter()
                        .find(|(group, _)| group.contains(code))
                        .map_or(run, |&(_, run)| run);
                    (u32::try_from(i).unwrap_or(u32::MAX), run)
                })
                .collect();
            index.push(ids.into_boxed_slice());
        }
        let code_sources = (0..count)
            .map(|code| {
                let code = u16::try_from(code).unwrap_or(0);
                source_of(&self.schema, &self.source, code).into()
            })
            .collect();
        RuleSet {
            inner: Arc::new(Inner {
                code_sources,
                schema: self.schema,
                rules: self.rules,
                program: self.program,
                index,
                runs,
                mode: self.mode,
            }),
        }
    }
}

/// The event source of events of type `code`: the schema's, or `default`.
fn source_of<'a>(schema: &'a Schema, default: &'a str, code: u16) -> &'a str {
    schema.event_source(code).unwrap_or(default)
}

#[derive(Debug)]
struct Inner {
    /// The event source of each event code.
    code_sources: Box<[Box<str>]>,
    schema: Schema,
    rules: Vec<Rule>,
    program: Program,
    /// Rules to run per event code, ascending, with how to run them.
    index: Vec<Box<[(u32, Run)]>>,
    /// Per rule, how to run it.
    runs: Vec<Run>,
    mode: MatchMode,
}

/// Compiled rules, indexed by event type. Immutable; clone to share.
#[derive(Debug, Clone)]
pub struct RuleSet {
    inner: Arc<Inner>,
}

impl RuleSet {
    /// A builder over `schema`.
    pub fn builder(schema: Schema) -> RuleSetBuilder {
        RuleSetBuilder {
            schema,
            rules: Vec::new(),
            program: Program::default(),
            mode: MatchMode::First,
            source: "syscall".to_owned(),
            guards: Vec::new(),
            specialized: Vec::new(),
        }
    }

    /// Compiles every enabled rule of `loaded` (name, condition, priority,
    /// output, tags and source, in rules-file order) into a ruleset of
    /// `mode`: the one way from loaded rules files to a ruleset, used by
    /// every command, the facade and the built-in rules. Loading errors are
    /// the caller's to check ([`Loaded::is_ok`]); the first rule that does
    /// not compile is the error.
    ///
    /// ```
    /// use palisade_runtime::fields::Schema;
    /// use palisade_runtime::loader::Loader;
    /// use palisade_runtime::ruleset::{MatchMode, RuleSet};
    ///
    /// let schema = Schema::falco();
    /// let mut loader = Loader::with_checker(&schema);
    /// loader.add_str("rules.yaml", "- rule: shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: shell %proc.name\n  priority: WARNING\n  tags: [shell]\n");
    /// let rules = RuleSet::from_loaded(&loader.finish(), &schema, MatchMode::All).unwrap();
    /// assert_eq!(rules.rules()[0].output, "shell %proc.name");
    /// assert_eq!(rules.rules()[0].tags, ["shell"]);
    /// ```
    pub fn from_loaded(
        loaded: &Loaded,
        schema: &Schema,
        mode: MatchMode,
    ) -> Result<RuleSet, RuleCompileError> {
        let mut builder = RuleSet::builder(schema.clone());
        builder.mode(mode);
        for rule in loaded.rules.iter().filter(|r| r.enabled) {
            let mut spec = RuleSpec::new(rule.name.clone(), rule.condition.clone(), rule.priority);
            spec.output.clone_from(&rule.output);
            spec.tags = rule.tags.iter().cloned().collect();
            spec.source.clone_from(&rule.source);
            builder.add(spec)?;
        }
        Ok(builder.build())
    }

    /// The schema the rules were compiled against (events must use its
    /// event codes).
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// The rules, in the order they were added.
    pub fn rules(&self) -> &[Rule] {
        &self.inner.rules
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.inner.rules.iter().find(|r| r.name == name)
    }

    /// The compiled code of every rule.
    ///
    /// Internal, not part of the API: public (and hidden from the docs) so
    /// that the corpus tests can check which matchers the compiler chose.
    #[doc(hidden)]
    pub fn program(&self) -> &Program {
        &self.inner.program
    }

    /// The match mode.
    pub fn mode(&self) -> MatchMode {
        self.inner.mode
    }

    /// `true` when `rule` runs on events of type `code`: the code is one
    /// of its event types, of its event source.
    pub fn runs_on(&self, rule: &Rule, code: u16) -> bool {
        rule.event_types.contains(code)
            && self
                .inner
                .code_sources
                .get(usize::from(code))
                .is_some_and(|s| **s == *rule.source)
    }

    /// How many rules events of type `code` run.
    pub fn indexed_rules(&self, code: u16) -> usize {
        self.inner
            .index
            .get(usize::from(code))
            .map_or(0, |ids| ids.len())
    }

    /// A matcher for one thread.
    pub fn matcher(&self) -> Matcher {
        Matcher {
            set: self.clone(),
            hits: Vec::with_capacity(self.inner.rules.len()),
            state: vm::State::new(&self.inner.program),
        }
    }

    /// Evaluates the rule at `index` alone on `event`.
    pub fn eval_rule<E: Event + ?Sized>(
        &self,
        index: usize,
        event: &E,
        scratch: &mut Matcher,
    ) -> bool {
        match self.inner.rules.get(index) {
            // The index guarantees a rule only sees events of its types.
            Some(rule) if self.runs_on(rule, event.event_code()) => {
                scratch.state.next_event();
                vm::run(&self.inner.program, rule.entry, event, &mut scratch.state)
            }
            Some(_) => false,
            None => false,
        }
    }
}

/// Per-thread matching state: reuse one for every event.
#[derive(Debug)]
pub struct Matcher {
    set: RuleSet,
    hits: Vec<u32>,
    state: vm::State,
}

impl Matcher {
    /// The rules `event` fires (one at most in [`MatchMode::First`]).
    pub fn matches<E: Event + ?Sized>(&mut self, event: &E) -> Matches<'_> {
        self.hits.clear();
        self.state.next_event();
        let inner = &*self.set.inner;
        let first = inner.mode == MatchMode::First;
        if let Some(ids) = inner.index.get(usize::from(event.event_code())) {
            for &(id, run) in ids.iter() {
                if run.eval(&inner.program, event, &mut self.state) {
                    self.hits.push(id);
                    if first {
                        break;
                    }
                }
            }
        }
        Matches {
            rules: &inner.rules,
            hits: &self.hits,
        }
    }

    /// Like [`Matcher::matches`], but runs only the rules at `ids` (indexes
    /// into [`RuleSet::rules`], ascending; rules that cannot fire on the
    /// event's type are skipped) and stops at the first hit when `first`.
    /// For selections that enable a subset of the rules without
    /// recompiling (`alerts::selection`); per-event memoization is shared
    /// across the rules run, as in `matches`.
    pub fn matches_among<E: Event + ?Sized>(
        &mut self,
        event: &E,
        ids: &[u32],
        first: bool,
    ) -> &[u32] {
        self.hits.clear();
        self.state.next_event();
        let inner = &*self.set.inner;
        let code = event.event_code();
        for &id in ids {
            let (Some(rule), Some(run)) =
                (inner.rules.get(id as usize), inner.runs.get(id as usize))
            else {
                continue;
            };
            if !self.set.runs_on(rule, code) {
                continue;
            }
            // As in `matches`.
            if run.eval(&inner.program, event, &mut self.state) {
                self.hits.push(id);
                if first {
                    break;
                }
            }
        }
        &self.hits
    }

    /// The ruleset this matcher runs.
    pub fn ruleset(&self) -> &RuleSet {
        &self.set
    }
}

/// The rules one event fired.
#[derive(Debug, Clone, Copy)]
pub struct Matches<'a> {
    rules: &'a [Rule],
    hits: &'a [u32],
}

impl<'a> Matches<'a> {
    /// The fired rules, in rules-file order.
    pub fn iter(&self) -> impl Iterator<Item = &'a Rule> + 'a {
        let rules = self.rules;
        self.hits.iter().filter_map(move |&i| rules.get(i as usize))
    }

    /// How many rules fired.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// `true` when no rule fired.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Indexes of the fired rules in [`RuleSet::rules`].
    pub fn indexes(&self) -> &'a [u32] {
        self.hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_families_answer_like_single_checks() {
        let conditions = [
            "proc.name = bash",
            "proc.name in (bash, sh, zsh)",
            "not proc.name in (sh, cat)",
            "proc.name = cat or proc.name = nc",
            "proc.name in (a, b, c, d, e, f, g, h, i, j, bash)",
            "not proc.name = zsh and proc.pname = sshd",
            "proc.aname = bash",
        ];
        let together = together_agrees_with_alone(
            &conditions,
            "{\"evt.type\":\"execve\",\"proc.name\":\"bash\",\"proc.pname\":\"sshd\",\"proc.aname\":[\"sshd\",\"bash\"]}\n\
             {\"evt.type\":\"execve\",\"proc.name\":\"nc\",\"proc.pname\":\"bash\"}\n\
             {\"evt.type\":\"execve\",\"proc.name\":\"zsh\",\"proc.pname\":\"sshd\"}\n\
             {\"evt.type\":\"execve\",\"proc.name\":null}\n\
             {\"evt.type\":\"execve\",\"proc.name\":\"j\"}",
        );
        assert_eq!(
            together.program().families.len(),
            1,
            "one family: proc.name"
        );
    }

    /// Every condition compiled alone (no pattern family: too few members)
    /// and all of them in one ruleset (where they form value or pattern
    /// families) fire on the same events.
    fn together_agrees_with_alone(conditions: &[&str], events: &str) -> RuleSet {
        let events = crate::event::FlatEvents::parse(events, &Schema::falco()).unwrap();
        let mut together = RuleSet::builder(Schema::falco());
        together.mode(MatchMode::All);
        for (i, c) in conditions.iter().enumerate() {
            together
                .add(RuleSpec::new(
                    i.to_string(),
                    crate::parser::parse(c).unwrap(),
                    Severity::Debug,
                ))
                .unwrap();
        }
        let together = together.build();
        let mut matcher = together.matcher();
        for event in events.events() {
            let fired: Vec<u32> = matcher.matches(event).indexes().to_vec();
            for (i, c) in conditions.iter().enumerate() {
                let mut alone = RuleSet::builder(Schema::falco());
                alone
                    .add(RuleSpec::new(
                        "alone",
                        crate::parser::parse(c).unwrap(),
                        Severity::Debug,
                    ))
                    .unwrap();
                let alone = alone.build();
                assert!(alone.program().patterns.is_empty());
                let expected = !alone.matcher().matches(event).is_empty();
                assert_eq!(fired.contains(&(i as u32)), expected, "`{c}` on {event:?}");
            }
        }
        together
    }

    #[test]
    fn pattern_families_answer_like_single_checks() {
        let conditions = [
            "fd.name startswith /etc/",
            "fd.name startswith /etc/ssh",
            "fd.name contains ssh",
            "fd.name endswith .conf",
            "fd.name endswith sshd_config",
            "not fd.name contains /root",
            "fd.name contains /etc and not fd.name startswith /etc",
            "fd.name endswith /etc/",
            "fd.name contains s",
            "fd.name startswith s",
            "fd.name endswith s",
            "proc.name contains sh",
        ];
        let together = together_agrees_with_alone(
            &conditions,
            "{\"evt.type\":\"open\",\"fd.name\":\"/etc/ssh/sshd_config\",\"proc.name\":\"bash\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"/etc/\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"/etc\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"/tmp/etc/a.conf\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"/root/.ssh/x.conf.bak\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"sss\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"s\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\".conf\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":\"x.confs\"}\n\
             {\"evt.type\":\"open\",\"fd.name\":null}\n\
             {\"evt.type\":\"open\",\"fd.name\":[\"/etc/a\",\"b\"]}\n\
             {\"evt.type\":\"open\"}",
        );
        assert_eq!(
            together.program().patterns.len(),
            1,
            "one pattern family: fd.name (proc.name has one pattern)"
        );
    }

    #[test]
    fn ruleset_is_shareable() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<RuleSet>();
        fn assert_send<T: Send>() {}
        assert_send::<Matcher>();
    }
}
