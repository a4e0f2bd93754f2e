//! Rule output formatting, as Falco: `%field` and `%field[arg]` in a rule's
//! `output` are replaced by the event's values (`<NA>` when absent).
//!
//! A template is compiled once per rule into an [`OutputFormat`] (literal
//! pieces and resolved fields); rendering an alert only reads values.
//!
//! Falco's placeholders that are not event fields resolve as follows:
//!
//! | placeholder | renders |
//! |---|---|
//! | `%evt.time` | the alert's time of day, `HH:MM:SS.nnnnnnnnn` (UTC) |
//! | `%evt.time.s` | `HH:MM:SS` (UTC) |
//! | `%evt.time.iso8601`, `%evt.datetime.iso8601` | RFC 3339 with nanoseconds (UTC) |
//! | `%evt.datetime` | `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (UTC) |
//! | `%evt.datetime.s` | `YYYY-MM-DD HH:MM:SS` (UTC) |
//! | `%evt.rawtime` | nanoseconds since the epoch |
//! | `%evt.rawtime.s`, `%evt.rawtime.ns` | its seconds, its nanoseconds part |
//! | `%evt.hostname` | the pipeline's host name |
//! | `%container.info` | `container_id=%container.id container_name=%container.name` (Falco's replacement when no `-pc`/`-pk` is given) |
//!
//! The alert's time is the event's `evt.rawtime` when it has one, else the
//! pipeline's clock. Times print in UTC so that outputs do not depend on
//! the machine's time zone (Falco prints local time).
//!
//! ```
//! use palisade_runtime::event::FlatEvents;
//! use palisade_runtime::fields::Schema;
//! use palisade_runtime::output::{OutputFormat, RenderContext};
//!
//! let schema = Schema::falco();
//! let format = OutputFormat::compile("shell %proc.name (parent=%proc.aname[1] user=%user.name)", &schema).unwrap();
//! let events = FlatEvents::parse(r#"{"evt.type": "execve", "proc.name": "bash", "proc.aname[1]": "sshd"}"#, &schema).unwrap();
//! let mut text = String::new();
//! format.render(&events.events()[0], &RenderContext::new(0, "node-1"), &mut text);
//! assert_eq!(text, "shell bash (parent=sshd user=<NA>)");
//! ```

use std::fmt::Write as _;
use std::sync::Arc;

use crate::alerts::clock::{self, Nanos};
use crate::ast::{Transformer, write_list};
use crate::event::{Event, Value};
use crate::fields::{FieldRef, FieldType, Schema};
use crate::ruleset::RuleSet;

/// What absent values print as.
pub const NA: &str = "<NA>";

/// What Falco puts in place of `%container.info` when no `-pc`/`-pk`
/// option is given.
pub const CONTAINER_INFO: &str = "container_id=%container.id container_name=%container.name";

/// An output template could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum FormatError {
    /// A `%field` names no field of the schema.
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownField(#[from] UnknownOutputField),
}

/// A `%field` of an output names no field of the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("output: unknown field `{field}` at byte {offset}{}", suggestion.as_ref().map(|s| format!(", did you mean `{s}`?")).unwrap_or_default())]
#[diagnostic(
    code(palisade::runtime::output::unknown_field),
    help("`palisade runtime fields` lists every field; a literal `%` is written `%%`")
)]
pub struct UnknownOutputField {
    /// The field as written (with its argument).
    pub field: String,
    /// Byte offset of its `%` in the template.
    pub offset: usize,
    /// A close known name.
    pub suggestion: Option<String>,
}

/// A rule's output does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("rule `{rule}`: {source}")]
#[diagnostic(
    code(palisade::runtime::alerts::output),
    help("fix the `%field` placeholders of the rule's output")
)]
pub struct RuleOutputError {
    /// The rule.
    pub rule: String,
    /// What is wrong.
    pub source: FormatError,
}

/// Compiles the output of every rule of `rules`, in order: what the alert
/// pipeline and the runtime engine render alerts with.
pub fn compile_outputs(rules: &RuleSet) -> Result<Vec<OutputFormat>, RuleOutputError> {
    rules
        .rules()
        .iter()
        .map(|rule| {
            OutputFormat::compile(&rule.output, rules.schema()).map_err(|source| RuleOutputError {
                rule: rule.name.clone(),
                source,
            })
        })
        .collect()
}

