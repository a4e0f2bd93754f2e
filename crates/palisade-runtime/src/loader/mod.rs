//! Falco rules files: `rule`, `macro`, `list`, `required_engine_version`,
//! `required_plugin_versions`, with Falco's semantics for `append`,
//! `override`, exceptions, visibility and redefinition.
//!
//! Loading runs in the same three stages as Falco's `rule_loader`:
//!
//! 1. **read** (`reader`): every YAML item of every file, in order, is
//!    checked and recorded (the first error of a file stops that file);
//! 2. **collect** (`collector`): definitions, appends and overrides are
//!    applied; a redefinition keeps the item's original position;
//! 3. **compile** (`compiler`): lists are substituted into the condition
//!    text, exceptions appended, conditions parsed, macros expanded (a macro
//!    sees only macros defined before it, a rule sees all), and each rule's
//!    condition is handed to a [`ConditionChecker`] (the field schema and
//!    compiler) for field and type errors.
//!
//! Every error and warning is a [`Diagnostic`] naming the file, line, column
//! and item.
//!
//! ```
//! use palisade_runtime::loader::Loader;
//! let mut loader = Loader::new();
//! loader.add_str("rules.yaml", "
//! - list: shells
//!   items: [bash, sh]
//! - macro: spawned
//!   condition: evt.type = execve
//! - rule: shell
//!   desc: a shell was run
//!   condition: spawned and proc.name in (shells)
//!   output: shell %proc.name
//!   priority: WARNING
//! ");
//! let loaded = loader.finish();
//! assert!(loaded.errors.is_empty());
//! assert_eq!(
//!     loaded.rules[0].condition.as_string(),
//!     "(evt.type = execve and proc.name in (bash, sh))"
//! );
//! ```

mod collector;
mod compiler;
mod operators;
mod reader;
mod schema;

pub use compiler::{MAX_LIST_ITEMS, MAX_RESOLVED_DEPTH, expand_macros, substitute_lists};

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use palisade_core::Severity;

use crate::ast::{Expr, Pos};

/// The Falco engine version these rules semantics follow: files requiring
/// a newer engine (same major) are refused, as Falco refuses them.
pub const ENGINE_VERSION: (u32, u32, u32) = (0, 63, 0);

/// What a finding in a rules file is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// The file as a whole.
    File,
    /// A top-level item that is none of the known kinds.
    Item,
    /// `required_engine_version`.
    RequiredEngineVersion,
    /// `required_plugin_versions`.
    RequiredPluginVersions,
    /// A `list`.
    List,
    /// A `macro`.
    Macro,
    /// A `rule`.
    Rule,
    /// One exception of a rule.
    Exception,
}

impl ItemKind {
    /// The item type as Falco names it (`rule`, `macro`, `exception` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::File => "file",
            ItemKind::Item => "item",
            ItemKind::RequiredEngineVersion => "required_engine_version",
            ItemKind::RequiredPluginVersions => "required_plugin_versions",
            ItemKind::List => "list",
            ItemKind::Macro => "macro",
            ItemKind::Rule => "rule",
            ItemKind::Exception => "exception",
        }
    }
}

/// Where something stands in a rules file, and which item it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The file name given to the loader.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The kind of item.
    pub kind: ItemKind,
    /// The item's name (empty when it has none yet).
    pub name: String,
}

impl Context {
    /// `rule 'Write below etc'`, `list 'shells'`, or the kind alone.
    pub fn item(&self) -> String {
        if self.name.is_empty() {
            self.kind.as_str().to_owned()
        } else {
            format!("{} '{}'", self.kind.as_str(), self.name)
        }
    }

    /// The same item at another position.
    pub fn at(&self, line: u32, column: u32) -> Context {
        Context {
            line,
            column,
            ..self.clone()
        }
    }

