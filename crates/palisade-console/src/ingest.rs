//! Ingestion: a batch is parsed whole first (a bad line refuses it all),
//! then matched, tuned (rule states, exceptions) and deduplicated within
//! the batch, ready to store.

use std::collections::HashMap;
use std::str::FromStr;

use palisade::runtime::{self, Event, FlatEvents, Schema, Value};
use palisade::{Engine, Palisade, Severity};
use serde::{Deserialize, Serialize};

use crate::store::{NewAlert, now_ms, parse_rfc3339};

/// A batch that could not be parsed: the answer is `400 {"error", "line"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchError {
    /// What is wrong.
    pub error: String,
    /// The 1-based line of the body at fault (0 when not one line).
    pub line: usize,
}

impl BatchError {
    /// `line L, column C: message` at line `line`, the message's control
    /// characters shown escaped.
    pub fn located(line: usize, column: usize, message: &str) -> BatchError {
        BatchError {
            error: format!("line {line}, column {column}: {}", printable(message)),
            line,
        }
    }
}

/// How a rule's alerts are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Alerts are stored and routed by priority.
    Alert,
    /// Alert-only: stored for review, never sent to on-call.
    Observe,
}

impl Mode {
    /// `alert` or `observe`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Alert => "alert",
            Mode::Observe => "observe",
        }
    }
}

impl FromStr for Mode {
    type Err = ();
    fn from_str(s: &str) -> Result<Mode, ()> {
        match s {
            "alert" => Ok(Mode::Alert),
            "observe" => Ok(Mode::Observe),
            _ => Err(()),
        }
    }
}

/// An exception for known-good patterns, as Falco writes them: the event
/// is not alerted when, for one row of `values`, every field compares true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Field names (`proc.name`, `fd.name`, ...).
    pub fields: Vec<String>,
    /// One comparison per field (`=` when empty).
    #[serde(default)]
    pub comps: Vec<String>,
    /// Rows of values, one value per field.
    pub values: Vec<Vec<String>>,
}

/// The comparisons an exception may use.
pub const COMPARISONS: [&str; 7] = [
    "=",
    "!=",
    "in",
    "startswith",
    "endswith",
    "contains",
    "pmatch",
];

impl Exception {
    /// Checks the exception against the Falco field schema.
    pub fn validate(&self, schema: &Schema) -> Result<(), String> {
        if self.fields.is_empty() {
            return Err("`fields` must name at least one field".to_owned());
        }
        for field in &self.fields {
            if schema.lookup(field).is_none() {
                return Err(format!("unknown field `{}`", printable(field)));
            }
        }
        if !self.comps.is_empty() && self.comps.len() != self.fields.len() {
            return Err(format!(
                "`comps` has {} entries for {} fields",
                self.comps.len(),
                self.fields.len()
            ));
        }
        if let Some(c) = self
            .comps
            .iter()
            .find(|c| !COMPARISONS.contains(&c.as_str()))
        {
            return Err(format!(
                "unknown comparison `{}`; expected one of {}",
                printable(c),
                COMPARISONS.join(", ")
            ));
        }
        if self.values.is_empty() {
            return Err("`values` must hold at least one row".to_owned());
        }
        if let Some((i, row)) = self
            .values
            .iter()
            .enumerate()
            .find(|(_, row)| row.len() != self.fields.len())
        {
            return Err(format!(
                "`values` row {} has {} values for {} fields",
                i + 1,
                row.len(),
                self.fields.len()
            ));
        }
        Ok(())
    }

