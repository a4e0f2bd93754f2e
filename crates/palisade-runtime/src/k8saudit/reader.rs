//! Reading audit events: [`AuditEvents`] from the text the API server's log
//! and webhook backends write.
//!
//! A text holds JSON values one after the other: one `Event` per line (the
//! log backend), `EventList`s (the webhook backend, `kubectl get --raw`),
//! or pretty-printed objects over several lines. Each `Event` is
//! recognized by `kind: Event` and, when given, an `apiVersion` of
//! `audit.k8s.io/v1` or `audit.k8s.io/v1beta1`. A value that cannot be read
//! (truncated or broken JSON, another kind, another version, larger than
//! the limit) is an [`AuditReadError`] with its line and column, and
//! reading goes on at the next line that starts a JSON value: one bad
//! event never loses the others.

use std::sync::Arc;

use crate::fields::Schema;

use super::event::{AuditEvent, Shared};

/// The largest event read by default (bytes of JSON): the API server caps
/// request bodies at 3 MiB, and an event holds a request and a response.
pub const MAX_EVENT_BYTES: usize = 16 << 20;

/// One value of an audit text could not be read as audit events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("line {line}, column {column}: {message}")]
#[diagnostic(
    code(palisade::runtime::k8saudit::read),
    help(
        "each value must be an audit.k8s.io Event or EventList (v1 or v1beta1), as the API server's audit log or webhook writes them"
    )
)]
pub struct AuditReadError {
    /// 1-based line where the value (or the JSON error) is.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Audit events read from a text, and the values that could not be read.
#[derive(Debug, Clone, Default)]
pub struct AuditEvents {
    events: Vec<AuditEvent>,
    errors: Vec<AuditReadError>,
}

impl AuditEvents {
    /// Reads every event of `text` for rules compiled over `schema` (which
    /// holds the `k8s_audit` source: [`super::schema`]), events up to
    /// [`MAX_EVENT_BYTES`].
    pub fn parse(text: &str, schema: &Schema) -> AuditEvents {
        AuditEvents::parse_limited(text, schema, MAX_EVENT_BYTES)
    }

    /// As [`AuditEvents::parse`], from a file's bytes: bytes that are not
    /// UTF-8 are an error at their line and column.
    pub fn parse_bytes(bytes: &[u8], schema: &Schema) -> Result<AuditEvents, AuditReadError> {
        AuditEvents::parse_bytes_limited(bytes, schema, MAX_EVENT_BYTES)
    }

    /// As [`AuditEvents::parse_bytes`], refusing events larger than
    /// `max_bytes`.
    pub fn parse_bytes_limited(
        bytes: &[u8],
        schema: &Schema,
        max_bytes: usize,
    ) -> Result<AuditEvents, AuditReadError> {
        match palisade_core::location::decode_utf8("", bytes) {
            Ok(text) => Ok(AuditEvents::parse_limited(text, schema, max_bytes)),
            Err((at, byte)) => Err(AuditReadError {
                line: at.line as usize,
                column: at.column as usize,
                message: format!("not valid UTF-8 (byte {byte})"),
            }),
        }
    }

    /// As [`AuditEvents::parse`], refusing events larger than `max_bytes`.
    pub fn parse_limited(text: &str, schema: &Schema, max_bytes: usize) -> AuditEvents {
        let mut reader = Reader {
            text,
            shared: Shared::new(schema),
            out: AuditEvents::default(),
            lines: Lines::default(),
            max_bytes,
        };
        reader.run();
        reader.out
    }

    /// The events, in input order.
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// The events, owned.
    pub fn into_events(self) -> Vec<AuditEvent> {
        self.events
    }

    /// The values that could not be read, in input order.
    pub fn errors(&self) -> &[AuditReadError] {
        &self.errors
    }
}

/// `true` when `text` holds audit events: its first JSON value is an object
/// with a `kind` or an `apiVersion` (Kubernetes objects have them; no Falco
/// field is named so, so syscall JSON lines never do).
pub fn is_audit_text(text: &str) -> bool {
    let first = text.trim_start();
    let mut values = serde_json::Deserializer::from_str(first).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Object(head))) = values.next() else {
        // A first line that does not parse: judge by its words.
        let line = first.lines().next().unwrap_or("");
        return line.contains("\"kind\"") || line.contains("\"apiVersion\"");
    };
    head.contains_key("kind") || head.contains_key("apiVersion")
}