    /// The position of `pos` inside a condition whose text starts at this
    /// context's position (a folded or quoted scalar may shift it slightly;
    /// the line/column of the condition start is exact).
    pub fn within(&self, text: &str, pos: Pos) -> Context {
        let prefix = text.get(..pos.offset as usize).unwrap_or_default();
        let lines = u32::try_from(prefix.matches('\n').count()).unwrap_or(u32::MAX);
        if lines == 0 {
            self.at(self.line, self.column.saturating_add(pos.column - 1))
        } else {
            self.at(self.line.saturating_add(lines), pos.column)
        }
    }
}

/// The severity of a [`Diagnostic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Loading failed.
    Error,
    /// Loading succeeded but something deserves attention.
    Warning,
}

/// An error or warning about a rules file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}:{}:{}: {}: {message}", .context.file, .context.line, .context.column, .context.item())]
#[diagnostic(
    code(palisade::runtime::loader),
    help("see the rules file format in docs/runtime.md")
)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// Falco's code for it (`LOAD_ERR_YAML_VALIDATE`, `LOAD_UNKNOWN_KEY` ...).
    pub code: &'static str,
    /// The message, in Falco's words where Falco has one.
    pub message: String,
    /// Where, and which item.
    pub context: Context,
}

/// One rule, resolved and ready to compile.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// The condition with lists substituted, exceptions appended and
    /// macros expanded.
    pub condition: Expr,
    /// The condition text as written (after appends and overrides), before
    /// any resolution.
    pub source_condition: String,
    /// The output format (trimmed; appends joined with a space).
    pub output: String,
    /// The description.
    pub desc: String,
    /// The priority.
    pub priority: Severity,
    /// The event source (`syscall` unless given).
    pub source: String,
    /// Whether the rule is enabled.
    pub enabled: bool,
    /// The tags, sorted and unique.
    pub tags: BTreeSet<String>,
    /// `capture`.
    pub capture: bool,
    /// `capture_duration` (milliseconds).
    pub capture_duration: u64,
    /// `warn_evttypes`.
    pub warn_evttypes: bool,
    /// `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: bool,
    /// The fields the rule's exceptions compare.
    pub exception_fields: BTreeSet<String>,
    /// Where the rule was first defined.
    pub context: Context,
    /// Where the (last) condition stands.
    pub condition_context: Context,
}

/// A compiled list: its name and its items, nested lists expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// The list's name.
    pub name: String,
    /// The items.
    pub items: Vec<String>,
}

/// A compiled macro: its name and its condition, inner macros expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    /// The macro's name.
    pub name: String,
    /// The condition with lists substituted and earlier macros expanded.
    pub condition: Expr,
}

/// What the field schema and compiler say about a condition: the loader's
/// window on compilation, so that it can report unknown fields, type errors
/// and compiler warnings the way Falco's loader does.
pub trait ConditionChecker {
    /// Whether rules of this source can be compiled (`syscall`, plugins...).
    fn has_source(&self, source: &str) -> bool;

    /// Whether `field` (a field with optional argument, or a transformer
    /// expression such as `tolower(proc.name)`) is valid on the left side of
    /// a check for `source`.
    fn is_valid_field(&self, source: &str, field: &str) -> bool;

    /// Compiles a resolved condition: the compiler's warnings, or its error.
    fn check(&self, source: &str, condition: &Expr) -> Result<Vec<Finding>, Finding>;

    /// How many event types the condition can match, when known (Falco warns
    /// above 100).
    fn event_type_count(&self, source: &str, condition: &Expr) -> Option<usize>;
}

/// A compiler error or warning about a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The message.
    pub message: String,
    /// Where in the condition, when known.
    pub pos: Option<Pos>,
    /// `true` when the error is about an unknown field or event type (which
    /// `skip-if-unknown-filter` turns into a warning).
    pub unknown_field: bool,
}

/// A checker that knows only the `syscall` source and no fields: loading
/// then checks everything but field names and types.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyntaxOnly;

