//! The typed field schema: every field a condition may name, its type, and
//! whether it takes an argument; plus the known event types and sources.
//!
//! [`Schema::falco`] holds Falco's `syscall` fields (every field the official
//! rules files and the capture corpus use, and more). Embedders extend a
//! schema with their own fields and event sources, the way Falco plugins add
//! `k8s_audit` or `json`:
//!
//! ```
//! use palisade_runtime::fields::{ArgSpec, FieldDef, FieldType, Schema};
//!
//! let mut schema = Schema::falco();
//! schema.register_source("k8s_audit");
//! let id = schema
//!     .register_field(FieldDef::new("ka.verb", FieldType::String, "the audit verb").source("k8s_audit"))
//!     .unwrap();
//! assert_eq!(schema.lookup("ka.verb"), Some(id));
//! assert!(matches!(schema.field(id).unwrap().arg, ArgSpec::None));
//! ```

use std::collections::HashMap;

/// The type of the values a field yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Text (Falco's `CHARBUF`, `FSPATH`, ...).
    String,
    /// Signed integer (`INT64`, `ERRNO`, `PID`, ...).
    Int,
    /// Unsigned integer (`UINT64`, `UINT32`, `RELTIME`, ...).
    UInt,
    /// Boolean.
    Bool,
    /// An IPv4 or IPv6 address (`IPADDR`).
    IpAddr,
    /// An IP address compared as a network (`IPNET`): `=` means "inside".
    IpNet,
    /// A TCP/UDP port (`PORT`).
    Port,
    /// Raw bytes (`BYTEBUF`).
    Bytes,
    /// Several strings at once (a check holds when it holds for one of them).
    StrList,
}

impl FieldType {
    /// The type named as [`FieldType::as_str`] writes it.
    pub fn from_name(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "int" => FieldType::Int,
            "uint" => FieldType::UInt,
            "bool" => FieldType::Bool,
            "ipaddr" => FieldType::IpAddr,
            "ipnet" => FieldType::IpNet,
            "port" => FieldType::Port,
            "bytes" => FieldType::Bytes,
            "list" => FieldType::StrList,
            _ => return None,
        })
    }

    /// `true` for the integer-like types.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::UInt | FieldType::Port)
    }
}

palisade_core::names! {
    /// The lower-case name used in listings and messages.
    FieldType {
        String => "string",
        Int => "int",
        UInt => "uint",
        Bool => "bool",
        IpAddr => "ipaddr",
        IpNet => "ipnet",
        Port => "port",
        Bytes => "bytes",
        StrList => "list",
    }
}

/// Whether, and how, a field takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgSpec {
    /// No argument.
    None,
    /// A bracketed argument is required: `container.mount.dest[/etc]`.
    Required,
    /// A bracketed argument may be given: `proc.aname[2]` or `proc.aname`.
    Optional,
    /// The argument follows the name after a dot, or in brackets:
    /// `evt.arg.path`, `evt.arg[0]`.
    DotOrBracket,
}

/// One field of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// Falco's name, e.g. `proc.name`.
    pub name: String,
    /// The type of its values (with an argument, when it takes one).
    pub ty: FieldType,
    /// The type of its values when an optional argument is left out
    /// (`proc.aname` alone is a list), if different from `ty`.
    pub ty_without_arg: Option<FieldType>,
    /// Whether it takes an argument.
    pub arg: ArgSpec,
    /// The event source it belongs to (`syscall` for Falco's own fields).
    pub source: String,
    /// What it holds, in words.
    pub description: String,
    /// Its values (without argument) are a list as a plugin's `isList`
    /// field (libsinsp's `EPF_IS_LIST`): `in` holds when every item is in
    /// the set, `intersects` when one is.
    pub list: bool,
}