    /// `true` when the event (read through `get`) matches a row.
    pub fn matches(&self, get: &dyn Fn(&str) -> Option<String>) -> bool {
        self.values.iter().any(|row| {
            self.fields
                .iter()
                .zip(row)
                .enumerate()
                .all(|(i, (field, want))| {
                    let comp = self.comps.get(i).map_or("=", String::as_str);
                    let have = get(field);
                    let have = have.as_deref().unwrap_or("<NA>");
                    match comp {
                        "=" => have == want,
                        "!=" => have != want,
                        "in" | "pmatch" => want.split(',').map(str::trim).any(|w| {
                            if comp == "in" {
                                have == w
                            } else {
                                have.starts_with(w)
                            }
                        }),
                        "startswith" => have.starts_with(want.as_str()),
                        "endswith" => have.ends_with(want.as_str()),
                        "contains" => have.contains(want.as_str()),
                        _ => false,
                    }
                })
        })
    }
}

/// Rule states and exceptions, as the tuning routine set them.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    /// Rules switched off.
    pub disabled: HashMap<String, bool>,
    /// Rules in observe mode.
    pub modes: HashMap<String, Mode>,
    /// Exceptions per rule.
    pub exceptions: HashMap<String, Vec<Exception>>,
    /// Tags switched off: a rule with one of them does not alert.
    pub disabled_tags: std::collections::BTreeSet<String>,
}

impl Tuning {
    /// `true` when `rule` is switched on and none of its `tags` is off.
    pub fn enabled(&self, rule: &str, tags: &[String]) -> bool {
        !self.disabled.get(rule).copied().unwrap_or(false)
            && !tags.iter().any(|t| self.disabled_tags.contains(t))
    }

    fn mode(&self, rule: &str) -> Mode {
        self.modes.get(rule).copied().unwrap_or(Mode::Alert)
    }

    fn excepted(&self, rule: &str, get: &dyn Fn(&str) -> Option<String>) -> bool {
        self.exceptions
            .get(rule)
            .is_some_and(|list| list.iter().any(|e| e.matches(get)))
    }
}

/// Every tag of the loaded rules with how many rules carry it.
pub fn tags(palisade: &Palisade) -> std::collections::BTreeMap<String, usize> {
    let mut tags = std::collections::BTreeMap::new();
    for rule in palisade.rules().map(|r| r.rules()).unwrap_or(&[]) {
        for tag in &rule.tags {
            *tags.entry(tag.clone()).or_default() += 1;
        }
    }
    tags
}

/// What a batch became.
#[derive(Debug, Default)]
pub struct Batch {
    /// Events or alerts read.
    pub accepted: usize,
    /// Alerts to store, deduplicated within the batch.
    pub alerts: Vec<NewAlert>,
    /// Matches dropped: rule disabled.
    pub disabled: usize,
    /// Matches dropped: an exception matched.
    pub excepted: usize,
}

/// Falco's JSON spelling of a priority (`Critical`, `Warning`, ...).
pub fn falco_priority(severity: Severity) -> String {
    let s = severity.as_str();
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A severity as a number, 0 (debug) to 7 (emergency), for ordering.
pub fn rank(severity: Severity) -> i64 {
    Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .and_then(|i| i64::try_from(i).ok())
        .unwrap_or(0)
}

/// `oncall` for CRITICAL and above and ERROR in alert mode, else `review`.
pub fn route(severity: Severity, mode: Mode) -> &'static str {
    if mode == Mode::Alert && severity >= Severity::Error {
        "oncall"
    } else {
        "review"
    }
}

/// A JSON parser's message without its own ` at line N column M` (the
/// position is given apart, for the body rather than the line).
pub fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message
                .get(at + 9..)
                .is_some_and(|rest| rest.split(" column ").count() == 2) =>
        {
            message.get(..at).unwrap_or(message)
        }
        _ => message,
    }
}