impl ConditionChecker for SyntaxOnly {
    fn has_source(&self, source: &str) -> bool {
        source == "syscall"
    }

    fn is_valid_field(&self, _source: &str, _field: &str) -> bool {
        true
    }

    fn check(&self, _source: &str, _condition: &Expr) -> Result<Vec<Finding>, Finding> {
        Ok(Vec::new())
    }

    fn event_type_count(&self, _source: &str, _condition: &Expr) -> Option<usize> {
        None
    }
}

/// The result of loading one or more rules files.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The compiled rules in definition order (a redefined rule keeps its
    /// first position). Rules of unknown sources and rules skipped by
    /// `skip-if-unknown-filter` are not included.
    pub rules: Vec<Rule>,
    /// The macros, in definition order.
    pub macros: Vec<Macro>,
    /// The lists, in definition order.
    pub lists: Vec<List>,
    /// The highest `required_engine_version`, if any.
    pub required_engine_version: Option<(u32, u32, u32)>,
    /// `required_plugin_versions`: per requirement, the alternatives
    /// `(name, version)`.
    pub required_plugin_versions: Vec<Vec<(String, String)>>,
    /// Every warning, in the order found.
    pub warnings: Vec<Diagnostic>,
    /// Every error, in the order found (loading stops a file at its first
    /// error, and compiles nothing once reading failed).
    pub errors: Vec<Diagnostic>,
    /// What Falco's JSON schema for rules files finds (a lint that never
    /// changes the outcome; empty when every file is valid).
    pub schema_problems: Vec<Diagnostic>,
}

impl Loaded {
    /// `true` when there is no error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// How many rules are enabled.
    pub fn enabled_rules(&self) -> usize {
        self.rules.iter().filter(|r| r.enabled).count()
    }

    /// Expands the macros and lists of this ruleset in a free condition (as
    /// `sysdig -r FILE EXPR` does with `-r rules`): lists are substituted
    /// into the text as Falco does, then the text is parsed and macros are
    /// expanded.
    pub fn resolve_condition(&self, text: &str) -> Result<Expr, String> {
        let lists: Vec<(&str, &[String])> = self
            .lists
            .iter()
            .map(|l| (l.name.as_str(), l.items.as_slice()))
            .collect();
        let substituted = compiler::substitute_lists(text, &lists).0;
        let expr = crate::parser::parse(&substituted).map_err(|e| e.to_string())?;
        let macros: Vec<(&str, &Expr)> = self
            .macros
            .iter()
            .map(|m| (m.name.as_str(), &m.condition))
            .collect();
        compiler::expand_macros(&expr, &macros).map_err(|(message, _)| message)
    }
}

/// Loads rules files in order, later files amending earlier ones.
pub struct Loader<'c> {
    checker: &'c dyn ConditionChecker,
    collector: collector::Collector,
    warnings: Vec<Diagnostic>,
    errors: Vec<Diagnostic>,
    schema_problems: Vec<Diagnostic>,
}

impl fmt::Debug for Loader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loader")
            .field("warnings", &self.warnings.len())
            .field("errors", &self.errors.len())
            .finish_non_exhaustive()
    }
}

impl Default for Loader<'static> {
    fn default() -> Self {
        Loader::new()
    }
}

impl Loader<'static> {
    /// A loader that checks syntax only (no field schema): see [`SyntaxOnly`].
    pub fn new() -> Loader<'static> {
        Loader::with_checker(&SyntaxOnly)
    }
}