impl FieldDef {
    /// A `syscall` field without argument.
    pub fn new(name: impl Into<String>, ty: FieldType, description: impl Into<String>) -> FieldDef {
        FieldDef {
            name: name.into(),
            ty,
            ty_without_arg: None,
            arg: ArgSpec::None,
            source: "syscall".to_owned(),
            description: description.into(),
            list: false,
        }
    }

    /// The same field, yielding a list of strings when given without
    /// argument (a plugin's `isList` field; with an argument, one item).
    pub fn list(mut self) -> FieldDef {
        self.list = true;
        self.ty_without_arg = Some(FieldType::StrList);
        self
    }

    /// The same field, taking an argument as `arg` says.
    pub fn arg(mut self, arg: ArgSpec) -> FieldDef {
        self.arg = arg;
        self
    }

    /// The same field, belonging to event source `source`.
    pub fn source(mut self, source: impl Into<String>) -> FieldDef {
        self.source = source.into();
        self
    }

    /// The type of the values of this field given with or without argument.
    pub fn type_for(&self, has_arg: bool) -> FieldType {
        match (has_arg, self.ty_without_arg) {
            (false, Some(ty)) => ty,
            _ => self.ty,
        }
    }
}

/// The index of a field in its [`Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// A field as a condition names it: the field and its argument, if any.
/// Events are asked for values by this key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The field.
    pub id: FieldId,
    /// Its argument (`2` in `proc.aname[2]`, `path` in `evt.arg.path`).
    pub arg: Option<Box<str>>,
    /// A process-wide number for this field name and argument
    /// ([`FieldRef::NO_SLOT`] when none was given), so that event
    /// representations can find the value with one array index.
    pub slot: u32,
}

impl FieldRef {
    /// The slot of a reference made without [`Schema::resolve`].
    pub const NO_SLOT: u32 = u32::MAX;

    /// A reference to field `id` of `schema` with argument `arg`.
    pub fn new(schema: &Schema, id: FieldId, arg: Option<&str>) -> FieldRef {
        let slot = schema
            .field(id)
            .map_or(FieldRef::NO_SLOT, |d| slot_of(&d.name, arg));
        FieldRef {
            id,
            arg: arg.map(Into::into),
            slot,
        }
    }
}

/// The most slots handed out; later field/argument pairs get none (their
/// lookups take the slower path).
const MAX_SLOTS: usize = 1 << 16;

/// Slots by field name and argument.
type SlotMap = HashMap<(String, Option<String>), u32>;

/// The process-wide slot of `name` with `arg`.
fn slot_of(name: &str, arg: Option<&str>) -> u32 {
    static SLOTS: std::sync::OnceLock<std::sync::Mutex<SlotMap>> = std::sync::OnceLock::new();
    let map = SLOTS.get_or_init(Default::default);
    let Ok(mut map) = map.lock() else {
        return FieldRef::NO_SLOT;
    };
    let key = (name.to_owned(), arg.map(str::to_owned));
    if let Some(&slot) = map.get(&key) {
        return slot;
    }
    if map.len() >= MAX_SLOTS {
        return FieldRef::NO_SLOT;
    }
    let slot = u32::try_from(map.len()).unwrap_or(FieldRef::NO_SLOT);
    map.insert(key, slot);
    slot
}

/// The code of an event type (`open`, `execve`, ...) in a [`Schema`].
/// Code 0 stands for every event name the schema does not know.
pub type EventCode = u16;

/// The largest number of event types a schema holds.
pub const MAX_EVENT_TYPES: usize = 1024;

/// A field or event source could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SchemaError {
    /// The name is taken.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Duplicate(#[from] DuplicateField),
    /// The schema is full.
    #[error(transparent)]
    #[diagnostic(transparent)]
    TooManyEventTypes(#[from] TooManyEventTypes),
}

/// A field with this name is already registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("field `{name}` is already registered")]
#[diagnostic(code(palisade::runtime::fields::duplicate), help("pick another name"))]
pub struct DuplicateField {
    /// The name.
    pub name: String,
}