/// Line and column of byte offsets, moving forward only.
#[derive(Debug, Default)]
struct Lines {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Lines {
    /// The 1-based line and column of `offset` in `text`.
    fn at(&mut self, text: &str, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            *self = Lines::default();
        }
        let from = self.offset;
        let upto = text.get(from..offset).unwrap_or("");
        for nl in memchr::memchr_iter(b'\n', upto.as_bytes()) {
            self.line += 1;
            self.line_start = from + nl + 1;
        }
        self.offset = offset;
        let column = text
            .get(self.line_start..offset)
            .map_or(0, |s| s.chars().count());
        (self.line + 1, column + 1)
    }
}

struct Reader<'a> {
    text: &'a str,
    shared: Arc<Shared>,
    out: AuditEvents,
    lines: Lines,
    max_bytes: usize,
}

impl Reader<'_> {
    fn run(&mut self) {
        let text = self.text;
        let mut pos = 0;
        while let Some(skip) = text
            .get(pos..)
            .and_then(|rest| rest.find(|c: char| !c.is_whitespace()))
        {
            let start = pos + skip;
            let rest = text.get(start..).unwrap_or("");
            let (line, column) = self.lines.at(text, start);
            // A line longer than the limit is not parsed at all.
            let line_len = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
            if line_len > self.max_bytes {
                self.error(
                    line,
                    column,
                    format!(
                        "event larger than the limit of {} bytes (a line of {line_len} bytes)",
                        self.max_bytes
                    ),
                );
                pos = start + line_len;
                continue;
            }
            let mut values =
                serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
            match values.next() {
                None => break,
                Some(Ok(value)) => {
                    let len = values.byte_offset();
                    pos = start + len;
                    if len > self.max_bytes {
                        self.error(
                            line,
                            column,
                            format!(
                                "event larger than the limit of {} bytes ({len} bytes)",
                                self.max_bytes
                            ),
                        );
                        continue;
                    }
                    self.take(value, line, column);
                }
                Some(Err(e)) => {
                    let message = e.to_string();
                    let suffix = format!(" at line {} column {}", e.line(), e.column());
                    let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
                    let at = start + error_offset(rest, e.line(), e.column());
                    let (eline, ecolumn) = self.lines.at(text, at);
                    self.error(eline, ecolumn, format!("invalid JSON: {message}"));
                    pos = next_value_line(text, start);
                }
            }
        }
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        self.out.errors.push(AuditReadError {
            line,
            column,
            message,
        });
    }

    /// One JSON value: an `Event`, or an `EventList`'s events.
    fn take(&mut self, value: serde_json::Value, line: usize, column: usize) {
        match kind(&value) {
            Ok("EventList") => {
                let serde_json::Value::Object(mut list) = value else {
                    return;
                };
                let items = match list.remove("items") {
                    Some(serde_json::Value::Array(items)) => items,
                    Some(serde_json::Value::Null) | None => Vec::new(),
                    Some(_) => {
                        self.error(line, column, "EventList `items` is not a list".to_owned());
                        return;
                    }
                };
                for (i, item) in items.into_iter().enumerate() {
                    match kind(&item) {
                        Ok("Event") => self.push(item, line),
                        Ok(other) => self.error(
                            line,
                            column,
                            format!("EventList item {i}: data not recognized as a k8s audit event (kind `{other}`)"),
                        ),
                        Err(message) => {
                            self.error(line, column, format!("EventList item {i}: {message}"));
                        }
                    }
                }
            }
            Ok("Event") => self.push(value, line),
            Ok(other) => self.error(
                line,
                column,
                format!("data not recognized as a k8s audit event (kind `{other}`)"),
            ),
            Err(message) => self.error(line, column, message),
        }
    }

    fn push(&mut self, value: serde_json::Value, line: usize) {
        let num = u64::try_from(self.out.events.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        self.out
            .events
            .push(AuditEvent::new(value, Arc::clone(&self.shared), num, line));
    }
}

