//! The alert pipeline with a fake clock: exact counts of delivered and
//! suppressed alerts (dedup window, token-bucket rate limit), summary
//! alerts, selection changes while running, and Falco's JSON shape.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::time::Duration;

use palisade_core::Severity;
use palisade_runtime::alerts::clock::FakeClock;
use palisade_runtime::alerts::limits::RateLimit;
use palisade_runtime::alerts::pipeline::{
    DedupKey, Pipeline, PipelineConfig, RuleCounts, SUMMARY_RULE,
};
use palisade_runtime::alerts::selection::Step;
use palisade_runtime::alerts::{Alert, AlertKind};
use palisade_runtime::event::{FlatEvent, FlatEvents};
use palisade_runtime::fields::Schema;
use palisade_runtime::output::FieldValue;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{MatchMode, RuleSet, RuleSpec};

const START: u64 = 1_700_000_000_000_000_000;

fn rules() -> RuleSet {
    let mut builder = RuleSet::builder(Schema::falco());
    let specs = [
        (
            "Shell in container",
            "evt.type = execve and proc.name in (bash, sh)",
            Severity::Warning,
            "shell %proc.name in %container.id",
            vec!["shell", "container"],
        ),
        (
            "Any exec",
            "evt.type = execve",
            Severity::Informational,
            "exec %proc.name",
            vec!["process"],
        ),
        (
            "Shadow read",
            "evt.type = openat and fd.name = /etc/shadow",
            Severity::Error,
            "shadow read by %proc.name",
            vec!["filesystem"],
        ),
    ];
    for (name, condition, priority, output, tags) in specs {
        let mut spec = RuleSpec::new(name, parse(condition).unwrap(), priority);
        spec.output = output.to_owned();
        spec.tags = tags.into_iter().map(String::from).collect();
        builder.add(spec).unwrap();
    }
    builder.build()
}

fn event(rules: &RuleSet, json: &str) -> FlatEvent {
    FlatEvents::parse(json, rules.schema())
        .unwrap()
        .into_events()
        .remove(0)
}

fn exec(rules: &RuleSet, proc_name: &str, container: &str) -> FlatEvent {
    event(
        rules,
        &format!(
            r#"{{"evt.type":"execve","proc.name":"{proc_name}","container.id":"{container}"}}"#
        ),
    )
}

struct Run {
    pipeline: Pipeline,
    clock: FakeClock,
    alerts: Vec<Alert>,
}

impl Run {
    fn new(config: PipelineConfig) -> Run {
        let clock = FakeClock::new(START);
        let pipeline = Pipeline::new(rules(), config, Box::new(clock.clone())).unwrap();
        Run {
            pipeline,
            clock,
            alerts: Vec::new(),
        }
    }

    fn feed(&mut self, event: &FlatEvent, times: usize) {
        for _ in 0..times {
            let alerts = &mut self.alerts;
            self.pipeline.process(event, &mut |a| alerts.push(a));
        }
    }

    fn tick(&mut self) {
        let alerts = &mut self.alerts;
        self.pipeline.tick(&mut |a| alerts.push(a));
    }

    fn rule_alerts(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Rule)
            .count()
    }

    fn summaries(&self) -> Vec<&Alert> {
        self.alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Summary)
            .collect()
    }

    fn counts(&self, rule: usize) -> RuleCounts {
        self.pipeline.stats().per_rule[rule]
    }
}

fn field<'a>(alert: &'a Alert, key: &str) -> &'a FieldValue {
    &alert
        .output_fields
        .iter()
        .find(|(k, _)| &**k == key)
        .unwrap_or_else(|| panic!("no `{key}` in {:?}", alert.output_fields))
        .1
}