/// More event types than [`MAX_EVENT_TYPES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("cannot register event type `{name}`: the schema holds at most {MAX_EVENT_TYPES}")]
#[diagnostic(
    code(palisade::runtime::fields::too_many_event_types),
    help("register fewer event types")
)]
pub struct TooManyEventTypes {
    /// The name.
    pub name: String,
}

/// The fields, event types and event sources conditions may use.
///
/// Cloning is cheap (the tables are shared until one clone registers
/// something).
#[derive(Debug, Clone)]
pub struct Schema {
    data: std::sync::Arc<SchemaData>,
}

#[derive(Debug, Clone)]
struct SchemaData {
    fields: Vec<FieldDef>,
    by_name: HashMap<String, FieldId>,
    event_types: Vec<String>,
    /// The event source of each event type (`None`: the ruleset's default
    /// source, see `RuleSetBuilder::source`).
    event_sources: Vec<Option<String>>,
    event_by_name: HashMap<String, EventCode>,
    sources: Vec<String>,
}

impl Default for Schema {
    fn default() -> Schema {
        Schema::falco()
    }
}

impl Schema {
    /// An empty schema with no fields, no event types (except code 0,
    /// "unknown") and no sources.
    pub fn empty() -> Schema {
        Schema {
            data: std::sync::Arc::new(SchemaData {
                fields: Vec::new(),
                by_name: HashMap::new(),
                event_types: vec!["<unknown>".to_owned()],
                event_sources: vec![None],
                event_by_name: HashMap::new(),
                sources: Vec::new(),
            }),
        }
    }

    /// Falco's `syscall` source with its fields and event types (built once
    /// per process from the tables in `fields/`; this is a cheap copy).
    pub fn falco() -> Schema {
        FALCO.clone()
    }

    /// Registers a field; its name must be new.
    pub fn register_field(&mut self, def: FieldDef) -> Result<FieldId, SchemaError> {
        let this = std::sync::Arc::make_mut(&mut self.data);
        if this.by_name.contains_key(&def.name) {
            return Err(DuplicateField { name: def.name }.into());
        }
        let id = FieldId(u32::try_from(this.fields.len()).unwrap_or(u32::MAX));
        this.by_name.insert(def.name.clone(), id);
        if !this.sources.contains(&def.source) {
            this.sources.push(def.source.clone());
        }
        this.fields.push(def);
        Ok(id)
    }

    /// Registers an event source (`k8s_audit`, `json`, ...). Registering a
    /// known source again does nothing.
    pub fn register_source(&mut self, name: &str) {
        let this = std::sync::Arc::make_mut(&mut self.data);
        if !this.sources.iter().any(|s| s == name) {
            this.sources.push(name.to_owned());
        }
    }

    /// Registers an event type name and returns its code (the existing one
    /// when it is known). Its events are of the ruleset's default source
    /// (`RuleSetBuilder::source`).
    pub fn register_event_type(&mut self, name: &str) -> Result<EventCode, SchemaError> {
        self.register_typed_event(name, None)
    }

    /// Registers an event type of event source `source` (registered too):
    /// a ruleset runs only the rules of `source` on events of this type.
    pub fn register_source_event_type(
        &mut self,
        name: &str,
        source: &str,
    ) -> Result<EventCode, SchemaError> {
        self.register_source(source);
        self.register_typed_event(name, Some(source))
    }

    fn register_typed_event(
        &mut self,
        name: &str,
        source: Option<&str>,
    ) -> Result<EventCode, SchemaError> {
        let this = std::sync::Arc::make_mut(&mut self.data);
        if let Some(&code) = this.event_by_name.get(name) {
            return Ok(code);
        }
        if this.event_types.len() >= MAX_EVENT_TYPES {
            return Err(TooManyEventTypes {
                name: name.to_owned(),
            }
            .into());
        }
        let code = EventCode::try_from(this.event_types.len()).unwrap_or(0);
        this.event_types.push(name.to_owned());
        this.event_sources.push(source.map(str::to_owned));
        this.event_by_name.insert(name.to_owned(), code);
        Ok(code)
    }

