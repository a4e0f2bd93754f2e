//! The alert pipeline between the matcher and the sinks: selected rules
//! fire, repeats inside the dedup window and alerts over a rule's rate
//! limit are suppressed and counted, the rest are formatted into
//! [`Alert`]s; a periodic summary alert reports what was suppressed per
//! rule (and what sinks dropped), so nothing disappears silently.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use palisade_core::Severity;

use super::clock::{self, Clock, Nanos};
use super::limits::{Dedup, RateLimit, TokenBucket};
use super::selection::{SelectingMatcher, Selection, SelectionHandle};
use super::{Alert, AlertKind};
use crate::event::{Event, Value};
use crate::fields::FieldRef;
use crate::output::{FieldValue, FormatError, OutputFormat, RenderContext, compile_outputs};
use crate::ruleset::RuleSet;

/// The rule name of summary alerts.
pub const SUMMARY_RULE: &str = "Palisade alert summary";

/// Which values make two alerts of a rule "the same" for dedup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DedupKey {
    /// Every field of the rule's output: identical alerts are repeats.
    #[default]
    OutputFields,
    /// These fields only (`proc.name`, `container.id` ...): alerts of a rule
    /// that agree on them are repeats. An empty list keys on the rule alone.
    Fields(Vec<String>),
}

/// How the pipeline limits noise.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Which rules run.
    pub selection: Selection,
    /// Repeats of an alert inside this window are suppressed (default 5
    /// minutes); `None` turns dedup off.
    pub dedup_window: Option<Duration>,
    /// What makes alerts repeats.
    pub dedup_key: DedupKey,
    /// A token bucket per rule; `None` (the default) for no limit.
    pub rate_limit: Option<RateLimit>,
    /// How often a summary of suppressed alerts is emitted (default 1
    /// minute), when something was suppressed or dropped.
    pub summary_interval: Duration,
    /// The host name put in alerts (default: this machine's).
    pub hostname: Option<String>,
}

impl Default for PipelineConfig {
    fn default() -> PipelineConfig {
        PipelineConfig {
            selection: Selection::default(),
            dedup_window: Some(Duration::from_secs(300)),
            dedup_key: DedupKey::OutputFields,
            rate_limit: None,
            summary_interval: Duration::from_secs(60),
            hostname: None,
        }
    }
}

/// A rule's output, prepared once.
#[derive(Debug)]
struct RuleOutput {
    name: Arc<str>,
    priority: Severity,
    format: OutputFormat,
    dedup_fields: Vec<FieldRef>,
    source: Arc<str>,
    tags: Arc<[String]>,
}

/// A pipeline could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PipelineError {
    /// A rule's output does not compile.
    #[error("rule `{rule}`: {source}")]
    #[diagnostic(
        code(palisade::runtime::alerts::output),
        help("fix the `%field` placeholders of the rule's output")
    )]
    Output {
        /// The rule.
        rule: String,
        /// What is wrong.
        source: FormatError,
    },
    /// A dedup key field is unknown.
    #[error("dedup key: unknown field `{field}`")]
    #[diagnostic(
        code(palisade::runtime::alerts::dedup_key),
        help("`palisade runtime fields` lists every field")
    )]
    DedupField {
        /// The field as given.
        field: String,
    },
}

/// Feeds `value` (its kind and content) to `hasher`: the dedup key.
fn hash_value(value: Value<'_>, hasher: &mut DefaultHasher) {
    match value {
        Value::Absent => 0u8.hash(hasher),
        Value::Str(s) => (1u8, s).hash(hasher),
        Value::Bytes(b) => (2u8, b).hash(hasher),
        Value::Int(i) => (3u8, i).hash(hasher),
        Value::UInt(u) => (4u8, u).hash(hasher),
        Value::Bool(b) => (5u8, b).hash(hasher),
        Value::Ip(ip) => (6u8, ip).hash(hasher),
        Value::Strs(items) => (7u8, items).hash(hasher),
    }
}