impl<'c> Loader<'c> {
    /// A loader that compiles conditions with `checker`.
    pub fn with_checker(checker: &'c dyn ConditionChecker) -> Loader<'c> {
        Loader {
            checker,
            collector: collector::Collector::default(),
            warnings: Vec::new(),
            errors: Vec::new(),
            schema_problems: Vec::new(),
        }
    }

    /// Reads one rules file's content; `name` names it in diagnostics.
    pub fn add_str(&mut self, name: &str, text: &str) {
        if text.len() > MAX_RULES_FILE_BYTES {
            let message = format!(
                "file is {} bytes, more than the limit of {MAX_RULES_FILE_BYTES}",
                text.len()
            );
            return self.file_error(name, message);
        }
        let items = text.lines().filter(|l| l.starts_with('-')).count();
        if items > MAX_ITEMS {
            let message = format!("file has {items} items, more than the limit of {MAX_ITEMS}");
            return self.file_error(name, message);
        }
        let mut sink = Sink {
            warnings: &mut self.warnings,
            errors: &mut self.errors,
            schema: &mut self.schema_problems,
        };
        reader::read_file(name, text, &mut self.collector, self.checker, &mut sink);
    }

    /// Reads one rules file from disk; an unreadable file is an error
    /// diagnostic.
    pub fn add_file(&mut self, path: &Path) {
        let name = path.display().to_string();
        // Read at most one byte past the limit: `add_str` reports the size.
        let limit = u64::try_from(MAX_RULES_FILE_BYTES)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let read = std::fs::File::open(path).and_then(|f| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut bytes)
                .map(|_| bytes)
        });
        match read {
            Ok(bytes) => match palisade_core::location::decode_utf8(&name, &bytes) {
                Ok(text) => self.add_str(&name, text),
                Err((at, _)) => self.file_error_at(
                    &name,
                    at.line,
                    at.column,
                    "file is not valid utf-8".to_owned(),
                ),
            },
            Err(e) => self.file_error(&name, format!("cannot read file: {e}")),
        }
    }

    fn file_error(&mut self, name: &str, message: String) {
        self.file_error_at(name, 1, 1, message);
    }

    fn file_error_at(&mut self, name: &str, line: u32, column: u32, message: String) {
        self.errors.push(Diagnostic {
            level: Level::Error,
            code: "LOAD_ERR_FILE_READ",
            message,
            context: Context {
                file: name.to_owned(),
                line,
                column,
                kind: ItemKind::File,
                name: String::new(),
            },
        });
    }

    /// Compiles everything read so far. Nothing is compiled once reading
    /// produced an error (as in Falco).
    pub fn finish(self) -> Loaded {
        let Loader {
            checker,
            collector,
            mut warnings,
            mut errors,
            schema_problems,
        } = self;
        let mut loaded = Loaded {
            required_engine_version: collector.required_engine_version,
            required_plugin_versions: collector.required_plugin_versions.clone(),
            ..Loaded::default()
        };
        if errors.is_empty() {
            let mut unused = Vec::new();
            let mut sink = Sink {
                warnings: &mut warnings,
                errors: &mut errors,
                schema: &mut unused,
            };
            compiler::compile(&collector, checker, &mut sink, &mut loaded);
        }
        loaded.warnings = warnings;
        loaded.errors = errors;
        loaded.schema_problems = schema_problems;
        loaded
    }
}

/// Loads rules files (each a `(name, content)` pair) in order with `checker`.
pub fn load<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    checker: &dyn ConditionChecker,
) -> Loaded {
    let mut loader = Loader::with_checker(checker);
    for (name, text) in files {
        loader.add_str(name, text);
    }
    loader.finish()
}

/// The largest rules file read, in bytes (Falco's official rules are
/// about 100 KiB).
pub const MAX_RULES_FILE_BYTES: usize = 16 << 20;

/// The most top-level items (rules, macros, lists...) one rules file may
/// hold, counted as lines starting with `-`.
pub const MAX_ITEMS: usize = 50_000;

