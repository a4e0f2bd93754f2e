//! Events as the matcher reads them: the [`Event`] trait, and [`FlatEvent`],
//! a ready representation read from JSON lines.
//!
//! The matcher asks an event for one field at a time, by a [`FieldRef`]
//! resolved once at compile time, and gets a borrowed [`Value`]: an embedder
//! implements [`Event`] over its own structures and nothing is copied.
//!
//! ```
//! use palisade_runtime::event::{Event, FlatEvents, Value};
//! use palisade_runtime::fields::Schema;
//!
//! let schema = Schema::falco();
//! let events = FlatEvents::parse(r#"{"evt.num": 7, "evt.type": "open", "fd.name": "/etc/passwd", "proc.aname": ["bash", "sshd"]}"#, &schema).unwrap();
//! let event = &events.events()[0];
//! let fd_name = schema.resolve("fd.name", None).unwrap();
//! assert_eq!(event.value(&fd_name), Value::Str("/etc/passwd"));
//! assert_eq!(event.num(), Some(7));
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use crate::fields::{EventCode, FieldRef, FieldType, Schema};

/// One field value of one event, borrowed from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// The event has no value for this field (libsinsp extracts nothing).
    Absent,
    /// Text.
    Str(&'a str),
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// Several strings (`proc.aname` without index).
    Strs(&'a [Box<str>]),
}

/// An event the matcher can read.
pub trait Event {
    /// The code of the event's type in the ruleset's schema
    /// ([`Schema::event_code`]; 0 when unknown).
    fn event_code(&self) -> EventCode;

    /// The value of `field` for this event, or [`Value::Absent`].
    fn value(&self, field: &FieldRef) -> Value<'_>;
}

/// One stored value of a [`FlatEvent`]; strings live in the event's text
/// arena, so that one event is a few contiguous blocks of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Absent,
    Str(u32, u32),
    Bytes(u32, u32),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Ip4(Ipv4Addr),
    /// Index into the event's IPv6 addresses (kept apart so that a cell
    /// stays 16 bytes).
    Ip6(u32),
    Strs(u32),
}

/// Which column of a [`FlatEvent`] holds which field.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Column of each field reference, indexed by its slot
    /// ([`FieldRef::slot`]); `u32::MAX` for none.
    by_slot: Vec<u32>,
    /// Column of each argument-less field, indexed by field id (for
    /// references without a slot).
    plain: Vec<Option<u32>>,
    /// Columns of fields given with an argument, per field id.
    with_arg: Vec<Vec<(Box<str>, u32)>>,
    /// Column of every key, by its text.
    by_key: HashMap<String, u32>,
    /// Key text of each column.
    keys: Vec<String>,
    /// Value type of each column, when its key is a known field.
    types: Vec<Option<FieldType>>,
    /// Column of `evt.num`.
    num: Option<u32>,
    /// Column of `evt.type`.
    evt_type: Option<u32>,
}

impl Layout {
    #[inline(always)]
    fn column_of(&self, field: &FieldRef) -> Option<u32> {
        if field.slot != FieldRef::NO_SLOT {
            return self
                .by_slot
                .get(field.slot as usize)
                .copied()
                .filter(|&c| c != u32::MAX);
        }
        let id = field.id.0 as usize;
        match &field.arg {
            None => self.plain.get(id).copied().flatten(),
            Some(arg) => self
                .with_arg
                .get(id)?
                .iter()
                .find(|(a, _)| a == arg)
                .map(|&(_, c)| c),
        }
    }