    /// `true` when `name` is a registered event source.
    pub fn has_source(&self, name: &str) -> bool {
        self.data.sources.iter().any(|s| s == name)
    }

    /// The registered event sources.
    pub fn sources(&self) -> &[String] {
        &self.data.sources
    }

    /// The field named exactly `name`.
    pub fn lookup(&self, name: &str) -> Option<FieldId> {
        self.data.by_name.get(name).copied()
    }

    /// The definition of field `id`.
    pub fn field(&self, id: FieldId) -> Option<&FieldDef> {
        self.data.fields.get(id.0 as usize)
    }

    /// Every field, in registration order.
    pub fn fields(&self) -> impl Iterator<Item = (FieldId, &FieldDef)> {
        self.data
            .fields
            .iter()
            .enumerate()
            .map(|(i, def)| (FieldId(u32::try_from(i).unwrap_or(u32::MAX)), def))
    }

    /// Resolves a field as a condition names it: `name` with an optional
    /// bracketed `arg`. `evt.arg.path` is `evt.arg` with argument `path`.
    pub fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldRef, ResolveError> {
        if let Some(id) = self.lookup(name) {
            let def = self.field(id).ok_or_else(|| self.unknown(name))?;
            return match (def.arg, arg) {
                (ArgSpec::None, Some(a)) => Err(ResolveError::UnexpectedArg {
                    field: name.to_owned(),
                    arg: a.to_owned(),
                }),
                (ArgSpec::Required, None) => Err(ResolveError::MissingArg {
                    field: name.to_owned(),
                }),
                (_, a) => {
                    let indexed =
                        matches!(def.name.as_str(), "proc.aname" | "proc.aexe" | "proc.apid");
                    if let Some(a) = a.filter(|a| indexed && a.parse::<u32>().is_err()) {
                        return Err(ResolveError::BadArg {
                            field: name.to_owned(),
                            arg: a.to_owned(),
                        });
                    }
                    Ok(FieldRef::new(self, id, a))
                }
            };
        }
        // `evt.arg.path`: a field taking a dotted argument.
        if arg.is_none() {
            let mut cut = name.len();
            while let Some(dot) = name.get(..cut).and_then(|s| s.rfind('.')) {
                let (head, tail) = (
                    name.get(..dot).unwrap_or(""),
                    name.get(dot + 1..).unwrap_or(""),
                );
                let dotted = self.lookup(head).filter(|&id| {
                    self.field(id)
                        .is_some_and(|d| d.arg == ArgSpec::DotOrBracket)
                });
                if let Some(id) = dotted.filter(|_| !tail.is_empty()) {
                    return Ok(FieldRef::new(self, id, Some(tail)));
                }
                cut = dot;
            }
        }
        Err(self.unknown(name))
    }

    /// `true` when `name` (with `arg`) resolves to a field; cheaper than
    /// [`Schema::resolve`] when the answer is no (no suggestion is made).
    pub fn knows(&self, name: &str, arg: Option<&str>) -> bool {
        if self.lookup(name).is_some() {
            return self.resolve(name, arg).is_ok();
        }
        arg.is_none()
            && name
                .char_indices()
                .filter(|&(_, c)| c == '.')
                .any(|(dot, _)| {
                    let (head, tail) = (
                        name.get(..dot).unwrap_or(""),
                        name.get(dot + 1..).unwrap_or(""),
                    );
                    !tail.is_empty()
                        && self
                            .lookup(head)
                            .and_then(|id| self.field(id))
                            .is_some_and(|d| d.arg == ArgSpec::DotOrBracket)
                })
    }

    fn unknown(&self, name: &str) -> ResolveError {
        ResolveError::Unknown {
            field: name.to_owned(),
            suggestion: self.suggest(name),
        }
    }

