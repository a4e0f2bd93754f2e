//! [`AuditEvent`]: one Kubernetes audit event as the matcher reads it.
//!
//! The event keeps its JSON; each field's value is extracted the first time
//! a rule (or an output) asks for it, and kept for the event's later
//! questions: a rule set that reads ten fields extracts ten, however many
//! rules read them. Values given with an argument (`jevt.value[/stage]`)
//! are kept the same way, per argument.

use std::sync::{Arc, OnceLock};

use crate::event::{Event, Value};
use crate::fields::{EventCode, FieldId, FieldRef, Schema};

use super::extract::{Extracted, extract};
use super::fields::{self, Table};

/// What events read over one schema share: where each field's value comes
/// from, and the event code and plain fields of the schema.
#[derive(Debug)]
pub(crate) struct Shared {
    table: Table,
    code: EventCode,
    evt_num: Option<FieldId>,
    /// `evt.rawtime` and `evt.time`: the event's time.
    evt_time: [Option<FieldId>; 2],
}

impl Shared {
    /// The table of `schema` (which must hold the `k8s_audit` source, see
    /// [`super::register`]; an event over another schema has no values).
    pub fn new(schema: &Schema) -> Arc<Shared> {
        Arc::new(Shared {
            table: Table::new(schema),
            code: schema.event_code(super::SOURCE).unwrap_or(0),
            evt_num: schema.lookup("evt.num"),
            evt_time: [schema.lookup("evt.rawtime"), schema.lookup("evt.time")],
        })
    }
}

/// One audit event (`audit.k8s.io` `Event`).
#[derive(Debug, Clone)]
pub struct AuditEvent {
    json: serde_json::Value,
    shared: Arc<Shared>,
    /// Per field of the source (without argument), its value once asked.
    plain: Box<[OnceLock<Extracted>]>,
    /// Values asked with an argument.
    with_arg: Memo,
    time: u64,
    num: u64,
    line: usize,
}

impl AuditEvent {
    pub(crate) fn new(
        json: serde_json::Value,
        shared: Arc<Shared>,
        num: u64,
        line: usize,
    ) -> AuditEvent {
        let time = event_time(&json);
        AuditEvent {
            json,
            shared,
            plain: (0..fields::count()).map(|_| OnceLock::new()).collect(),
            with_arg: Memo::default(),
            time,
            num,
            line,
        }
    }

    /// The event's JSON object.
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The 1-based line its JSON starts on in the text it was read from.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Its number in the text it was read from (1 for the first event;
    /// events of an `EventList` count one each).
    pub fn num(&self) -> u64 {
        self.num
    }

    /// Its time in nanoseconds since the epoch: `stageTimestamp`, else
    /// `requestReceivedTimestamp`, else `timestamp`; 0 when none parses.
    pub fn time(&self) -> u64 {
        self.time
    }

    fn extracted(&self, position: usize, arg: Option<&str>) -> &Extracted {
        let Some(spec) = fields::spec(position) else {
            return &Extracted::Absent;
        };
        let compute = || extract(&spec.extract, &self.json, arg, self.time);
        match arg {
            None => match self.plain.get(position) {
                Some(cell) => cell.get_or_init(compute),
                None => &Extracted::Absent,
            },
            Some(arg) => self.with_arg.get_or_insert(position, arg, compute),
        }
    }
}

impl Event for AuditEvent {
    #[inline]
    fn event_code(&self) -> EventCode {
        self.shared.code
    }

    fn value(&self, field: &FieldRef) -> Value<'_> {
        let Some(position) = self.shared.table.position(field.id) else {
            return if self.shared.evt_time.contains(&Some(field.id)) {
                Value::UInt(self.time)
            } else if Some(field.id) == self.shared.evt_num {
                Value::UInt(self.num)
            } else {
                Value::Absent
            };
        };
        match self.extracted(position, field.arg.as_deref()) {
            Extracted::Absent => Value::Absent,
            Extracted::Str(s) => Value::Str(s),
            Extracted::Strs(items) => Value::Strs(items),
            Extracted::UInt(n) => Value::UInt(*n),
        }
    }
}

/// Values with an argument, kept in an append-only list: a value once
/// stored stays where it is for the event's life, so it can be lent.
#[derive(Debug, Clone, Default)]
struct Memo {
    head: OnceLock<Box<MemoNode>>,
}

#[derive(Debug, Clone)]
struct MemoNode {
    position: usize,
    arg: Box<str>,
    value: Extracted,
    next: OnceLock<Box<MemoNode>>,
}

impl Memo {
    fn get_or_insert(
        &self,
        position: usize,
        arg: &str,
        compute: impl FnOnce() -> Extracted,
    ) -> &Extracted {
        let mut compute = Some(compute);
        let mut slot = &self.head;
        loop {
            let node = slot.get_or_init(|| {
                Box::new(MemoNode {
                    position,
                    arg: arg.into(),
                    value: compute.take().map_or(Extracted::Absent, |f| f()),
                    next: OnceLock::new(),
                })
            });
            if node.position == position && *node.arg == *arg {
                return &node.value;
            }
            slot = &node.next;
        }
    }
}

/// The event's time from its timestamps (RFC 3339).
fn event_time(json: &serde_json::Value) -> u64 {
    ["stageTimestamp", "requestReceivedTimestamp", "timestamp"]
        .iter()
        .filter_map(|key| json.get(key)?.as_str())
        .find_map(|text| {
            let at =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .ok()?;
            u64::try_from(at.unix_timestamp_nanos()).ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_extracted_once_and_lent() {
        let schema = super::super::schema();
        let json = serde_json::json!({
            "kind": "Event", "auditID": "x", "stage": "ResponseComplete",
            "stageTimestamp": "2018-10-26T13:42:46.808261Z",
            "requestURI": "/x?command=ls",
        });
        let event = AuditEvent::new(json, Shared::new(&schema), 3, 1);
        let stage = schema.resolve("jevt.value", Some("/stage")).unwrap();
        let param = schema.resolve("ka.uri.param", Some("command")).unwrap();
        let missing = schema.resolve("ka.uri.param", Some("other")).unwrap();
        for _ in 0..2 {
            assert_eq!(event.value(&stage), Value::Str("ResponseComplete"));
            assert_eq!(event.value(&param), Value::Str("ls"));
            assert_eq!(event.value(&missing), Value::Absent);
        }
        let rawtime = schema.resolve("jevt.rawtime", None).unwrap();
        assert_eq!(
            event.value(&rawtime),
            Value::UInt(1_540_561_366_808_261_000)
        );
        let num = schema.resolve("evt.num", None).unwrap();
        assert_eq!(event.value(&num), Value::UInt(3));
        let name = schema.resolve("proc.name", None).unwrap();
        assert_eq!(event.value(&name), Value::Absent);
        assert_eq!(event.event_code(), schema.event_code("k8s_audit").unwrap());
    }
}