    /// The column of `key`, adding it (resolved against `schema`) when new.
    /// A key that names no field of the schema is an error, as a condition
    /// or an output naming it is (a misspelt key would otherwise be an
    /// absent value that no rule matches).
    fn intern(&mut self, key: &str, schema: &Schema) -> Result<(u32, Option<FieldType>), String> {
        if let Some(&col) = self.by_key.get(key) {
            return Ok((col, self.types.get(col as usize).copied().flatten()));
        }
        let Some((name, arg)) = split_key(key) else {
            return Err(format!("`{key}` is not a field name (an unclosed `[`)"));
        };
        let r = schema.resolve(name, arg).map_err(|e| e.to_string())?;
        let col = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(key.to_owned());
        self.by_key.insert(key.to_owned(), col);
        if key == "evt.num" {
            self.num = Some(col);
        }
        if key == "evt.type" {
            self.evt_type = Some(col);
        }
        let ty = schema.field(r.id).map(|d| d.type_for(r.arg.is_some()));
        if r.slot != FieldRef::NO_SLOT {
            let slot = r.slot as usize;
            if self.by_slot.len() <= slot {
                self.by_slot.resize(slot + 1, u32::MAX);
            }
            if let Some(c) = self.by_slot.get_mut(slot) {
                *c = col;
            }
        }
        let id = r.id.0 as usize;
        match r.arg {
            None => {
                if self.plain.len() <= id {
                    self.plain.resize(id + 1, None);
                }
                if let Some(c) = self.plain.get_mut(id) {
                    *c = Some(col);
                }
            }
            Some(arg) => {
                if self.with_arg.len() <= id {
                    self.with_arg.resize(id + 1, Vec::new());
                }
                if let Some(list) = self.with_arg.get_mut(id) {
                    list.push((arg, col));
                }
            }
        }
        self.types.push(ty);
        Ok((col, ty))
    }