/// Where the stages put their findings.
pub(crate) struct Sink<'a> {
    pub(crate) warnings: &'a mut Vec<Diagnostic>,
    pub(crate) errors: &'a mut Vec<Diagnostic>,
    pub(crate) schema: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(crate) fn warn(&mut self, code: &'static str, message: impl Into<String>, ctx: &Context) {
        self.warnings.push(Diagnostic {
            level: Level::Warning,
            code,
            message: message.into(),
            context: ctx.clone(),
        });
    }

    pub(crate) fn error(&mut self, failure: Failure) {
        self.errors.push(Diagnostic {
            level: Level::Error,
            code: failure.code,
            message: failure.message,
            context: failure.context,
        });
    }
}

/// An error that stops the current file (reading) or the compilation.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) context: Context,
}

impl Failure {
    pub(crate) fn new(
        code: &'static str,
        message: impl Into<String>,
        context: &Context,
    ) -> Failure {
        Failure {
            code,
            message: message.into(),
            context: context.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Loaded {
        load([("t.yaml", text)], &SyntaxOnly)
    }

    #[test]
    fn deep_macro_chains_are_refused_not_overflowed() {
        let mut text = String::from("- macro: m0\n  condition: a.b = 1\n");
        for i in 1..2000 {
            text.push_str(&format!(
                "- macro: m{i}\n  condition: (m{} and a.b = {i})\n",
                i - 1
            ));
        }
        text.push_str("- rule: r\n  desc: d\n  condition: m1999\n  output: o\n  priority: INFO\n");
        let loaded = load_one(&text);
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        assert!(
            loaded.errors[0].message.contains("nests deeper than 500"),
            "{}",
            loaded.errors[0]
        );
    }

    #[test]
    fn reference_loops_and_later_macros_are_errors() {
        let looped = load_one(
            "- macro: a\n  condition: x.y = 1\n- macro: a\n  condition: a and x.y = 2\n\
             - rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
        );
        assert!(
            looped.errors[0]
                .message
                .contains("reference loop in macro 'a'")
        );
        let later = load_one(
            "- macro: a\n  condition: b\n- macro: b\n  condition: x.y = 1\n\
             - rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
        );
        let e = &later.errors[0];
        assert_eq!(e.message, "Undefined macro 'b' used in filter.");
        assert_eq!(
            (e.context.line, e.context.item()),
            (2, "macro 'a'".to_owned())
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "---",
            "{a: 1}",
            "- 1\n- [2]\n",
            "- rule: [x]\n",
            "- rule: r\n  condition: (((\n  output: o\n  desc: d\n  priority: x\n",
            "- list: l\n  items: {a: 1}\n",
            "- macro: m\n  condition:\n",
            "- rule: r\n  exceptions: [{name: e, fields: [[[a]]], values: [[[[b]]]]}]\n  append: true\n",
            "- required_engine_version: banana\n",
            "- required_engine_version: 999\n",
            "- required_plugin_versions: [{name: p, version: x}]\n",
            "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n  override: 3\n",
            "\u{0}\u{1}[",
        ] {
            let loaded = load_one(text);
            for d in loaded.errors.iter().chain(&loaded.warnings) {
                assert!(d.context.line >= 1 && d.context.column >= 1, "{d}");
            }
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(!load_one(&deep).is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Rules files assembled from random pieces of items never panic,
        /// and every diagnostic has a position.
        #[test]
        fn random_rules_files_never_panic(items in proptest::collection::vec(
            proptest::sample::select(vec![
                "- list: l\n  items: [a, \"b c\", l2]\n",
                "- list: l2\n  items: []\n",
                "- list: l\n  items: [x]\n  override:\n    items: append\n",
                "- macro: m\n  condition: a.b in (l) or n\n",
                "- macro: n\n  condition: not m\n",
                "- macro: m\n  condition: and x.y = 1\n  append: true\n",
                "- rule: r\n  desc: d\n  condition: m and a.b = 1\n  output: o\n  priority: INFO\n",
                "- rule: r\n  condition: or (l)\n  override:\n    condition: append\n",
                "- rule: r\n  enabled: false\n",
                "- rule: r\n  exceptions:\n    - name: e\n      values: [[v]]\n  append: true\n",
                "- rule: s\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: WARNING\n  exceptions:\n    - name: e\n      fields: [a.b, c.d]\n      comps: [=, in]\n      values: [[1, [2, 3]]]\n",
                "- rule: s\n  priority: ALERT\n  override:\n    priority: replace\n",
                "- required_engine_version: 10\n",
                "- bogus: 1\n",
                "- [1, 2]\n",
                "---\n",
            ]),
            0..12,
        )) {
            let text: String = items.concat();
            let loaded = load_one(&text);
            for d in loaded.errors.iter().chain(&loaded.warnings) {
                proptest::prop_assert!(d.context.line >= 1 && d.context.column >= 1);
            }
        }
    }

    /// Knows `proc.name`, `proc.aname[N]` and `tolower(...)` of them.
    struct TwoFields;

    impl ConditionChecker for TwoFields {
        fn has_source(&self, source: &str) -> bool {
            source == "syscall"
        }
        fn is_valid_field(&self, _source: &str, field: &str) -> bool {
            let field = field
                .strip_prefix("tolower(")
                .and_then(|f| f.strip_suffix(')'))
                .unwrap_or(field);
            field == "proc.name"
                || field
                    .strip_prefix("proc.aname[")
                    .is_some_and(|a| a.ends_with(']'))
        }
        fn check(&self, _source: &str, _condition: &Expr) -> Result<Vec<Finding>, Finding> {
            Ok(Vec::new())
        }
        fn event_type_count(&self, _source: &str, _condition: &Expr) -> Option<usize> {
            None
        }
    }

    fn with_output(output: &str, skip: bool) -> Loaded {
        let text = format!(
            "- rule: r\n  desc: d\n  condition: a.b = 1\n  output: \"{output}\"\n  priority: INFO\n  skip-if-unknown-filter: {skip}\n"
        );
        load([("t.yaml", text.as_str())], &TwoFields)
    }

    #[test]
    fn outputs_are_checked_like_falco_formats() {
        for ok in [
            "shell %proc.name",
            "%proc.name: started",
            "%proc.name_x",
            "%20proc.name %proc.aname[2] %tolower(proc.name)",
            "*%proc.name",
        ] {
            let loaded = with_output(ok, false);
            assert!(loaded.is_ok(), "{ok}: {:?}", loaded.errors);
        }
        let bad = with_output("user %user.nme", false);
        assert_eq!(bad.errors[0].code, "LOAD_ERR_COMPILE_OUTPUT");
        assert_eq!(
            bad.errors[0].message,
            "unknown filter: invalid formatting token `%user.nme`"
        );
        assert_eq!(
            (bad.errors[0].context.line, bad.errors[0].context.column),
            (4, 11)
        );
        // As in libsinsp, a `%` must start a field.
        assert!(!with_output("100% sure %proc.name", false).is_ok());
        let end = with_output("done %", false);
        assert!(end.errors[0].message.contains("cannot end with a %"));
        let skipped = with_output("user %user.nme", true);
        assert!(skipped.is_ok() && skipped.rules.is_empty());
        assert_eq!(skipped.warnings[0].code, "LOAD_UNKNOWN_FILTER");
    }

    #[test]
    fn redefinition_keeps_the_first_position() {
        let loaded = load_one(
            "- rule: first\n  desc: d\n  condition: a.b = 1\n  output: o\n  priority: INFO\n\
             - rule: second\n  desc: d\n  condition: a.b = 2\n  output: o\n  priority: INFO\n\
             - rule: first\n  desc: d2\n  condition: a.b = 3\n  output: o\n  priority: ERROR\n",
        );
        let names: Vec<&str> = loaded.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        assert_eq!(loaded.rules[0].condition.as_string(), "a.b = 3");
        assert_eq!(loaded.rules[0].priority, Severity::Error);
    }
}