/// Text with control characters (terminal escapes) shown as `\u{..}`, for
/// messages that quote user input.
pub fn printable(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

struct Dedup {
    alerts: Vec<NewAlert>,
    index: HashMap<(String, String), usize>,
}

impl Dedup {
    fn new() -> Dedup {
        Dedup {
            alerts: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn add(&mut self, alert: NewAlert) {
        let key = (alert.rule.clone(), alert.output.clone());
        match self.index.get(&key).and_then(|&i| self.alerts.get_mut(i)) {
            Some(seen) => {
                seen.count += 1;
                seen.first_seen = seen.first_seen.min(alert.first_seen);
                seen.last_seen = seen.last_seen.max(alert.last_seen);
                seen.fields = alert.fields;
            }
            None => {
                self.index.insert(key, self.alerts.len());
                self.alerts.push(alert);
            }
        }
    }
}

/// Runtime events (JSON lines of flat events) matched by the loaded rules.
pub fn events(
    palisade: &Palisade,
    tuning: &Tuning,
    cluster: &str,
    body: &str,
) -> Result<Batch, BatchError> {
    let schema = runtime::alert_schema();
    let events = FlatEvents::parse(body, &schema).map_err(|e| BatchError {
        error: format!(
            "line {}, column {}: {}",
            e.line,
            e.column,
            printable(without_position(&e.message))
        ),
        line: e.line,
    })?;
    Ok(match_events(palisade, tuning, cluster, events.events()))
}

/// Events of any source (flat syscall events, audit events) matched by the
/// loaded rules, each only against its own source's rules: tuned (rule
/// states, exceptions) and deduplicated, ready to store.
pub fn match_events<E: Event + 'static>(
    palisade: &Palisade,
    tuning: &Tuning,
    cluster: &str,
    events: &[E],
) -> Batch {
    let mut batch = Batch {
        accepted: events.len(),
        ..Batch::default()
    };
    let (Some(engine), Some(rules)) = (palisade.runtime(), palisade.rules()) else {
        return batch;
    };
    let schema = rules.schema();
    let now = now_ms();
    let mut dedup = Dedup::new();
    let mut scratch = engine.scratch();
    for event in events {
        let input: &dyn Event = event;
        for finding in engine.evaluate(&mut scratch, input).findings {
            let name = finding.policy;
            let tags = rules.rule(&name).map_or(&[][..], |r| &r.tags[..]);
            if !tuning.enabled(&name, tags) {
                batch.disabled += 1;
                continue;
            }
            let get = |field: &str| text(field_value(schema, event, field));
            if tuning.excepted(&name, &get) {
                batch.excepted += 1;
                continue;
            }
            let at = match field_value(schema, event, "evt.time") {
                Value::UInt(ns) => i64::try_from(ns / 1_000_000).unwrap_or(now),
                Value::Int(ns) => ns / 1_000_000,
                _ => now,
            };
            let template = rules.rule(&name).map_or("", |r| r.output.as_str());
            dedup.add(NewAlert {
                cluster: cluster.to_owned(),
                priority: falco_priority(finding.severity),
                severity: rank(finding.severity),
                output: finding.message,
                fields: event_fields(schema, event, template),
                count: 1,
                first_seen: at,
                last_seen: at,
                routed: route(finding.severity, tuning.mode(&name)).to_owned(),
                rule: name,
            });
        }
    }
    batch.alerts = dedup.alerts;
    batch
}

/// The value of the field written `key` (`proc.name`,
/// `ka.uri.param[command]`) for `event`; absent when no field is so named.
fn field_value<'e, E: Event>(schema: &Schema, event: &'e E, key: &str) -> Value<'e> {
    let (name, arg) = match key.split_once('[') {
        Some((name, rest)) => (name, rest.strip_suffix(']')),
        None => (key, None),
    };
    schema
        .resolve(name, arg)
        .map_or(Value::Absent, |field| event.value(&field))
}