#[test]
fn dedup_window_suppresses_repeats_for_five_minutes() {
    let mut run = Run::new(PipelineConfig::default());
    let rules = run.pipeline.rules().clone();
    let bash = exec(&rules, "bash", "c1");
    let sh = exec(&rules, "sh", "c1");
    run.feed(&bash, 10);
    run.feed(&sh, 3);
    assert_eq!(run.rule_alerts(), 2);
    assert_eq!(
        run.counts(0),
        RuleCounts {
            fired: 13,
            delivered: 2,
            suppressed_dedup: 11,
            suppressed_rate: 0
        }
    );
    // Still inside the window (4 min 59 s): suppressed.
    run.clock.advance(Duration::from_secs(299));
    run.feed(&bash, 1);
    assert_eq!(run.rule_alerts(), 2);
    // The summary came with that event (the 1-minute interval had passed).
    let summaries = run.summaries();
    assert_eq!(summaries.len(), 1);
    let summary = summaries[0];
    assert_eq!(&*summary.rule, SUMMARY_RULE);
    assert_eq!(summary.priority, Severity::Warning);
    assert_eq!(field(summary, "suppressed.total"), &FieldValue::UInt(12));
    assert_eq!(
        field(summary, "suppressed.dedup[Shell in container]"),
        &FieldValue::UInt(12)
    );
    assert_eq!(
        field(summary, "suppressed.rate_limit[Shell in container]"),
        &FieldValue::UInt(0)
    );
    assert!(
        summary.output.contains(
            "12 alerts suppressed in the last 299s: Shell in container 12 (dedup 12, rate limit 0)"
        ),
        "{}",
        summary.output
    );
    // The window of `bash` opened at START: 5 minutes later it is new again.
    run.clock.advance(Duration::from_secs(1));
    run.feed(&bash, 2);
    assert_eq!(run.rule_alerts(), 3);
    assert_eq!(run.counts(0).suppressed_dedup, 13);
    // Nothing more to report until something is suppressed again.
    run.clock.advance(Duration::from_secs(120));
    run.tick();
    assert_eq!(run.summaries().len(), 2);
    assert_eq!(
        field(run.summaries()[1], "suppressed.total"),
        &FieldValue::UInt(1)
    );
    run.clock.advance(Duration::from_secs(120));
    run.tick();
    assert_eq!(run.summaries().len(), 2);
    assert_eq!(run.pipeline.stats().summaries, 2);
}

#[test]
fn dedup_key_can_be_chosen_fields() {
    let config = PipelineConfig {
        dedup_key: DedupKey::Fields(vec!["container.id".into()]),
        ..PipelineConfig::default()
    };
    let mut run = Run::new(config);
    let rules = run.pipeline.rules().clone();
    run.feed(&exec(&rules, "bash", "c1"), 1);
    run.feed(&exec(&rules, "sh", "c1"), 1); // same container: a repeat
    run.feed(&exec(&rules, "sh", "c2"), 1);
    assert_eq!(run.rule_alerts(), 2);
    assert_eq!(run.counts(0).suppressed_dedup, 1);
    // An empty key: one alert per rule per window.
    let config = PipelineConfig {
        dedup_key: DedupKey::Fields(Vec::new()),
        ..PipelineConfig::default()
    };
    let mut run = Run::new(config);
    run.feed(&exec(&rules, "bash", "c1"), 1);
    run.feed(&exec(&rules, "sh", "c9"), 4);
    assert_eq!(run.rule_alerts(), 1);
    assert!(
        Pipeline::new(
            rules.clone(),
            PipelineConfig {
                dedup_key: DedupKey::Fields(vec!["proc.nme".into()]),
                ..PipelineConfig::default()
            },
            Box::new(FakeClock::new(0))
        )
        .is_err()
    );
}

#[test]
fn rate_limit_is_a_token_bucket_per_rule() {
    let config = PipelineConfig {
        dedup_window: None,
        rate_limit: Some("2/m".parse::<RateLimit>().unwrap()),
        selection: palisade_runtime::alerts::selection::Selection {
            mode: MatchMode::All,
            ..Default::default()
        },
        ..PipelineConfig::default()
    };
    let mut run = Run::new(config);
    let rules = run.pipeline.rules().clone();
    let bash = exec(&rules, "bash", "c1");
    run.feed(&bash, 10);
    // Both rules fire on each event; each has its own bucket of 2.
    assert_eq!(run.rule_alerts(), 4);
    assert_eq!(run.counts(0).suppressed_rate, 8);
    assert_eq!(run.counts(1).suppressed_rate, 8);
    // 2 per minute: one token every 30 s.
    run.clock.advance(Duration::from_secs(29));
    run.feed(&bash, 1);
    assert_eq!(run.rule_alerts(), 4);
    run.clock.advance(Duration::from_secs(1));
    run.feed(&bash, 3);
    assert_eq!(run.rule_alerts(), 6);
    assert_eq!(run.counts(0).delivered, 3);
    assert_eq!(run.counts(0).suppressed_rate, 8 + 1 + 2);
    // 30 s since the start: the summary is due at 60 s.
    assert!(run.summaries().is_empty());
    run.clock.advance(Duration::from_secs(30));
    run.tick();
    let summaries = run.summaries();
    assert_eq!(summaries.len(), 1);
    assert_eq!(
        field(summaries[0], "suppressed.rate_limit[Shell in container]"),
        &FieldValue::UInt(11)
    );
    assert_eq!(
        field(summaries[0], "suppressed.rate_limit[Any exec]"),
        &FieldValue::UInt(11)
    );
    assert_eq!(
        field(summaries[0], "suppressed.total"),
        &FieldValue::UInt(22)
    );
    let stats = run.pipeline.stats();
    assert_eq!(stats.delivered, 6);
    assert_eq!(stats.suppressed_rate, 22);
    assert_eq!(stats.delivered + stats.suppressed_rate, 28);
}