    /// The known field name closest to `name`, if one is close enough.
    pub fn suggest(&self, name: &str) -> Option<String> {
        let mut best: Option<(usize, &str)> = None;
        for def in &self.data.fields {
            let d = strsim::levenshtein(name, &def.name);
            if best.is_none_or(|(b, _)| d < b) {
                best = Some((d, &def.name));
            }
        }
        best.filter(|&(d, n)| d <= 2.max(n.len() / 4))
            .map(|(_, n)| n.to_owned())
    }

    /// The code of event type `name`, if known.
    pub fn event_code(&self, name: &str) -> Option<EventCode> {
        self.data.event_by_name.get(name).copied()
    }

    /// The name of event code `code` (`<unknown>` for code 0).
    pub fn event_name(&self, code: EventCode) -> Option<&str> {
        self.data
            .event_types
            .get(usize::from(code))
            .map(String::as_str)
    }

    /// The event source of event code `code`, when its type was registered
    /// with one (Falco's syscall event types are `syscall`; code 0 and
    /// types registered by [`Schema::register_event_type`] have none).
    pub fn event_source(&self, code: EventCode) -> Option<&str> {
        self.data
            .event_sources
            .get(usize::from(code))
            .and_then(|s| s.as_deref())
    }

    /// How many event codes exist (including 0).
    pub fn event_type_count(&self) -> usize {
        self.data.event_types.len()
    }
}

/// A field name in a condition could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ResolveError {
    /// No such field.
    #[error("unknown field `{field}`{}", suggestion.as_ref().map(|s| format!(", did you mean `{s}`?")).unwrap_or_default())]
    #[diagnostic(
        code(palisade::runtime::fields::unknown),
        help("`palisade runtime fields` lists every field")
    )]
    Unknown {
        /// The name given.
        field: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// The field needs an argument.
    #[error("field `{field}` requires an argument, e.g. `{field}[...]`")]
    #[diagnostic(
        code(palisade::runtime::fields::missing_arg),
        help("add the argument in brackets")
    )]
    MissingArg {
        /// The field.
        field: String,
    },
    /// The field takes no argument.
    #[error("field `{field}` does not take an argument (given `{arg}`)")]
    #[diagnostic(
        code(palisade::runtime::fields::unexpected_arg),
        help("remove the bracketed argument")
    )]
    UnexpectedArg {
        /// The field.
        field: String,
        /// The argument given.
        arg: String,
    },
    /// The argument is malformed.
    #[error("invalid argument `{arg}` for field `{field}`")]
    #[diagnostic(
        code(palisade::runtime::fields::bad_arg),
        help("this field takes a number: `{field}[2]`")
    )]
    BadArg {
        /// The field.
        field: String,
        /// The argument given.
        arg: String,
    },
}

/// Falco's `syscall` fields, as data: one line per field (name, type,
/// argument, description), read once by [`Schema::falco`].
const FALCO_FIELDS: &str = include_str!("fields/falco_fields.txt");

/// Falco's event types in code order, as data: names separated by blanks.
const EVENT_TYPES: &str = include_str!("fields/event_types.txt");

/// The lines of a table file that hold data (not blank, not `#` comments).
fn table_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The first blank-separated word of `text` and the rest.
fn next_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

/// One line of the field table as a field; `None` when it is malformed (a
/// unit test checks that no line of the built-in table is).
fn field_line(line: &str) -> Option<FieldDef> {
    let (name, rest) = next_word(line)?;
    let (ty, rest) = next_word(rest)?;
    let (arg, rest) = next_word(rest)?;
    let (ty, without_arg) = match ty.split_once('/') {
        Some((with, without)) => (with, Some(FieldType::from_name(without)?)),
        None => (ty, None),
    };
    let arg = match arg {
        "-" => ArgSpec::None,
        "required" => ArgSpec::Required,
        "optional" => ArgSpec::Optional,
        "dot-or-bracket" => ArgSpec::DotOrBracket,
        _ => return None,
    };
    let mut def = FieldDef::new(name, FieldType::from_name(ty)?, rest.trim()).arg(arg);
    def.ty_without_arg = without_arg;
    Some(def)
}

