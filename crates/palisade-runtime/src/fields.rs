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
use std::fmt;

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
    /// The lower-case name used in listings and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int => "int",
            FieldType::UInt => "uint",
            FieldType::Bool => "bool",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
            FieldType::Port => "port",
            FieldType::Bytes => "bytes",
            FieldType::StrList => "list",
        }
    }

    /// `true` for the integer-like types.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::UInt | FieldType::Port)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        }
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
                event_by_name: HashMap::new(),
                sources: Vec::new(),
            }),
        }
    }

    /// Falco's `syscall` source with its fields and event types.
    pub fn falco() -> Schema {
        let mut schema = Schema::empty();
        schema.register_source("syscall");
        for &(name, ty, arg, description) in FALCO_FIELDS {
            let mut def = FieldDef::new(name, ty, description).arg(arg);
            if name == "proc.aname" {
                def.ty_without_arg = Some(FieldType::StrList);
            }
            // The built-in table has no duplicates (a unit test checks it).
            let _ = schema.register_field(def);
        }
        for name in SYSCALL_EVENTS
            .split_whitespace()
            .chain(SINSP_EVENTS.split_whitespace())
        {
            let _ = schema.register_event_type(name);
        }
        schema
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
    /// when it is known).
    pub fn register_event_type(&mut self, name: &str) -> Result<EventCode, SchemaError> {
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

use ArgSpec as A;
use FieldType as T;

/// Falco's `syscall` fields: name, type, argument, description.
const FALCO_FIELDS: &[(&str, FieldType, ArgSpec, &str)] = &[
    ("evt.num", T::UInt, A::None, "event number"),
    (
        "evt.time",
        T::UInt,
        A::None,
        "event timestamp in nanoseconds",
    ),
    (
        "evt.rawtime",
        T::UInt,
        A::None,
        "absolute event timestamp in nanoseconds",
    ),
    (
        "evt.type",
        T::String,
        A::None,
        "event type name, e.g. `open`",
    ),
    (
        "evt.dir",
        T::String,
        A::None,
        "event direction: `>` enter, `<` exit",
    ),
    ("evt.cpu", T::Int, A::None, "CPU number"),
    (
        "evt.res",
        T::String,
        A::None,
        "event return value as a string (`SUCCESS` or an errno name)",
    ),
    (
        "evt.rawres",
        T::Int,
        A::None,
        "event return value as a number",
    ),
    (
        "evt.failed",
        T::Bool,
        A::None,
        "`true` for events that returned an error",
    ),
    (
        "evt.is_io",
        T::Bool,
        A::None,
        "`true` for events that read or write",
    ),
    (
        "evt.is_io_read",
        T::Bool,
        A::None,
        "`true` for events that read",
    ),
    (
        "evt.is_io_write",
        T::Bool,
        A::None,
        "`true` for events that write",
    ),
    (
        "evt.is_open_read",
        T::Bool,
        A::None,
        "`true` for open events opening for reading",
    ),
    (
        "evt.is_open_write",
        T::Bool,
        A::None,
        "`true` for open events opening for writing",
    ),
    (
        "evt.is_open_exec",
        T::Bool,
        A::None,
        "`true` for open events creating executable files",
    ),
    (
        "evt.arg",
        T::String,
        A::DotOrBracket,
        "an event argument by name (`evt.arg.path`) or index (`evt.arg[0]`)",
    ),
    (
        "evt.rawarg",
        T::String,
        A::DotOrBracket,
        "an event argument by name, unformatted",
    ),
    (
        "evt.args",
        T::String,
        A::None,
        "all event arguments as text",
    ),
    (
        "evt.buffer",
        T::Bytes,
        A::None,
        "the binary data buffer of I/O events",
    ),
    (
        "evt.buflen",
        T::UInt,
        A::None,
        "length of the binary data buffer",
    ),
    ("evt.source", T::String, A::None, "the event source name"),
    ("evt.hostname", T::String, A::None, "host name"),
    ("proc.pid", T::Int, A::None, "process id"),
    (
        "proc.exe",
        T::String,
        A::None,
        "first command line argument (argv[0])",
    ),
    ("proc.name", T::String, A::None, "process name"),
    ("proc.args", T::String, A::None, "command line arguments"),
    (
        "proc.env",
        T::String,
        A::Optional,
        "environment, or one variable with `proc.env[NAME]`",
    ),
    ("proc.cmdline", T::String, A::None, "full command line"),
    (
        "proc.exeline",
        T::String,
        A::None,
        "full command line with argv[0]",
    ),
    ("proc.exepath", T::String, A::None, "full executable path"),
    (
        "proc.pexepath",
        T::String,
        A::None,
        "parent's full executable path",
    ),
    ("proc.cwd", T::String, A::None, "current working directory"),
    ("proc.nthreads", T::UInt, A::None, "number of threads"),
    ("proc.ppid", T::Int, A::None, "parent process id"),
    ("proc.pname", T::String, A::None, "parent process name"),
    (
        "proc.pcmdline",
        T::String,
        A::None,
        "parent's full command line",
    ),
    (
        "proc.pexe",
        T::String,
        A::None,
        "parent's first command line argument",
    ),
    (
        "proc.apid",
        T::Int,
        A::Optional,
        "ancestor process id, `proc.apid[N]`",
    ),
    (
        "proc.aname",
        T::String,
        A::Optional,
        "ancestor name, `proc.aname[N]`; alone, every ancestor name",
    ),
    (
        "proc.aexe",
        T::String,
        A::Optional,
        "ancestor first argument, `proc.aexe[N]`",
    ),
    (
        "proc.aexepath",
        T::String,
        A::Optional,
        "ancestor executable path, `proc.aexepath[N]`",
    ),
    (
        "proc.loginshellid",
        T::Int,
        A::None,
        "pid of the oldest shell ancestor",
    ),
    (
        "proc.duration",
        T::UInt,
        A::None,
        "nanoseconds since the process started",
    ),
    (
        "proc.tty",
        T::UInt,
        A::None,
        "controlling terminal (0 for none)",
    ),
    ("proc.sid", T::Int, A::None, "session id"),
    ("proc.sname", T::String, A::None, "session leader name"),
    (
        "proc.vpgid",
        T::Int,
        A::None,
        "process group id in its pid namespace",
    ),
    (
        "proc.vpid",
        T::Int,
        A::None,
        "process id in its pid namespace",
    ),
    (
        "proc.is_exe_writable",
        T::Bool,
        A::None,
        "`true` when the executable is writable by its user",
    ),
    (
        "proc.is_exe_upper_layer",
        T::Bool,
        A::None,
        "`true` when the executable is in an overlay upper layer",
    ),
    (
        "proc.is_exe_from_memfd",
        T::Bool,
        A::None,
        "`true` when the executable is a memfd",
    ),
    (
        "proc.is_vpgid_leader",
        T::Bool,
        A::None,
        "`true` when the process leads its process group",
    ),
    (
        "proc.is_container_healthcheck",
        T::Bool,
        A::None,
        "`true` for container health checks",
    ),
    (
        "proc.is_container_liveness_probe",
        T::Bool,
        A::None,
        "`true` for liveness probes",
    ),
    (
        "proc.is_container_readiness_probe",
        T::Bool,
        A::None,
        "`true` for readiness probes",
    ),
    ("thread.tid", T::Int, A::None, "thread id"),
    (
        "thread.vtid",
        T::Int,
        A::None,
        "thread id in its pid namespace",
    ),
    (
        "thread.cap_permitted",
        T::String,
        A::None,
        "permitted capabilities",
    ),
    (
        "thread.cap_inheritable",
        T::String,
        A::None,
        "inheritable capabilities",
    ),
    (
        "thread.cap_effective",
        T::String,
        A::None,
        "effective capabilities",
    ),
    ("fd.num", T::Int, A::None, "file descriptor number"),
    (
        "fd.type",
        T::String,
        A::None,
        "fd type: `file`, `ipv4`, `unix`, ...",
    ),
    (
        "fd.typechar",
        T::String,
        A::None,
        "fd type as one letter: `f`, `4`, `6`, `u`, ...",
    ),
    (
        "fd.name",
        T::String,
        A::None,
        "fd full name (path, or connection tuple)",
    ),
    ("fd.directory", T::String, A::None, "directory of a file fd"),
    (
        "fd.filename",
        T::String,
        A::None,
        "file name of a file fd, without directory",
    ),
    (
        "fd.nameraw",
        T::String,
        A::None,
        "fd name as the kernel gave it",
    ),
    ("fd.ip", T::IpAddr, A::None, "either endpoint's IP address"),
    ("fd.cip", T::IpAddr, A::None, "client IP address"),
    ("fd.sip", T::IpAddr, A::None, "server IP address"),
    ("fd.lip", T::IpAddr, A::None, "local IP address"),
    ("fd.rip", T::IpAddr, A::None, "remote IP address"),
    ("fd.port", T::Port, A::None, "either endpoint's port"),
    ("fd.cport", T::Port, A::None, "client port"),
    ("fd.sport", T::Port, A::None, "server port"),
    ("fd.lport", T::Port, A::None, "local port"),
    ("fd.rport", T::Port, A::None, "remote port"),
    (
        "fd.l4proto",
        T::String,
        A::None,
        "layer-4 protocol: `tcp`, `udp`, `icmp`, `raw`",
    ),
    (
        "fd.sockfamily",
        T::String,
        A::None,
        "socket family: `ip` or `unix`",
    ),
    (
        "fd.is_server",
        T::Bool,
        A::None,
        "`true` when the process is the server end",
    ),
    ("fd.uid", T::String, A::None, "unique fd id"),
    (
        "fd.containername",
        T::String,
        A::None,
        "container id and fd name",
    ),
    (
        "fd.containerdirectory",
        T::String,
        A::None,
        "container id and directory",
    ),
    (
        "fd.net",
        T::IpNet,
        A::None,
        "either endpoint's IP, compared as a network",
    ),
    (
        "fd.cnet",
        T::IpNet,
        A::None,
        "client IP, compared as a network",
    ),
    (
        "fd.snet",
        T::IpNet,
        A::None,
        "server IP, compared as a network",
    ),
    (
        "fd.lnet",
        T::IpNet,
        A::None,
        "local IP, compared as a network",
    ),
    (
        "fd.rnet",
        T::IpNet,
        A::None,
        "remote IP, compared as a network",
    ),
    (
        "fd.connected",
        T::Bool,
        A::None,
        "`true` for connected sockets",
    ),
    (
        "fd.name_changed",
        T::Bool,
        A::None,
        "`true` when the event changed the fd name",
    ),
    ("fd.cip.name", T::String, A::None, "client host name"),
    ("fd.sip.name", T::String, A::None, "server host name"),
    ("fd.lip.name", T::String, A::None, "local host name"),
    ("fd.rip.name", T::String, A::None, "remote host name"),
    ("fd.dev", T::UInt, A::None, "device number"),
    ("fd.ino", T::UInt, A::None, "inode number"),
    ("user.uid", T::UInt, A::None, "user id"),
    ("user.name", T::String, A::None, "user name"),
    ("user.homedir", T::String, A::None, "home directory"),
    ("user.shell", T::String, A::None, "login shell"),
    (
        "user.loginuid",
        T::Int,
        A::None,
        "audit login user id (-1 for none)",
    ),
    (
        "user.loginname",
        T::String,
        A::None,
        "audit login user name",
    ),
    ("group.gid", T::UInt, A::None, "group id"),
    ("group.name", T::String, A::None, "group name"),
    (
        "container.id",
        T::String,
        A::None,
        "container id (`host` for host processes)",
    ),
    ("container.name", T::String, A::None, "container name"),
    ("container.image", T::String, A::None, "container image"),
    (
        "container.image.id",
        T::String,
        A::None,
        "container image id",
    ),
    (
        "container.image.repository",
        T::String,
        A::None,
        "container image repository",
    ),
    (
        "container.image.tag",
        T::String,
        A::None,
        "container image tag",
    ),
    (
        "container.image.digest",
        T::String,
        A::None,
        "container image digest",
    ),
    (
        "container.type",
        T::String,
        A::None,
        "container runtime type",
    ),
    (
        "container.privileged",
        T::Bool,
        A::None,
        "`true` for privileged containers",
    ),
    (
        "container.mounts",
        T::String,
        A::None,
        "every mount of the container",
    ),
    (
        "container.mount",
        T::String,
        A::Required,
        "a mount by index or source path",
    ),
    (
        "container.mount.source",
        T::String,
        A::Required,
        "mount source, by index or destination",
    ),
    (
        "container.mount.dest",
        T::String,
        A::Required,
        "mount destination, by index or source",
    ),
    (
        "container.mount.mode",
        T::String,
        A::Required,
        "mount mode, by index or path",
    ),
    (
        "container.mount.rdwr",
        T::String,
        A::Required,
        "mount read/write flag, by index or path",
    ),
    (
        "container.mount.propagation",
        T::String,
        A::Required,
        "mount propagation, by index or path",
    ),
    (
        "container.start_ts",
        T::UInt,
        A::None,
        "container start time",
    ),
    (
        "container.duration",
        T::UInt,
        A::None,
        "nanoseconds since the container started",
    ),
    ("k8s.ns.name", T::String, A::None, "Kubernetes namespace"),
    ("k8s.pod.name", T::String, A::None, "Kubernetes pod name"),
    ("k8s.pod.id", T::String, A::None, "Kubernetes pod uid"),
    ("k8s.pod.uid", T::String, A::None, "Kubernetes pod uid"),
    (
        "k8s.pod.label",
        T::String,
        A::Required,
        "a Kubernetes pod label",
    ),
    (
        "k8s.pod.labels",
        T::String,
        A::None,
        "Kubernetes pod labels",
    ),
    ("k8s.pod.ip", T::String, A::None, "Kubernetes pod IP"),
    (
        "k8s.pod.cni.json",
        T::String,
        A::None,
        "Kubernetes pod CNI result",
    ),
    (
        "fs.path.name",
        T::String,
        A::None,
        "path of a filesystem event",
    ),
    (
        "fs.path.nameraw",
        T::String,
        A::None,
        "path of a filesystem event, as given",
    ),
    (
        "fs.path.source",
        T::String,
        A::None,
        "source path of a rename/link",
    ),
    (
        "fs.path.sourceraw",
        T::String,
        A::None,
        "source path of a rename/link, as given",
    ),
    (
        "fs.path.target",
        T::String,
        A::None,
        "target path of a rename/link",
    ),
    (
        "fs.path.targetraw",
        T::String,
        A::None,
        "target path of a rename/link, as given",
    ),
];

/// Linux x86-64 system call names (libscap names its events after them).
const SYSCALL_EVENTS: &str = "read write open close stat fstat lstat poll lseek mmap mprotect munmap brk \
rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select \
sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm \
setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen \
getsockname getpeername socketpair setsockopt getsockopt clone fork vfork execve exit wait4 kill uname \
semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate \
getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown \
fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid setuid \
setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups setresuid \
getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending \
rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat statfs \
fstatfs sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler \
sched_getscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock \
mlockall munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot \
sync acct settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm \
create_module init_module delete_module get_kernel_syms query_module quotactl nfsservctl getpmsg \
putpmsg afs_syscall tuxcall security gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr \
fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex \
sched_setaffinity sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit \
io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old remap_file_pages \
getdents64 set_tid_address restart_syscall semtimedop fadvise64 timer_create timer_settime \
timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres clock_nanosleep \
exit_group epoll_wait epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open \
mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key \
keyctl ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat \
mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat \
faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice tee sync_file_range vmsplice \
move_pages utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime \
timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev \
rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at \
open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev kcmp \
finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf \
execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc \
pkey_free statx io_pgetevents rseq pidfd_send_signal io_uring_setup io_uring_enter io_uring_register \
open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd \
faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset \
landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv \
set_mempolicy_home_node umount sigreturn";

/// Events libsinsp produces that are not system calls.
const SINSP_EVENTS: &str = "switch procexit container signaldeliver procinfo infra drop notification \
cpu_hotplug k8s tracer mesos page_fault sysdigevent scapevent asyncevent pluginevent useradded \
userdeleted groupadded groupdeleted";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_no_duplicates() {
        let mut names: Vec<_> = FALCO_FIELDS.iter().map(|f| f.0).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert_eq!(Schema::falco().fields().count(), before);
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
        assert_eq!(
            s.event_code("open").and_then(|c| s.event_name(c)),
            Some("open")
        );
        assert_eq!(s.event_code("no_such_event"), None);
        assert_eq!(s.event_name(0), Some("<unknown>"));
        assert!(s.event_type_count() < MAX_EVENT_TYPES);
    }
}