#[test]
fn flush_reports_everything_left() {
    let mut run = Run::new(PipelineConfig::default());
    let rules = run.pipeline.rules().clone();
    run.feed(&exec(&rules, "bash", "c1"), 5);
    let mut tail = Vec::new();
    run.pipeline.flush(&mut |a| tail.push(a));
    assert_eq!(tail.len(), 1);
    assert_eq!(field(&tail[0], "suppressed.total"), &FieldValue::UInt(4));
    tail.clear();
    run.pipeline.flush(&mut |a| tail.push(a));
    assert!(tail.is_empty());
}

#[test]
fn selection_changes_on_a_running_pipeline() {
    let mut run = Run::new(PipelineConfig {
        dedup_window: None,
        ..PipelineConfig::default()
    });
    let rules = run.pipeline.rules().clone();
    let bash = exec(&rules, "bash", "c1");
    let handle = run.pipeline.selection().clone();
    run.feed(&bash, 1);
    assert_eq!(&*run.alerts[0].rule, "Shell in container");
    // From another thread: disable the tag; `first` now picks "Any exec".
    std::thread::spawn(move || handle.update(|s| s.steps.push(Step::DisableTag("shell".into()))))
        .join()
        .unwrap();
    run.feed(&bash, 1);
    assert_eq!(&*run.alerts[1].rule, "Any exec");
    run.pipeline
        .selection()
        .update(|s| s.min_priority = Severity::Notice);
    run.feed(&bash, 1);
    assert_eq!(run.alerts.len(), 2);
    run.pipeline.selection().update(|s| {
        s.steps.clear();
        s.min_priority = Severity::Debug;
        s.mode = MatchMode::All;
    });
    run.feed(&bash, 1);
    let names: Vec<&str> = run.alerts[2..].iter().map(|a| &*a.rule).collect();
    assert_eq!(names, ["Shell in container", "Any exec"]);
}

#[test]
fn alerts_have_falco_shape() {
    let mut run = Run::new(PipelineConfig {
        hostname: Some("node-7".into()),
        ..PipelineConfig::default()
    });
    let rules = run.pipeline.rules().clone();
    // The event's own time wins over the clock.
    let shadow = event(
        &rules,
        r#"{"evt.type":"openat","fd.name":"/etc/shadow","proc.name":"cat","evt.rawtime":1714558805408091526}"#,
    );
    run.feed(&shadow, 1);
    run.feed(&exec(&rules, "bash", "c1"), 1);
    let json = run.alerts[0].to_json();
    assert_eq!(
        json,
        serde_json::json!({
            "hostname": "node-7",
            "output": "10:20:05.408091526: Error shadow read by cat",
            "output_fields": {"proc.name": "cat"},
            "priority": "Error",
            "rule": "Shadow read",
            "source": "syscall",
            "tags": ["filesystem"],
            "time": "2024-05-01T10:20:05.408091526Z",
        })
    );
    let json = run.alerts[1].to_json();
    assert_eq!(json["time"], "2023-11-14T22:13:20.000000000Z");
    assert_eq!(
        json["output"],
        "22:13:20.000000000: Warning shell bash in c1"
    );
    assert_eq!(
        json["output_fields"],
        serde_json::json!({"proc.name": "bash", "container.id": "c1"})
    );
}
