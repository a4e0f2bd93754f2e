//! The built-in rules: they load with the project's loader with no warning,
//! compile against the schema, and each fires on a matching event and stays
//! quiet on a near miss and on its example exception.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::BTreeMap;

use palisade_runtime::alerts::clock::FakeClock;
use palisade_runtime::alerts::pipeline::{Pipeline, PipelineConfig};
use palisade_runtime::builtin;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::ruleset::RuleSet;

fn rules() -> RuleSet {
    let schema = Schema::falco();
    let loaded = builtin::load(&schema);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    builtin::ruleset(&loaded, &schema).unwrap()
}

fn fired(rules: &RuleSet, json: &str) -> Vec<String> {
    let events = FlatEvents::parse(json, rules.schema()).unwrap();
    let mut matcher = rules.matcher();
    matcher
        .matches(&events.events()[0])
        .iter()
        .map(|r| r.name.clone())
        .collect()
}

/// (rule, fires, near miss, exception).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "Unexpected shell in container",
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"bash","proc.pname":"containerd-shim","container.id":"3ad7b26ded6d","container.image.repository":"docker.io/library/nginx"}"#,
        // the same shell on the host
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"bash","proc.pname":"sshd","container.id":"host"}"#,
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"bash","proc.pname":"runc","container.id":"3ad7b26ded6d","container.image.repository":"docker.io/nicolaka/netshoot"}"#,
    ),
    (
        "Read of sensitive file",
        r#"{"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"fd.typechar":"f","fd.name":"/etc/shadow","fd.directory":"/etc","proc.name":"cat","container.id":"host"}"#,
        // /etc/passwd is not sensitive
        r#"{"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"fd.typechar":"f","fd.name":"/etc/passwd","fd.directory":"/etc","proc.name":"cat","container.id":"host"}"#,
        r#"{"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"fd.typechar":"f","fd.name":"/etc/shadow","fd.directory":"/etc","proc.name":"sshd","container.id":"host"}"#,
    ),
    (
        "Outbound connection outside allowed networks",
        r#"{"evt.type":"connect","evt.rawres":0,"fd.typechar":"4","fd.sip":"203.0.113.9","fd.snet":"203.0.113.9","fd.sport":4444,"proc.name":"curl","container.id":"c1"}"#,
        // inside 10.0.0.0/8
        r#"{"evt.type":"connect","evt.rawres":0,"fd.typechar":"4","fd.sip":"10.1.2.3","fd.snet":"10.1.2.3","fd.sport":4444,"proc.name":"curl","container.id":"c1"}"#,
        r#"{"evt.type":"connect","evt.rawres":0,"fd.typechar":"4","fd.sip":"162.159.200.1","fd.snet":"162.159.200.1","fd.sport":123,"proc.name":"chronyd","container.id":"host"}"#,
    ),
    (
        "Process spawned by unexpected parent",
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"sh","proc.pname":"nginx","proc.cmdline":"sh -c id","container.id":"host"}"#,
        // nginx starting a non-shell helper
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"ls","proc.pname":"nginx","proc.cmdline":"ls /","container.id":"host"}"#,
        r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"sh","proc.pname":"postgres","proc.cmdline":"sh -c test ! -f /var/lib/postgresql/archive/0001","container.id":"host"}"#,
    ),
    (
        "Kernel module load",
        r#"{"evt.type":"finit_module","evt.rawres":0,"proc.name":"insmod","container.id":"host"}"#,
        // a failed load
        r#"{"evt.type":"finit_module","evt.rawres":-1,"proc.name":"insmod","container.id":"host"}"#,
        r#"{"evt.type":"finit_module","evt.rawres":0,"proc.name":"systemd-udevd","container.id":"host"}"#,
    ),
];

#[test]
fn each_rule_fires_and_stays_quiet_on_near_misses_and_exceptions() {
    let rules = rules();
    let names: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    let expected: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    assert_eq!(names, expected);
    let mut failures = Vec::new();
    for &(rule, fires, near_miss, exception) in CASES {
        if fired(&rules, fires) != [rule] {
            failures.push(format!("{rule}: did not fire: {:?}", fired(&rules, fires)));
        }
        if !fired(&rules, near_miss).is_empty() {
            failures.push(format!("{rule}: fired on the near miss"));
        }
        if !fired(&rules, exception).is_empty() {
            failures.push(format!("{rule}: fired on its exception"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rules_have_desc_tags_exceptions_and_outputs() {
    let schema = Schema::falco();
    let loaded = builtin::load(&schema);
    assert_eq!(loaded.rules.len(), 5);
    for rule in &loaded.rules {
        assert!(rule.desc.len() > 40, "{}: desc", rule.name);
        assert!(rule.tags.len() >= 2, "{}: tags", rule.name);
        assert!(
            !rule.exception_fields.is_empty(),
            "{}: exception",
            rule.name
        );
        assert!(rule.output.contains('%'), "{}: output", rule.name);
        palisade_runtime::output::OutputFormat::compile(&rule.output, &schema).unwrap();
    }
    // The allowed networks are a list users extend.
    let mut loader = palisade_runtime::loader::Loader::with_checker(&schema);
    builtin::add_to(&mut loader);
    loader.add_str(
        "local.yaml",
        "- list: palisade_allowed_networks\n  items: [\"203.0.113.0/24\"]\n  override:\n    items: append\n",
    );
    let loaded = loader.finish();
    assert!(loaded.is_ok(), "{:?}", loaded.errors);
    let extended = builtin::ruleset(&loaded, &schema).unwrap();
    assert!(fired(&extended, CASES[2].1).is_empty());
}

#[test]
fn demo_stream_fires_every_rule_once_with_dedup() {
    let rules = rules();
    let events = FlatEvents::parse(builtin::DEMO_EVENTS, rules.schema()).unwrap();
    let mut pipeline = Pipeline::new(
        rules,
        PipelineConfig {
            hostname: Some("demo".into()),
            ..PipelineConfig::default()
        },
        Box::new(FakeClock::new(0)),
    )
    .unwrap();
    let mut alerts = Vec::new();
    for event in events.events() {
        pipeline.process(event, &mut |a| alerts.push(a));
    }
    pipeline.flush(&mut |a| alerts.push(a));
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for alert in &alerts {
        *per_rule.entry(alert.rule.to_string()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = CASES
        .iter()
        .map(|c| (c.0.to_owned(), 1))
        .chain([("Palisade alert summary".to_owned(), 1)])
        .collect();
    assert_eq!(per_rule, expected);
    assert_eq!(pipeline.stats().suppressed_dedup, 1);
    assert_eq!(
        alerts[0].output,
        "10:20:05.000000000: Notice Shell started in a container (user=root container_id=3ad7b26ded6d image=docker.io/library/nginx shell=bash parent=containerd-shim cmdline=bash terminal=34816)"
    );
}