/// A value as text, as Falco prints it; `None` when absent.
fn text(value: Value<'_>) -> Option<String> {
    Some(match value {
        Value::Absent => return None,
        Value::Str(s) => s.to_owned(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Strs(list) => list.join(","),
    })
}

/// The fields a rule's output names, with the event's values.
fn event_fields<E: Event>(schema: &Schema, event: &E, template: &str) -> String {
    let mut map = serde_json::Map::new();
    for part in template.split('%').skip(1) {
        let len = part
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']')))
            .unwrap_or(part.len());
        let key = part.get(..len).unwrap_or_default();
        if !key.is_empty() {
            let value = text(field_value(schema, event, key))
                .map_or(serde_json::Value::Null, serde_json::Value::String);
            map.insert(key.to_owned(), value);
        }
    }
    serde_json::Value::Object(map).to_string()
}

/// One Falco JSON alert, as Falco's `http_output` sends it.
#[derive(Debug, Deserialize)]
struct FalcoAlert {
    output: String,
    priority: String,
    rule: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    output_fields: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    #[expect(dead_code, reason = "read to check its type")]
    source: Option<String>,
    /// The rule's tags: a tag switched off drops the alert.
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    #[expect(dead_code, reason = "read to check its type")]
    hostname: Option<String>,
}

/// JSON lines of `T` (blank lines skipped), each with its 1-based line:
/// the first line that does not parse refuses the whole body.
pub fn json_lines<T: serde::de::DeserializeOwned>(
    body: &str,
) -> Result<Vec<(usize, T)>, BatchError> {
    let mut parsed = Vec::new();
    for (i, line) in body.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !trimmed.starts_with('{') {
            return Err(BatchError {
                error: format!("line {}: each line must be one JSON object", i + 1),
                line: i + 1,
            });
        }
        let item = serde_json::from_str::<T>(line).map_err(|e| BatchError {
            error: format!(
                "line {}, column {}: {}",
                i + 1,
                e.column(),
                printable(without_position(&e.to_string()))
            ),
            line: i + 1,
        })?;
        parsed.push((i + 1, item));
    }
    Ok(parsed)
}

/// Falco's own JSON alerts: one object, or JSON lines of them.
pub fn falco(tuning: &Tuning, cluster: &str, body: &str) -> Result<Batch, BatchError> {
    let parsed = match serde_json::from_str::<FalcoAlert>(body.trim()) {
        Ok(one) => vec![(1, one)],
        Err(_) => json_lines::<FalcoAlert>(body)?,
    };
    if parsed.is_empty() {
        return Err(BatchError {
            error: "the body holds no Falco alert".to_owned(),
            line: 0,
        });
    }
    let now = now_ms();
    let mut checked = Vec::with_capacity(parsed.len());
    for (line, alert) in parsed {
        let severity = Severity::from_falco_priority(&alert.priority).map_err(|_| BatchError {
            error: format!(
                "line {line}: unknown priority `{}`",
                printable(&alert.priority)
            ),
            line,
        })?;
        let at = match &alert.time {
            Some(t) => parse_rfc3339(t).ok_or_else(|| BatchError {
                error: format!("line {line}: `time` is not RFC 3339: `{}`", printable(t)),
                line,
            })?,
            None => now,
        };
        checked.push((severity, at, alert));
    }
    let mut batch = Batch {
        accepted: checked.len(),
        ..Batch::default()
    };
    let mut dedup = Dedup::new();
    for (severity, at, alert) in checked {
        if !tuning.enabled(&alert.rule, alert.tags.as_deref().unwrap_or_default()) {
            batch.disabled += 1;
            continue;
        }
        let get = |field: &str| {
            alert.output_fields.get(field).and_then(|v| match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            })
        };
        if tuning.excepted(&alert.rule, &get) {
            batch.excepted += 1;
            continue;
        }
        dedup.add(NewAlert {
            cluster: cluster.to_owned(),
            routed: route(severity, tuning.mode(&alert.rule)).to_owned(),
            rule: alert.rule,
            priority: falco_priority(severity),
            severity: rank(severity),
            output: alert.output,
            fields: serde_json::Value::Object(alert.output_fields).to_string(),
            count: 1,
            first_seen: at,
            last_seen: at,
        });
    }
    batch.alerts = dedup.alerts;
    Ok(batch)
}