/// Values an alert is rendered with besides the event's.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The alert's time.
    pub time: Nanos,
    /// The host name.
    pub hostname: &'a str,
}

impl<'a> RenderContext<'a> {
    /// A context at `time` on `hostname`.
    pub fn new(time: Nanos, hostname: &'a str) -> RenderContext<'a> {
        RenderContext { time, hostname }
    }
}

/// Where a placeholder's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    TimeOfDay,
    TimeOfDaySecs,
    Iso8601,
    DateTime,
    DateTimeSecs,
    RawTime,
    RawTimeSecs,
    RawTimeNanos,
    Hostname,
}

impl Special {
    fn of(name: &str) -> Option<Special> {
        Some(match name {
            "evt.time" => Special::TimeOfDay,
            "evt.time.s" => Special::TimeOfDaySecs,
            "evt.time.iso8601" | "evt.datetime.iso8601" => Special::Iso8601,
            "evt.datetime" => Special::DateTime,
            "evt.datetime.s" => Special::DateTimeSecs,
            "evt.rawtime" => Special::RawTime,
            "evt.rawtime.s" => Special::RawTimeSecs,
            "evt.rawtime.ns" => Special::RawTimeNanos,
            "evt.hostname" => Special::Hostname,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum Source {
    Event(FieldRef, FieldType),
    Special(Special),
    /// `%tolower(basename(fd.name))`: single-input transformers, outermost
    /// first, over a field.
    Transformed(Vec<Transformer>, FieldRef, FieldType),
}

/// One placeholder of a template: its key in `output_fields` and where its
/// value comes from.
#[derive(Debug, Clone)]
struct Slot {
    key: Arc<str>,
    source: Source,
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(Box<str>),
    Slot(usize),
}

/// An owned field value of an alert (`output_fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// No value (`null` in JSON, `<NA>` in text).
    Absent,
    /// Text.
    Str(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// Several strings.
    List(Vec<String>),
}

impl FieldValue {
    /// The JSON form of the value, as Falco's `output_fields` holds it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Absent => serde_json::Value::Null,
            FieldValue::Str(s) => serde_json::Value::from(s.as_str()),
            FieldValue::Int(i) => serde_json::Value::from(*i),
            FieldValue::UInt(u) => serde_json::Value::from(*u),
            FieldValue::Bool(b) => serde_json::Value::from(*b),
            FieldValue::List(items) => serde_json::Value::from(items.clone()),
        }
    }
}

/// A compiled output template.
#[derive(Debug, Clone, Default)]
pub struct OutputFormat {
    pieces: Vec<Piece>,
    slots: Vec<Slot>,
}

/// Characters of a field name after `%`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl OutputFormat {
    /// Compiles `template` against `schema`. `%%` is a literal `%`, and a
    /// `%` not followed by a field name is kept as is.
    pub fn compile(template: &str, schema: &Schema) -> Result<OutputFormat, FormatError> {
        let expanded;
        let template = if template.contains("%container.info") {
            expanded = template.replace("%container.info", CONTAINER_INFO);
            expanded.as_str()
        } else {
            template
        };
        let mut format = OutputFormat::default();
        let mut literal = String::new();
        let mut rest = template;
        let mut offset = 0;
        while let Some(at) = rest.find('%') {
            literal.push_str(rest.get(..at).unwrap_or(""));
            let after = rest.get(at + 1..).unwrap_or("");
            let start = offset + at;
            if let Some(tail) = after.strip_prefix('%') {
                literal.push('%');
                offset = start + 2;
                rest = tail;
                continue;
            }
            let name_len = after
                .find(|c: char| !is_name_char(c))
                .unwrap_or(after.len());
            let mut name = after.get(..name_len).unwrap_or("");
            // A sentence may end right after a field: `%proc.name.`
            while let Some(stripped) = name.strip_suffix('.') {
                name = stripped;
            }
            if name.is_empty() {
                literal.push('%');
                offset = start + 1;
                rest = after;
                continue;
            }
            let resolved =
                transformed(schema, after).or_else(|| resolve_token(schema, after, name, name_len));
            let Some((consumed, source)) = resolved else {
                let arg_len = after
                    .get(name.len()..)
                    .filter(|_| name.len() == name_len)
                    .and_then(|s| s.strip_prefix('['))
                    .and_then(|s| s.find(']'))
                    .map_or(0, |close| close + 2);
                return Err(UnknownOutputField {
                    field: after.get(..name.len() + arg_len).unwrap_or(name).to_owned(),
                    offset: start,
                    suggestion: schema.suggest(name),
                }
                .into());
            };
            let key = after.get(..consumed).unwrap_or(name);
            if !literal.is_empty() {
                format
                    .pieces
                    .push(Piece::Literal(std::mem::take(&mut literal).into()));
            }
            let slot = match format.slots.iter().position(|s| &*s.key == key) {
                Some(i) => i,
                None => {
                    format.slots.push(Slot {
                        key: key.into(),
                        source,
                    });
                    format.slots.len() - 1
                }
            };
            format.pieces.push(Piece::Slot(slot));
            offset = start + 1 + consumed;
            rest = after.get(consumed..).unwrap_or("");
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            format.pieces.push(Piece::Literal(literal.into()));
        }
        Ok(format)
    }

    /// The keys of the template's fields, in order of first use
    /// (`proc.name`, `proc.aname[2]`, ...).
    pub fn field_keys(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| &*s.key)
    }