/// Alert counts of one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCounts {
    /// Times the rule fired (selected and matched).
    pub fired: u64,
    /// Alerts delivered.
    pub delivered: u64,
    /// Alerts suppressed as repeats.
    pub suppressed_dedup: u64,
    /// Alerts suppressed by the rate limit.
    pub suppressed_rate: u64,
}

/// What the pipeline has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineStats {
    /// Events processed.
    pub events: u64,
    /// Rule alerts delivered.
    pub delivered: u64,
    /// Alerts suppressed as repeats.
    pub suppressed_dedup: u64,
    /// Alerts suppressed by rate limits.
    pub suppressed_rate: u64,
    /// Summary alerts emitted.
    pub summaries: u64,
    /// Per rule, indexed as [`RuleSet::rules`].
    pub per_rule: Vec<RuleCounts>,
}

/// A counter of alerts a sink dropped, watched for summaries.
#[derive(Debug)]
struct Watched {
    name: String,
    counter: Arc<AtomicU64>,
    reported: u64,
}

/// The alert pipeline: one per matching thread.
pub struct Pipeline {
    matcher: SelectingMatcher,
    outputs: Vec<RuleOutput>,
    dedup: Option<Dedup>,
    rate_limit: Option<RateLimit>,
    buckets: Vec<Option<TokenBucket>>,
    clock: Box<dyn Clock>,
    hostname: Arc<str>,
    rawtime: Option<FieldRef>,
    stats: PipelineStats,
    /// Suppressed per rule since the last summary: (dedup, rate).
    pending: Vec<(u64, u64)>,
    /// Their sum.
    pending_total: u64,
    summary_interval: Nanos,
    last_summary: Nanos,
    watched: Vec<Watched>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("rules", &self.outputs.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline over `rules`: compiles every rule's output once.
    pub fn new(
        rules: RuleSet,
        config: PipelineConfig,
        clock: Box<dyn Clock>,
    ) -> Result<Pipeline, PipelineError> {
        let schema = rules.schema();
        let key_fields = match &config.dedup_key {
            DedupKey::OutputFields => None,
            DedupKey::Fields(names) => Some(
                names
                    .iter()
                    .map(|n| {
                        let (name, arg) = match n.split_once('[') {
                            Some((name, rest)) => (name, rest.strip_suffix(']')),
                            None => (n.as_str(), None),
                        };
                        schema
                            .resolve(name, arg)
                            .map_err(|_| PipelineError::DedupField { field: n.clone() })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let formats = compile_outputs(&rules).map_err(|e| PipelineError::Output {
            rule: e.rule,
            source: e.source,
        })?;
        let mut outputs = Vec::with_capacity(rules.rules().len());
        for (rule, format) in rules.rules().iter().zip(formats) {
            let dedup_fields = match &key_fields {
                Some(fields) => fields.clone(),
                None => format.event_fields().map(|(_, f)| f.clone()).collect(),
            };
            outputs.push(RuleOutput {
                name: rule.name.as_str().into(),
                priority: rule.priority,
                format,
                dedup_fields,
                source: rule.source.as_str().into(),
                tags: rule.tags.clone().into(),
            });
        }
        let now = clock.now();
        let count = rules.rules().len();
        let rawtime = schema.resolve("evt.rawtime", None).ok();
        let hostname = config.hostname.unwrap_or_else(super::hostname);
        let handle = SelectionHandle::new(rules, config.selection);
        Ok(Pipeline {
            matcher: handle.matcher(),
            outputs,
            dedup: config.dedup_window.map(Dedup::new),
            rate_limit: config.rate_limit,
            buckets: vec![None; count],
            clock,
            hostname: hostname.into(),
            rawtime,
            stats: PipelineStats {
                per_rule: vec![RuleCounts::default(); count],
                ..PipelineStats::default()
            },
            pending: vec![(0, 0); count],
            pending_total: 0,
            summary_interval: u64::try_from(config.summary_interval.as_nanos())
                .unwrap_or(u64::MAX)
                .max(1),
            last_summary: now,
            watched: Vec::new(),
        })
    }

    /// The handle that changes which rules run, from any thread, without
    /// recompiling.
    pub fn selection(&self) -> &SelectionHandle {
        self.matcher.handle()
    }

    /// Counts so far.
    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// The ruleset matched.
    pub fn rules(&self) -> &RuleSet {
        self.matcher.rules()
    }

    /// Reports in summaries how many alerts `counter` (a sink's dropped
    /// count) grew by since the previous summary.
    pub fn watch_drops(&mut self, name: impl Into<String>, counter: Arc<AtomicU64>) {
        let reported = counter.load(Ordering::Relaxed);
        self.watched.push(Watched {
            name: name.into(),
            counter,
            reported,
        });
    }

    /// Matches `event` against the selected rules and passes each alert
    /// that is not suppressed to `emit` (and a summary when one is due).
    /// Returns how many rules fired.
    pub fn process<E: Event + ?Sized>(&mut self, event: &E, emit: &mut dyn FnMut(Alert)) -> usize {
        self.stats.events += 1;
        let fired = self.matcher.matches(event).len();
        if fired > 0 {
            let now = self.clock.now();
            for i in 0..fired {
                let Some(&id) = self.matcher_hits().get(i) else {
                    break;
                };
                self.fire(id as usize, event, now, emit);
            }
            self.maybe_summary(now, emit);
        } else if !self.watched.is_empty() || self.pending_total > 0 {
            // Summaries are due on time even when nothing fires.
            if self.stats.events.is_multiple_of(1024) {
                let now = self.clock.now();
                self.maybe_summary(now, emit);
            }
        }
        fired
    }

    fn matcher_hits(&self) -> &[u32] {
        // The hits of the last `matches` call stay in the matcher.
        self.matcher.last_hits()
    }

    /// Passes the alert of rule `index` (of [`RuleSet::rules`]) on `event`
    /// through dedup and rate limit, as if the matcher fired it. For
    /// embedders that run their own matcher.
    pub fn fire<E: Event + ?Sized>(
        &mut self,
        index: usize,
        event: &E,
        now: Nanos,
        emit: &mut dyn FnMut(Alert),
    ) {
        let Some(out) = self.outputs.get(index) else {
            return;
        };
        let Some(counts) = self.stats.per_rule.get_mut(index) else {
            return;
        };
        counts.fired += 1;
        if let Some(dedup) = &mut self.dedup {
            let mut hasher = DefaultHasher::new();
            index.hash(&mut hasher);
            for field in &out.dedup_fields {
                hash_value(event.value(field), &mut hasher);
            }
            if !dedup.admit(hasher.finish(), now) {
                counts.suppressed_dedup += 1;
                self.stats.suppressed_dedup += 1;
                if let Some(p) = self.pending.get_mut(index) {
                    p.0 += 1;
                    self.pending_total += 1;
                }
                return;
            }
        }
        if let (Some(limit), Some(slot)) = (self.rate_limit, self.buckets.get_mut(index)) {
            let bucket = slot.get_or_insert_with(|| TokenBucket::new(limit, now));
            if !bucket.take(now) {
                counts.suppressed_rate += 1;
                self.stats.suppressed_rate += 1;
                if let Some(p) = self.pending.get_mut(index) {
                    p.1 += 1;
                    self.pending_total += 1;
                }
                return;
            }
        }
        counts.delivered += 1;
        self.stats.delivered += 1;
        let time = match self.rawtime.as_ref().map(|f| event.value(f)) {
            Some(Value::UInt(t)) => t,
            Some(Value::Int(t)) => u64::try_from(t).unwrap_or(now),
            _ => now,
        };
        let ctx = RenderContext::new(time, &self.hostname);
        let mut output = String::with_capacity(128);
        clock::time_of_day(time, &mut output);
        output.push_str(": ");
        output.push_str(out.priority.falco_name());
        output.push(' ');
        out.format.render(event, &ctx, &mut output);
        emit(Alert {
            kind: AlertKind::Rule,
            rule: Arc::clone(&out.name),
            priority: out.priority,
            time,
            output,
            output_fields: out.format.values(event, &ctx),
            source: Arc::clone(&out.source),
            tags: Arc::clone(&out.tags),
            hostname: Arc::clone(&self.hostname),
        });
    }

    /// Emits a summary when one is due (call it from time to time when no
    /// events arrive).
    pub fn tick(&mut self, emit: &mut dyn FnMut(Alert)) {
        let now = self.clock.now();
        self.maybe_summary(now, emit);
    }

    /// Emits a summary of everything not yet reported, due or not (at the
    /// end of a stream).
    pub fn flush(&mut self, emit: &mut dyn FnMut(Alert)) {
        let now = self.clock.now();
        self.summary(now, emit);
    }

    fn maybe_summary(&mut self, now: Nanos, emit: &mut dyn FnMut(Alert)) {
        if now.saturating_sub(self.last_summary) >= self.summary_interval {
            self.summary(now, emit);
        }
    }

    fn summary(&mut self, now: Nanos, emit: &mut dyn FnMut(Alert)) {
        let since = now.saturating_sub(self.last_summary);
        self.last_summary = now;
        self.pending_total = 0;
        let mut fields: Vec<(Arc<str>, FieldValue)> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let mut total = 0u64;
        let mut priority = Severity::Debug;
        for (index, pending) in self.pending.iter_mut().enumerate() {
            let (dedup, rate) = std::mem::take(pending);
            if dedup + rate == 0 {
                continue;
            }
            let Some(out) = self.outputs.get(index) else {
                continue;
            };
            total += dedup + rate;
            priority = priority.max(out.priority);
            parts.push(format!(
                "{} {} (dedup {dedup}, rate limit {rate})",
                out.name,
                dedup + rate
            ));
            fields.push((
                format!("suppressed.dedup[{}]", out.name).into(),
                FieldValue::UInt(dedup),
            ));
            fields.push((
                format!("suppressed.rate_limit[{}]", out.name).into(),
                FieldValue::UInt(rate),
            ));
        }
        let mut dropped_parts = Vec::new();
        let mut dropped_total = 0;
        for w in &mut self.watched {
            let seen = w.counter.load(Ordering::Relaxed);
            let dropped = seen.saturating_sub(w.reported);
            w.reported = seen;
            if dropped > 0 {
                dropped_total += dropped;
                dropped_parts.push(format!("{} {dropped}", w.name));
                fields.push((
                    format!("dropped[{}]", w.name).into(),
                    FieldValue::UInt(dropped),
                ));
            }
        }
        if total == 0 && dropped_total == 0 {
            return;
        }
        if dropped_total > 0 {
            priority = priority.max(Severity::Warning);
        }
        fields.insert(0, ("suppressed.total".into(), FieldValue::UInt(total)));
        fields.insert(1, ("dropped.total".into(), FieldValue::UInt(dropped_total)));
        let mut output = String::new();
        clock::time_of_day(now, &mut output);
        output.push_str(": ");
        output.push_str(priority.falco_name());
        output.push_str(&format!(
            " {total} alerts suppressed in the last {}s",
            since / 1_000_000_000
        ));
        if !parts.is_empty() {
            output.push_str(": ");
            output.push_str(&parts.join("; "));
        }
        if dropped_total > 0 {
            output.push_str(&format!(
                "; {dropped_total} alerts dropped by full sink queues: {}",
                dropped_parts.join(", ")
            ));
        }
        self.stats.summaries += 1;
        emit(Alert {
            kind: AlertKind::Summary,
            rule: SUMMARY_RULE.into(),
            priority,
            time: now,
            output,
            output_fields: fields,
            source: "internal".into(),
            tags: Arc::from(vec!["palisade".to_owned()]),
            hostname: Arc::clone(&self.hostname),
        });
    }
}