/// Falco's schema, built from the tables once per process.
static FALCO: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(|| {
    let mut schema = Schema::empty();
    schema.register_source("syscall");
    for def in table_lines(FALCO_FIELDS).filter_map(field_line) {
        // The built-in table has no duplicates (a unit test checks it).
        let _ = schema.register_field(def);
    }
    for name in table_lines(EVENT_TYPES).flat_map(str::split_whitespace) {
        let _ = schema.register_source_event_type(name, "syscall");
    }
    schema
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_no_duplicates() {
        let rows: Vec<&str> = table_lines(FALCO_FIELDS).collect();
        let malformed: Vec<&&str> = rows.iter().filter(|l| field_line(l).is_none()).collect();
        assert!(malformed.is_empty(), "{malformed:?}");
        let mut names: Vec<String> = rows
            .iter()
            .filter_map(|l| field_line(l))
            .map(|d| d.name)
            .collect();
        assert_eq!(names.len(), 136);
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert_eq!(Schema::falco().fields().count(), before);
    }

    #[test]
    fn table_lines_keep_their_types_and_arguments() {
        let s = Schema::falco();
        let aname = s
            .field(s.resolve("proc.aname", Some("2")).unwrap().id)
            .unwrap();
        assert_eq!(
            (aname.ty, aname.ty_without_arg, aname.arg),
            (
                FieldType::String,
                Some(FieldType::StrList),
                ArgSpec::Optional
            )
        );
        assert_eq!(
            aname.description,
            "ancestor name, `proc.aname[N]`; alone, every ancestor name"
        );
        assert_eq!(field_line("x.y  port  nonsense  words"), None);
        assert_eq!(field_line("x.y  float  -  words"), None);
        let def = field_line("fd.sip  ipaddr  -  server IP address").unwrap();
        assert_eq!(
            (def.ty, def.arg, def.description.as_str()),
            (FieldType::IpAddr, ArgSpec::None, "server IP address")
        );
    }

    #[test]
    fn resolves_arguments() {
        let s = Schema::falco();
        let r = s.resolve("evt.arg.path", None).unwrap();
        assert_eq!(s.field(r.id).unwrap().name, "evt.arg");
        assert_eq!(r.arg.as_deref(), Some("path"));
        assert!(s.resolve("proc.aname", Some("2")).is_ok());
        assert!(matches!(
            s.resolve("proc.aname", Some("x")),
            Err(ResolveError::BadArg { .. })
        ));
        assert!(matches!(
            s.resolve("container.mount.dest", None),
            Err(ResolveError::MissingArg { .. })
        ));
        assert!(matches!(
            s.resolve("proc.name", Some("1")),
            Err(ResolveError::UnexpectedArg { .. })
        ));
    }

    #[test]
    fn suggests_close_names() {
        let s = Schema::falco();
        let err = s.resolve("proc.nme", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown field `proc.nme`, did you mean `proc.name`?"
        );
        assert_eq!(s.suggest("zzzzzzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn event_codes() {
        let s = Schema::falco();
        assert_eq!(s.event_code("read"), Some(1));
        assert_eq!(
            s.event_name(s.event_code("groupdeleted").unwrap()),
            Some("groupdeleted")
        );
        let names = table_lines(EVENT_TYPES)
            .flat_map(str::split_whitespace)
            .count();
        assert_eq!(s.event_type_count(), names + 1);
        assert_eq!(
            s.event_code("open").and_then(|c| s.event_name(c)),
            Some("open")
        );
        assert_eq!(s.event_code("no_such_event"), None);
        assert_eq!(s.event_name(0), Some("<unknown>"));
        assert!(s.event_type_count() < MAX_EVENT_TYPES);
    }
}