    /// The event fields of the template (placeholders such as `%evt.time`
    /// excluded), with their keys.
    pub fn event_fields(&self) -> impl Iterator<Item = (&str, &FieldRef)> {
        self.slots.iter().filter_map(|s| match &s.source {
            Source::Event(field, _) | Source::Transformed(_, field, _) => Some((&*s.key, field)),
            Source::Special(_) => None,
        })
    }

    /// Appends the rendered template to `out`.
    pub fn render<E: Event + ?Sized>(&self, event: &E, ctx: &RenderContext<'_>, out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Slot(i) => {
                    if let Some(slot) = self.slots.get(*i) {
                        render_slot(&slot.source, event, ctx, out);
                    }
                }
            }
        }
    }

    /// The value of every field of the template, keyed as written
    /// (Falco's `output_fields`).
    pub fn values<E: Event + ?Sized>(
        &self,
        event: &E,
        ctx: &RenderContext<'_>,
    ) -> Vec<(Arc<str>, FieldValue)> {
        self.slots
            .iter()
            .map(|slot| {
                let value = match &slot.source {
                    Source::Event(field, ty) => owned(event.value(field), *ty),
                    Source::Transformed(ts, field, ty) => {
                        transform(ts, owned(event.value(field), *ty))
                    }
                    Source::Special(Special::RawTime) => FieldValue::UInt(ctx.time),
                    Source::Special(Special::RawTimeSecs) => {
                        FieldValue::UInt(ctx.time / 1_000_000_000)
                    }
                    Source::Special(Special::RawTimeNanos) => {
                        FieldValue::UInt(ctx.time % 1_000_000_000)
                    }
                    Source::Special(_) => {
                        let mut text = String::new();
                        render_slot(&slot.source, event, ctx, &mut text);
                        FieldValue::Str(text)
                    }
                };
                (Arc::clone(&slot.key), value)
            })
            .collect()
    }
}

fn render_slot<E: Event + ?Sized>(
    source: &Source,
    event: &E,
    ctx: &RenderContext<'_>,
    out: &mut String,
) {
    match source {
        Source::Event(field, _) => render_value(event.value(field), out),
        Source::Transformed(ts, field, ty) => {
            render_owned(&transform(ts, owned(event.value(field), *ty)), out);
        }
        Source::Special(special) => {
            let t = ctx.time;
            match special {
                Special::TimeOfDay => clock::time_of_day(t, out),
                Special::TimeOfDaySecs => {
                    let mut s = String::new();
                    clock::time_of_day(t, &mut s);
                    out.push_str(s.get(..8).unwrap_or(&s));
                }
                Special::Iso8601 => clock::rfc3339(t, out),
                Special::DateTime => clock::date_time(t, out),
                Special::DateTimeSecs => {
                    let mut s = String::new();
                    clock::date_time(t, &mut s);
                    out.push_str(s.get(..19).unwrap_or(&s));
                }
                Special::RawTime => {
                    let _ = write!(out, "{t}");
                }
                Special::RawTimeSecs => {
                    let _ = write!(out, "{}", t / 1_000_000_000);
                }
                Special::RawTimeNanos => {
                    let _ = write!(out, "{}", t % 1_000_000_000);
                }
                Special::Hostname => out.push_str(ctx.hostname),
            }
        }
    }
}