/// The byte offset in `text` of serde's error position (1-based `line`,
/// `column` counted in bytes, 0 when the error follows a line's newline:
/// the newline itself is then the place).
fn error_offset(text: &str, line: usize, column: usize) -> usize {
    let bytes = text.as_bytes();
    let mut line_start = 0;
    for _ in 1..line {
        match bytes
            .get(line_start..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
        {
            Some(nl) => line_start += nl + 1,
            None => break,
        }
    }
    let offset = match column {
        0 => line_start.saturating_sub(1),
        c => line_start + c - 1,
    };
    // On a character boundary, for the column count.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The `kind` of an audit object, its `apiVersion` checked.
fn kind(value: &serde_json::Value) -> Result<&str, String> {
    let serde_json::Value::Object(object) = value else {
        return Err(format!(
            "data not recognized as a k8s audit event (a JSON {}, not an object)",
            json_type(value)
        ));
    };
    if let Some(version) = object.get("apiVersion") {
        match version.as_str() {
            Some("audit.k8s.io/v1" | "audit.k8s.io/v1beta1") => {}
            _ => {
                return Err(format!(
                    "unsupported apiVersion {version} (audit.k8s.io/v1 and audit.k8s.io/v1beta1 are read)"
                ));
            }
        }
    }
    match object.get("kind") {
        Some(serde_json::Value::String(kind)) => Ok(kind),
        Some(other) => Err(format!(
            "data not recognized as a k8s audit event (`kind` is {other})"
        )),
        None => Err("data not recognized as a k8s audit event (no `kind`)".to_owned()),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

/// The offset of the first line after the one holding `start` whose first
/// non-blank character opens a JSON object or list (the end of `text`
/// when none does).
fn next_value_line(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = start;
    while let Some(nl) = bytes.get(at..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        at += nl + 1;
        let line = text.get(at..).unwrap_or("");
        if line
            .trim_start_matches([' ', '\t', '\r'])
            .starts_with(['{', '['])
        {
            return at;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> AuditEvents {
        AuditEvents::parse(text, &super::super::schema())
    }

    #[test]
    fn reads_lines_lists_and_pretty_objects() {
        let text = concat!(
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"a\"}\n",
            "\n",
            "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{\"kind\":\"Event\",\"auditID\":\"b\"},{\"kind\":\"Event\",\"auditID\":\"c\"}]}\n",
            "{\n  \"kind\": \"Event\",\n  \"auditID\": \"d\"\n}\n",
        );
        let events = read(text);
        assert_eq!(events.errors(), &[]);
        let ids: Vec<(&str, usize, u64)> = events
            .events()
            .iter()
            .map(|e| (e.json()["auditID"].as_str().unwrap(), e.line(), e.num()))
            .collect();
        assert_eq!(ids, [("a", 1, 1), ("b", 3, 2), ("c", 3, 3), ("d", 4, 4)]);
    }

    #[test]
    fn bad_values_are_located_and_skipped() {
        let text = concat!(
            "{\"kind\":\"Event\",\"auditID\":\"a\"}\n",
            "{\"kind\": 0}\n",
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v2\"}\n",
            "{\"kind\":\"Event\",\"auditID\":\n",
            "  {\"kind\":\"Pod\"}\n",
            "{\"kind\":\"Event\",\"auditID\":\"b\"}\n",
            "[1]\n",
            "{\"kind\":\"Event\",\"audit",
        );
        let events = read(text);
        let errors: Vec<String> = events.errors().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "line 2, column 1: data not recognized as a k8s audit event (`kind` is 0)",
                "line 3, column 1: unsupported apiVersion \"audit.k8s.io/v2\" (audit.k8s.io/v1 and audit.k8s.io/v1beta1 are read)",
                "line 6, column 1: invalid JSON: expected `,` or `}`",
                "line 5, column 3: data not recognized as a k8s audit event (kind `Pod`)",
                "line 7, column 1: data not recognized as a k8s audit event (a JSON list, not an object)",
                "line 8, column 22: invalid JSON: EOF while parsing a string",
            ]
        );
        assert_eq!(events.events().len(), 2);
        let big = format!(
            "{{\"kind\":\"Event\",\"x\":\"{}\"}}\n{{\"kind\":\"Event\"}}",
            "y".repeat(100)
        );
        let events = AuditEvents::parse_limited(&big, &super::super::schema(), 64);
        assert_eq!(events.events().len(), 1);
        assert_eq!(
            events.errors()[0].to_string(),
            "line 1, column 1: event larger than the limit of 64 bytes (a line of 123 bytes)"
        );
    }

    #[test]
    fn recognizes_audit_texts() {
        assert!(is_audit_text("\n{\"kind\":\"Event\"}"));
        assert!(is_audit_text(
            "{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"EventList\",\"items\":[]}"
        ));
        assert!(is_audit_text("{\"kind\": 0}"));
        assert!(is_audit_text("{\"kind\":\"Event\",\"auditID\":\"trunc"));
        assert!(!is_audit_text("{\"evt.type\":\"open\"}"));
        assert!(!is_audit_text(""));
    }
}