    /// The keys, in column order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

/// `proc.aname[2]` -> (`proc.aname`, `2`); `fd.name` -> (`fd.name`, none).
fn split_key(key: &str) -> Option<(&str, Option<&str>)> {
    match key.find('[') {
        Some(open) if key.ends_with(']') => {
            Some((key.get(..open)?, key.get(open + 1..key.len() - 1)))
        }
        Some(_) => None,
        None => Some((key, None)),
    }
}

/// An event held as a flat row of values, one per key of its JSON object.
#[derive(Debug, Clone)]
pub struct FlatEvent {
    layout: Arc<Layout>,
    cells: Box<[Cell]>,
    /// Every string of the event, back to back.
    text: Box<str>,
    /// Multi-valued fields (`proc.aname`).
    lists: Box<[Box<[Box<str>]>]>,
    /// IPv6 addresses.
    ip6: Box<[Ipv6Addr]>,
    code: EventCode,
    line: usize,
}

impl FlatEvent {
    /// `evt.num`, when present.
    pub fn num(&self) -> Option<u64> {
        match self.cells.get(self.layout.num? as usize)? {
            Cell::UInt(n) => Some(*n),
            Cell::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The 1-based line of the event in its JSON-lines text.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The event type name (`evt.type`), when present.
    pub fn type_name(&self) -> Option<&str> {
        match self.cell_value(*self.cells.get(self.layout.evt_type? as usize)?) {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` exactly as written in the JSON object.
    pub fn by_key(&self, key: &str) -> Value<'_> {
        self.layout
            .by_key
            .get(key)
            .and_then(|&c| self.cells.get(c as usize))
            .map_or(Value::Absent, |&cell| self.cell_value(cell))
    }

    #[inline(always)]
    fn cell_value(&self, cell: Cell) -> Value<'_> {
        match cell {
            Cell::Absent => Value::Absent,
            Cell::Str(start, len) => self
                .text
                .get(start as usize..start as usize + len as usize)
                .map_or(Value::Absent, Value::Str),
            Cell::Bytes(start, len) => self
                .text
                .as_bytes()
                .get(start as usize..start as usize + len as usize)
                .map_or(Value::Absent, Value::Bytes),
            Cell::Int(i) => Value::Int(i),
            Cell::UInt(u) => Value::UInt(u),
            Cell::Bool(b) => Value::Bool(b),
            Cell::Ip4(ip) => Value::Ip(IpAddr::V4(ip)),
            Cell::Ip6(i) => self
                .ip6
                .get(i as usize)
                .map_or(Value::Absent, |ip| Value::Ip(IpAddr::V6(*ip))),
            Cell::Strs(i) => self
                .lists
                .get(i as usize)
                .map_or(Value::Absent, |l| Value::Strs(l)),
        }
    }
}

impl Event for FlatEvent {
    #[inline]
    fn event_code(&self) -> EventCode {
        self.code
    }

    #[inline(always)]
    fn value(&self, field: &FieldRef) -> Value<'_> {
        match self
            .layout
            .column_of(field)
            .and_then(|c| self.cells.get(c as usize))
        {
            Some(&cell) => self.cell_value(cell),
            None => Value::Absent,
        }
    }
}

/// A JSON-lines event text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("line {line}, column {column}: {message}")]
#[diagnostic(
    code(palisade::runtime::event::json),
    help("each line must be one JSON object mapping field names to values (`null` = absent)")
)]
pub struct EventParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Events read from JSON lines, sharing one [`Layout`].
#[derive(Debug, Clone, Default)]
pub struct FlatEvents {
    events: Vec<FlatEvent>,
}

impl FlatEvents {
    /// Reads JSON lines from raw bytes (a file's content): as
    /// [`FlatEvents::parse`], and bytes that are not UTF-8 are an error at
    /// the line and column where they start.
    pub fn parse_bytes(bytes: &[u8], schema: &Schema) -> Result<FlatEvents, EventParseError> {
        match palisade_core::location::decode_utf8("", bytes) {
            Ok(text) => FlatEvents::parse(text, schema),
            Err((at, byte)) => Err(EventParseError {
                line: at.line as usize,
                column: at.column as usize,
                message: format!("not valid UTF-8 (byte {byte})"),
            }),
        }
    }

    /// Reads one JSON object per non-blank line. Keys are Falco field
    /// names of `schema` (`proc.aname[2]`, `container.mount.dest[/etc]`
    /// included); a key naming no field is an error, with the closest
    /// field name when one is close. `null` means absent. Values are typed
    /// by the schema: strings of IP fields must be addresses, numbers take
    /// the field's integer type, arrays of strings are multi-valued fields.
    pub fn parse(text: &str, schema: &Schema) -> Result<FlatEvents, EventParseError> {
        let mut builder = FlatEventsBuilder::new(schema);
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let line_no = index + 1;
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .map_err(|e| {
                    // serde's own position is within this one line: the
                    // error's line and column replace it.
                    let message = e.to_string();
                    let suffix = format!(" at line {} column {}", e.line(), e.column());
                    EventParseError {
                        line: line_no,
                        column: e.column(),
                        message: message.strip_suffix(&suffix).unwrap_or(&message).to_owned(),
                    }
                })?;
            builder
                .push(object, line_no)
                .map_err(|(key, message)| EventParseError {
                    line: line_no,
                    // The column of the key (best effort: escapes in the key
                    // make it 1).
                    column: line.find(&format!("\"{key}\"")).map_or(1, |c| c + 1),
                    message,
                })?;
        }
        Ok(builder.finish())
    }

    /// The events, in input order.
    pub fn events(&self) -> &[FlatEvent] {
        &self.events
    }

    /// The events, owned.
    pub fn into_events(self) -> Vec<FlatEvent> {
        self.events
    }
}

/// Builds [`FlatEvents`] from JSON objects (field name to value) that
/// share one layout: the JSON-lines reader uses it, and so does anything
/// else that produces events in that form (the `.scap` reader).
#[derive(Debug)]
pub struct FlatEventsBuilder<'s> {
    schema: &'s Schema,
    layout: Layout,
    rows: Vec<(Row, usize)>,
}

impl<'s> FlatEventsBuilder<'s> {
    /// An empty builder reading keys as fields of `schema`.
    pub fn new(schema: &'s Schema) -> Self {
        Self {
            schema,
            layout: Layout::default(),
            rows: Vec::new(),
        }
    }

    /// Adds one event, `line` being its 1-based position in its input.
    /// On error, gives the key at fault and what is wrong with it (the
    /// rules of [`FlatEvents::parse`]).
    pub fn push(
        &mut self,
        object: serde_json::Map<String, serde_json::Value>,
        line: usize,
    ) -> Result<(), (String, String)> {
        let mut row = Row {
            cells: Vec::with_capacity(object.len()),
            text: String::new(),
            lists: Vec::new(),
            ip6: Vec::new(),
            code: 0,
        };
        for (key, json) in object {
            let (col, ty) = match self.layout.intern(&key, self.schema) {
                Ok(found) => found,
                Err(message) => return Err((key, message)),
            };
            let cell = match row.convert(&key, json, ty) {
                Ok(cell) => cell,
                Err(message) => return Err((key, message)),
            };
            if let (true, Cell::Str(start, len)) = (key == "evt.type", cell) {
                let name = row
                    .text
                    .get(start as usize..start as usize + len as usize)
                    .unwrap_or("");
                row.code = self.schema.event_code(name).unwrap_or(0);
            }
            let col = col as usize;
            if row.cells.len() <= col {
                row.cells.resize(col + 1, Cell::Absent);
            }
            if let Some(slot) = row.cells.get_mut(col) {
                *slot = cell;
            }
        }
        self.rows.push((row, line));
        Ok(())
    }

    /// The number of events added.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no event was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The events, in the order they were added.
    pub fn finish(self) -> FlatEvents {
        let layout = Arc::new(self.layout);
        let events = self
            .rows
            .into_iter()
            .map(|(row, line)| FlatEvent {
                layout: Arc::clone(&layout),
                cells: row.cells.into_boxed_slice(),
                text: row.text.into_boxed_str(),
                lists: row.lists.into_boxed_slice(),
                ip6: row.ip6.into_boxed_slice(),
                code: row.code,
                line,
            })
            .collect();
        FlatEvents { events }
    }
}

/// An event being read.
#[derive(Debug)]
struct Row {
    cells: Vec<Cell>,
    text: String,
    lists: Vec<Box<[Box<str>]>>,
    ip6: Vec<Ipv6Addr>,
    code: EventCode,
}

impl Row {
    fn push_text(&mut self, s: &str) -> Result<(u32, u32), String> {
        let start = u32::try_from(self.text.len()).map_err(|_| "event too large".to_owned())?;
        let len = u32::try_from(s.len()).map_err(|_| "value too large".to_owned())?;
        start
            .checked_add(len)
            .ok_or_else(|| "event too large".to_owned())?;
        self.text.push_str(s);
        Ok((start, len))
    }

    fn convert(
        &mut self,
        key: &str,
        json: serde_json::Value,
        ty: Option<FieldType>,
    ) -> Result<Cell, String> {
        use serde_json::Value as J;
        // A value of the wrong JSON type for the field's schema type is an
        // error.
        let expected = match (ty, &json) {
            (None, _) | (_, J::Null) => None,
            (Some(t), J::Number(_)) if t.is_numeric() => None,
            (Some(t), J::String(_) | J::Bool(_) | J::Array(_)) if t.is_numeric() => {
                Some("a number")
            }
            (Some(FieldType::Bool), J::Bool(_)) => None,
            (Some(FieldType::Bool), _) => Some("a boolean"),
            (Some(FieldType::StrList), J::String(_) | J::Array(_)) => None,
            (Some(FieldType::StrList), _) => Some("a string or a list of strings"),
            (Some(FieldType::String | FieldType::Bytes), J::String(_) | J::Array(_)) => None,
            (
                Some(FieldType::String | FieldType::Bytes | FieldType::IpAddr | FieldType::IpNet),
                J::Number(_) | J::Bool(_),
            ) => Some("a string"),
            _ => None,
        };
        if let (Some(expected), Some(ty)) = (expected, ty) {
            let found = match json {
                J::Bool(_) => "a boolean",
                J::Number(_) => "a number",
                J::String(_) => "a string",
                J::Array(_) => "a list",
                J::Object(_) => "an object",
                J::Null => "null",
            };
            return Err(format!(
                "`{key}` ({} field) must be {expected}, found {found}",
                ty.as_str()
            ));
        }
        Ok(match json {
            J::Null => Cell::Absent,
            J::Bool(b) => Cell::Bool(b),
            J::Number(n) => {
                if let Some(u) = n.as_u64().filter(|_| ty != Some(FieldType::Int)) {
                    Cell::UInt(u)
                } else if let Some(i) = n.as_i64() {
                    Cell::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Cell::UInt(u)
                } else {
                    return Err(format!("`{key}`: number `{n}` is not an integer"));
                }
            }
            J::String(s) => match ty {
                Some(FieldType::IpAddr | FieldType::IpNet) => match s.parse::<IpAddr>() {
                    Ok(IpAddr::V4(ip)) => Cell::Ip4(ip),
                    Ok(IpAddr::V6(ip)) => {
                        let index = u32::try_from(self.ip6.len())
                            .map_err(|_| "too many addresses".to_owned())?;
                        self.ip6.push(ip);
                        Cell::Ip6(index)
                    }
                    // libsinsp gives these fields addresses only (an
                    // `ipnet` field's value is the address too).
                    Err(_) => {
                        return Err(format!(
                            "`{key}` ({} field) must be an IP address, found `{s}`",
                            ty.map_or("ipaddr", FieldType::as_str)
                        ));
                    }
                },
                Some(FieldType::Bytes) => {
                    let (start, len) = self.push_text(&s)?;
                    Cell::Bytes(start, len)
                }
                _ => {
                    let (start, len) = self.push_text(&s)?;
                    Cell::Str(start, len)
                }
            },
            J::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        J::String(s) => out.push(s.into_boxed_str()),
                        other => {
                            return Err(format!("`{key}`: list item `{other}` is not a string"));
                        }
                    }
                }
                let index =
                    u32::try_from(self.lists.len()).map_err(|_| "too many lists".to_owned())?;
                self.lists.push(out.into_boxed_slice());
                Cell::Strs(index)
            }
            J::Object(_) => return Err(format!("`{key}`: objects are not field values")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_stay_small() {
        assert_eq!(std::mem::size_of::<Cell>(), 16);
    }

    #[test]
    fn reads_typed_values() {
        let schema = Schema::falco();
        let text = "{\"evt.type\":\"connect\",\"fd.sip\":\"10.0.0.1\",\"user.loginuid\":-1,\"proc.aname[2]\":\"sshd\",\"evt.num\":3}\n\n{\"evt.type\":\"bogus\"}";
        let events = FlatEvents::parse(text, &schema).unwrap();
        let [a, b] = events.events() else {
            panic!("two events")
        };
        assert_eq!(a.event_code(), schema.event_code("connect").unwrap());
        assert_eq!(b.event_code(), 0);
        assert_eq!(b.line(), 3);
        let sip = schema.resolve("fd.sip", None).unwrap();
        assert_eq!(a.value(&sip), Value::Ip("10.0.0.1".parse().unwrap()));
        let uid = schema.resolve("user.loginuid", None).unwrap();
        assert_eq!(a.value(&uid), Value::Int(-1));
        let an = schema.resolve("proc.aname", Some("2")).unwrap();
        assert_eq!(a.value(&an), Value::Str("sshd"));
        assert_eq!(b.value(&an), Value::Absent);
        assert_eq!(a.num(), Some(3));
    }

    #[test]
    fn reports_bad_lines() {
        let err = FlatEvents::parse("{}\n[1", &Schema::falco()).unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn refuses_values_of_the_wrong_type_naming_the_field() {
        let schema = Schema::falco();
        for (line, field, column) in [
            (
                r#"{"evt.type": "execve", "evt.num": "1"}"#,
                "`evt.num` (uint field) must be a number, found a string",
                24,
            ),
            (
                r#"{"proc.name": 7}"#,
                "`proc.name` (string field) must be a string, found a number",
                2,
            ),
            (
                r#"{"evt.is_open_read": "yes"}"#,
                "`evt.is_open_read` (bool field) must be a boolean, found a string",
                2,
            ),
            (
                r#"{"fd.sip": true}"#,
                "`fd.sip` (ipaddr field) must be a string, found a boolean",
                2,
            ),
            (
                r#"{"evt.num": 1, "fd.sip": "10.0.0.300"}"#,
                "`fd.sip` (ipaddr field) must be an IP address, found `10.0.0.300`",
                16,
            ),
            (
                r#"{"fd.snet": "10.0.0.0/8"}"#,
                "`fd.snet` (ipnet field) must be an IP address, found `10.0.0.0/8`",
                2,
            ),
            (
                r#"{"proc.nmae": "bash"}"#,
                "unknown field `proc.nmae`, did you mean `proc.name`?",
                2,
            ),
            (r#"{"x.custom": 1}"#, "unknown field `x.custom`", 2),
            (
                r#"{"proc.aname[2": "sshd"}"#,
                "`proc.aname[2` is not a field name (an unclosed `[`)",
                2,
            ),
        ] {
            let err = FlatEvents::parse(line, &schema).unwrap_err();
            assert_eq!(
                (err.message.as_str(), err.column),
                (field, column),
                "{line}"
            );
        }
        // `null` takes any field; numbers stay numbers; IPv6 addresses are
        // addresses.
        let ok = r#"{"evt.num": 1, "proc.name": null, "proc.pid": -1, "fd.sip": "2001:db8::3"}"#;
        assert!(FlatEvents::parse(ok, &schema).is_ok());
    }
}