/// `tolower(...)`, `toupper(...)`, `basename(...)`, `b64(...)` or
/// `len(...)` around a field or another of them, at the start of `after`
/// (a `%` was just read): how many bytes it takes, and the source.
/// `join`, `concat` and `getopt` are not rendered in outputs.
fn transformed(schema: &Schema, after: &str) -> Option<(usize, Source)> {
    let open = after.find('(')?;
    let t = Transformer::from_name(after.get(..open)?)?;
    if !matches!(
        t,
        Transformer::ToLower
            | Transformer::ToUpper
            | Transformer::Basename
            | Transformer::B64
            | Transformer::Len
    ) {
        return None;
    }
    let inner = after.get(open + 1..)?;
    let close = inner.find(')')?;
    let (consumed, source) = match transformed(schema, inner) {
        Some(nested) => nested,
        None => {
            let arg = inner.get(..close)?;
            let (name, field_arg) = match arg.split_once('[') {
                Some((n, a)) => (n, Some(a.strip_suffix(']')?)),
                None => (arg, None),
            };
            let field = schema.resolve(name, field_arg).ok()?;
            let ty = schema
                .field(field.id)
                .map_or(FieldType::String, |d| d.type_for(field.arg.is_some()));
            (arg.len(), Source::Event(field, ty))
        }
    };
    if !inner.get(consumed..)?.starts_with(')') {
        return None;
    }
    let (mut ts, field, ty) = match source {
        Source::Event(field, ty) => (Vec::new(), field, ty),
        Source::Transformed(ts, field, ty) => (ts, field, ty),
        Source::Special(_) => return None,
    };
    ts.insert(0, t);
    Some((open + 1 + consumed + 1, Source::Transformed(ts, field, ty)))
}

