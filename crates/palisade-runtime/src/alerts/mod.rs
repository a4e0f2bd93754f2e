//! Alerts a team can act on: the [`Alert`] a fired rule becomes, rule
//! [`selection`] (priority, names, tags, matching mode) changeable while
//! running, and the [`pipeline`] between the matcher and the sinks (output
//! formatting, deduplication, rate limits, summaries of what was
//! suppressed).
//!
//! ```
//! use std::time::Duration;
//! use palisade_core::Severity;
//! use palisade_runtime::alerts::clock::FakeClock;
//! use palisade_runtime::alerts::pipeline::{Pipeline, PipelineConfig};
//! use palisade_runtime::event::FlatEvents;
//! use palisade_runtime::fields::Schema;
//! use palisade_runtime::parser::parse;
//! use palisade_runtime::ruleset::{RuleSet, RuleSpec};
//!
//! let mut builder = RuleSet::builder(Schema::falco());
//! let mut spec = RuleSpec::new("netcat", parse("evt.type = execve and proc.name = nc").unwrap(), Severity::Warning);
//! spec.output = "netcat run (cmdline=%proc.cmdline)".into();
//! builder.add(spec).unwrap();
//! let rules = builder.build();
//!
//! let clock = FakeClock::new(0);
//! let mut pipeline = Pipeline::new(rules.clone(), PipelineConfig::default(), Box::new(clock)).unwrap();
//! let events = FlatEvents::parse(r#"{"evt.type": "execve", "proc.name": "nc", "proc.cmdline": "nc -l 4444"}"#, rules.schema()).unwrap();
//! let mut alerts = Vec::new();
//! for _ in 0..3 {
//!     pipeline.process(&events.events()[0], &mut |alert| alerts.push(alert));
//! }
//! assert_eq!(alerts.len(), 1); // the two repeats fall in the dedup window
//! assert!(alerts[0].output.ends_with("Warning netcat run (cmdline=nc -l 4444)"));
//! assert_eq!(pipeline.stats().suppressed_dedup, 2);
//! ```

use std::sync::Arc;

use palisade_core::Severity;

use crate::output::FieldValue;

pub mod clock;
pub mod limits;
pub mod pipeline;
pub mod selection;

/// What an alert reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A rule fired.
    Rule,
    /// A summary of alerts suppressed (dedup, rate limit) or dropped
    /// (full sink queues) since the previous summary.
    Summary,
}

/// One alert, in Falco's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// A rule alert or a summary.
    pub kind: AlertKind,
    /// The rule's name.
    pub rule: Arc<str>,
    /// The rule's priority.
    pub priority: Severity,
    /// The alert's time, nanoseconds since the epoch.
    pub time: clock::Nanos,
    /// The rendered line: `HH:MM:SS.nnnnnnnnn: Priority <rule output>`, as
    /// Falco prints it.
    pub output: String,
    /// Each field of the rule's output, keyed as written.
    pub output_fields: Vec<(Arc<str>, FieldValue)>,
    /// The rule's event source.
    pub source: Arc<str>,
    /// The rule's tags.
    pub tags: Arc<[String]>,
    /// The host the alert was raised on.
    pub hostname: Arc<str>,
}

impl Alert {
    /// The alert as Falco's JSON output object: `output`, `priority`,
    /// `rule`, `time`, `output_fields`, `source`, `tags`, `hostname`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut time = String::with_capacity(30);
        clock::rfc3339(self.time, &mut time);
        let fields: serde_json::Map<String, serde_json::Value> = self
            .output_fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect();
        serde_json::json!({
            "hostname": &*self.hostname,
            "output": self.output,
            "output_fields": fields,
            "priority": self.priority.falco_name(),
            "rule": &*self.rule,
            "source": &*self.source,
            "tags": &*self.tags,
            "time": time,
        })
    }
}

impl Alert {
    /// Writes the alert as one compact JSON object, the same as
    /// [`Alert::to_json`] (keys sorted, as Falco's JSON output), without
    /// building a JSON tree.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut time = String::with_capacity(30);
        clock::rfc3339(self.time, &mut time);
        let mut fields: Vec<&(Arc<str>, FieldValue)> = self.output_fields.iter().collect();
        fields.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out.write_all(b"{\"hostname\":")?;
        serde_json::to_writer(&mut *out, &*self.hostname)?;
        out.write_all(b",\"output\":")?;
        serde_json::to_writer(&mut *out, &self.output)?;
        out.write_all(b",\"output_fields\":{")?;
        for (i, (key, value)) in fields.into_iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &**key)?;
            out.write_all(b":")?;
            match value {
                FieldValue::Absent => out.write_all(b"null")?,
                FieldValue::Str(s) => serde_json::to_writer(&mut *out, s)?,
                FieldValue::Int(n) => write!(out, "{n}")?,
                FieldValue::UInt(n) => write!(out, "{n}")?,
                FieldValue::Bool(b) => out.write_all(if *b { b"true" } else { b"false" })?,
                FieldValue::List(items) => serde_json::to_writer(&mut *out, items)?,
            }
        }
        out.write_all(b"},\"priority\":")?;
        serde_json::to_writer(&mut *out, self.priority.falco_name())?;
        out.write_all(b",\"rule\":")?;
        serde_json::to_writer(&mut *out, &*self.rule)?;
        out.write_all(b",\"source\":")?;
        serde_json::to_writer(&mut *out, &*self.source)?;
        out.write_all(b",\"tags\":")?;
        serde_json::to_writer(&mut *out, &*self.tags)?;
        out.write_all(b",\"time\":")?;
        serde_json::to_writer(&mut *out, &time)?;
        out.write_all(b"}")
    }
}

/// This machine's host name: `/proc/sys/kernel/hostname`, else `$HOSTNAME`,
/// else `localhost`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_json_equals_the_tree() {
        let alert = Alert {
            kind: AlertKind::Rule,
            rule: "Quote \" and \\ rule".into(),
            priority: Severity::Critical,
            time: 1_714_558_805_408_091_526,
            output: "line\nwith \u{1} control".to_owned(),
            output_fields: vec![
                ("z.last".into(), FieldValue::Absent),
                (
                    "a.first".into(),
                    FieldValue::List(vec!["x".into(), "\"y\"".into()]),
                ),
                ("m.int".into(), FieldValue::Int(-3)),
                ("m.uint".into(), FieldValue::UInt(u64::MAX)),
                ("m.bool".into(), FieldValue::Bool(true)),
                ("m.str".into(), FieldValue::Str("é\t".into())),
            ],
            source: "syscall".into(),
            tags: Arc::from(vec!["t1".to_owned(), "t\"2".to_owned()]),
            hostname: "h".into(),
        };
        let mut bytes = Vec::new();
        alert.write_json(&mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, alert.to_json());
        // Keys come out sorted, as the tree prints them.
        assert_eq!(text, alert.to_json().to_string());
    }
}