/// Applies transformers (outermost first) to a value, as libsinsp's
/// transformers do; a multi-valued field is transformed item by item
/// (`len` counts its items). Absent stays absent; `b64` of text that is
/// not base64 is absent.
fn transform(ts: &[Transformer], value: FieldValue) -> FieldValue {
    ts.iter().rev().fold(value, |v, t| match (t, v) {
        (_, FieldValue::Absent) => FieldValue::Absent,
        (Transformer::Len, FieldValue::List(items)) => FieldValue::UInt(items.len() as u64),
        (_, FieldValue::List(items)) => FieldValue::List(
            items
                .into_iter()
                .filter_map(|i| match one(*t, &i) {
                    FieldValue::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
        ),
        (_, FieldValue::Str(text)) => one(*t, &text),
        (_, other) => {
            let mut text = String::new();
            render_owned(&other, &mut text);
            one(*t, &text)
        }
    })
}

/// One transformer on one string.
fn one(t: Transformer, text: &str) -> FieldValue {
    match t {
        Transformer::ToLower => FieldValue::Str(text.to_ascii_lowercase()),
        Transformer::ToUpper => FieldValue::Str(text.to_ascii_uppercase()),
        Transformer::Basename => {
            FieldValue::Str(text.rsplit('/').next().unwrap_or(text).to_owned())
        }
        Transformer::Len => FieldValue::UInt(text.len() as u64),
        Transformer::B64 => {
            let mut out = Vec::new();
            if crate::compile::pred::b64_decode(text.as_bytes(), &mut out) {
                FieldValue::Str(String::from_utf8_lossy(&out).into_owned())
            } else {
                FieldValue::Absent
            }
        }
        _ => FieldValue::Str(text.to_owned()),
    }
}

/// Appends an owned value as [`render_value`] prints it.
fn render_owned(value: &FieldValue, out: &mut String) {
    match value {
        FieldValue::Absent => out.push_str(NA),
        FieldValue::Str(s) => out.push_str(s),
        FieldValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        FieldValue::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        FieldValue::List(items) => {
            write_list(out, ",", items.iter(), |out, item| out.push_str(item));
        }
    }
}

/// Resolves the field at the start of `after` (a `%` was just read):
/// `name` is the longest run of name characters (trailing dots dropped),
/// `run` its length before dropping. As libsinsp's formatter, the longest
/// prefix of `name` that is a field wins (`%proc.name_x` is `proc.name`
/// then the text `_x`). Returns the bytes consumed and the value source.
fn resolve_token(schema: &Schema, after: &str, name: &str, run: usize) -> Option<(usize, Source)> {
    let mut len = name.len();
    while len > 0 {
        let candidate = name.get(..len)?;
        let ends_alnum = candidate
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric);
        if ends_alnum {
            // A bracketed argument only right after the whole run.
            let bracket = (len == run)
                .then(|| after.get(len..)?.strip_prefix('['))
                .flatten()
                .and_then(|b| Some((b.get(..b.find(']')?)?, b.find(']')? + 2)));
            let (arg, arg_len) = bracket.map_or((None, 0), |(a, l)| (Some(a), l));
            if arg.is_none()
                && let Some(special) = Special::of(candidate)
            {
                return Some((len, Source::Special(special)));
            }
            if let Ok(field) = schema.resolve(candidate, arg) {
                let ty = schema
                    .field(field.id)
                    .map_or(FieldType::String, |d| d.type_for(field.arg.is_some()));
                return Some((len + arg_len, Source::Event(field, ty)));
            }
        }
        len -= 1;
        while len > 0 && !name.is_char_boundary(len) {
            len -= 1;
        }
    }
    None
}

/// Appends `value` as Falco prints it (`<NA>` when absent, lists as
/// `(a,b)`).
pub fn render_value(value: Value<'_>, out: &mut String) {
    match value {
        Value::Absent => out.push_str(NA),
        Value::Str(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Ip(ip) => {
            let _ = write!(out, "{ip}");
        }
        Value::Strs(items) => {
            write_list(out, ",", items.iter(), |out, item| out.push_str(item));
        }
    }
}

fn owned(value: Value<'_>, ty: FieldType) -> FieldValue {
    match value {
        Value::Absent => FieldValue::Absent,
        Value::Str(s) => FieldValue::Str(s.to_owned()),
        Value::Bytes(b) => FieldValue::Str(String::from_utf8_lossy(b).into_owned()),
        // Falco prints booleans of numeric-typed fields as numbers.
        Value::Bool(b) if ty.is_numeric() => FieldValue::UInt(u64::from(b)),
        Value::Bool(b) => FieldValue::Bool(b),
        Value::Int(i) => FieldValue::Int(i),
        Value::UInt(u) => FieldValue::UInt(u),
        Value::Ip(ip) => FieldValue::Str(ip.to_string()),
        Value::Strs(items) => FieldValue::List(items.iter().map(|s| s.to_string()).collect()),
    }
}

/// The schema's `field` with the Falco fields that official rules print in
/// outputs but the condition schema does not know (for example
/// `proc.exe_ino.mtime`). Events without them render `<NA>`.
pub fn register_output_fields(schema: &mut Schema) {
    for &(name, ty, description) in OUTPUT_ONLY_FIELDS {
        if schema.lookup(name).is_none() {
            let _ = schema.register_field(crate::fields::FieldDef::new(name, ty, description));
        }
    }
}

/// The Falco schema with the `k8s_audit` source
/// ([`crate::k8saudit::schema`]) and the output-only fields registered
/// ([`register_output_fields`]): what rules are loaded against when their
/// alerts will be rendered (`palisade runtime replay`, the facade's report).
pub fn alert_schema() -> Schema {
    let mut schema = crate::k8saudit::schema();
    register_output_fields(&mut schema);
    schema
}

/// Fields printed in official rule outputs, missing from the condition
/// schema.
const OUTPUT_ONLY_FIELDS: &[(&str, FieldType, &str)] = &[
    (
        "proc.exe_ino.mtime",
        FieldType::UInt,
        "modification time (ns since the epoch) of the executable's inode",
    ),
    (
        "proc.exe_ino.ctime",
        FieldType::UInt,
        "change time (ns since the epoch) of the executable's inode",
    ),
    (
        "proc.exe_ino.ctime_duration_proc_start",
        FieldType::UInt,
        "ns between the executable inode's change time and the process start",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FlatEvents;

    fn render(template: &str, event: &str) -> String {
        let schema = Schema::falco();
        let format = OutputFormat::compile(template, &schema).unwrap();
        let events = FlatEvents::parse(event, &schema).unwrap();
        let mut out = String::new();
        format.render(
            &events.events()[0],
            &RenderContext::new(1_714_558_805_408_091_526, "node-1"),
            &mut out,
        );
        out
    }

    #[test]
    fn substitutes_fields_and_args() {
        let event = r#"{"evt.type":"open","proc.name":"cat","proc.aname[2]":"sshd","fd.sip":"10.0.0.1","user.uid":0,"evt.arg.flags":"O_RDONLY","proc.aname":["bash","sshd"]}"#;
        assert_eq!(
            render(
                "a %proc.name b %proc.aname[2] c %fd.sip d %user.uid e %evt.arg.flags f %proc.aname g %fd.name.",
                event
            ),
            "a cat b sshd c 10.0.0.1 d 0 e O_RDONLY f (bash,sshd) g <NA>."
        );
    }

    #[test]
    fn renders_transformers_over_fields_and_lists() {
        let event = r#"{"evt.type":"open","proc.name":"Cat","fd.name":"/Tmp/X.txt","proc.aname":["Bash","sshd"],"proc.exe":"aGVsbG8="}"#;
        assert_eq!(
            render(
                "%tolower(proc.name) %toupper(basename(fd.name)) %len(fd.name) %tolower(proc.aname) %len(proc.aname) %basename(proc.pname) %b64(proc.exe)|",
                event
            ),
            "cat X.TXT 10 (bash,sshd) 2 <NA> hello|"
        );
        let schema = Schema::falco();
        let format = OutputFormat::compile("%toupper(proc.name)", &schema).unwrap();
        assert_eq!(
            format.field_keys().collect::<Vec<_>>(),
            ["toupper(proc.name)"]
        );
        // `join`, `concat` and `getopt` are not rendered in outputs; an
        // unknown field inside a transformer is an error.
        for bad in ["%join(\",\", (proc.name))", "%tolower(proc.nmae)"] {
            assert!(OutputFormat::compile(bad, &schema).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_longest_field_prefix_wins_as_in_libsinsp() {
        let event = r#"{"evt.type":"open","proc.name":"cat","fd.name":"/x"}"#;
        assert_eq!(
            render("[%proc.name_x] %fd.name: %proc.name.", event),
            "[cat_x] /x: cat."
        );
    }

    #[test]
    fn resolves_falco_placeholders() {
        let event = r#"{"evt.type":"open","container.id":"abc"}"#;
        assert_eq!(
            render(
                "%evt.time %evt.time.s %evt.datetime %evt.hostname %container.info 100%% %",
                event
            ),
            "10:20:05.408091526 10:20:05 2024-05-01 10:20:05.408091526 node-1 container_id=abc container_name=<NA> 100% %"
        );
        assert_eq!(
            render("%evt.rawtime.s %evt.time.iso8601", event),
            "1714558805 2024-05-01T10:20:05.408091526Z"
        );
    }

    #[test]
    fn unknown_fields_are_errors_with_offset() {
        let err = OutputFormat::compile("x %proc.nme y", &Schema::falco()).unwrap_err();
        let FormatError::UnknownField(e) = err;
        assert_eq!(e.field, "proc.nme");
        assert_eq!(e.offset, 2);
        assert_eq!(e.suggestion.as_deref(), Some("proc.name"));
    }

    #[test]
    fn output_fields_are_typed_and_keyed_as_written() {
        let schema = Schema::falco();
        let format = OutputFormat::compile(
            "%proc.name %user.uid %proc.name %proc.tty %fd.name",
            &schema,
        )
        .unwrap();
        let events = FlatEvents::parse(
            r#"{"evt.type":"open","proc.name":"cat","user.uid":7,"proc.tty":0}"#,
            &schema,
        )
        .unwrap();
        let values = format.values(&events.events()[0], &RenderContext::new(0, "h"));
        let keys: Vec<&str> = values.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["proc.name", "user.uid", "proc.tty", "fd.name"]);
        assert_eq!(values[0].1, FieldValue::Str("cat".into()));
        assert_eq!(values[1].1.to_json(), serde_json::json!(7));
        assert_eq!(values[3].1, FieldValue::Absent);
    }
}
