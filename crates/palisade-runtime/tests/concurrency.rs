//! One compiled `RuleSet` shared by 8 threads, each with its own `Matcher`:
//! every thread's matches equal the single-threaded ones.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

const RULES: &str = r#"
- list: shells
  items: [bash, sh, zsh]
- macro: spawned_process
  condition: evt.type = execve
- rule: shell spawned
  desc: d
  condition: spawned_process and proc.name in (shells)
  output: "shell %proc.name"
  priority: WARNING
- rule: etc opened
  desc: d
  condition: evt.type = open and fd.name startswith /etc/
  output: "open %fd.name"
  priority: ERROR
- rule: odd port
  desc: d
  condition: evt.type = connect and fd.sport > 1024 and not fd.sip in ("10.0.0.0/8")
  output: "connect"
  priority: NOTICE
- rule: any tmp
  desc: d
  condition: fd.name glob "/tmp/*" or proc.name regex "^n."
  output: "tmp"
  priority: INFO
"#;

fn events(schema: &Schema) -> FlatEvents {
    let names = ["bash", "cat", "nc", "zsh", "nginx"];
    let types = ["execve", "open", "connect", "read"];
    let paths = ["/etc/passwd", "/tmp/x", "/usr/bin/ls", "/etc"];
    let ips = ["10.1.1.1", "192.168.0.4", "8.8.8.8"];
    let mut lines = Vec::new();
    for i in 0..400usize {
        lines.push(format!(
            r#"{{"evt.num":{i},"evt.type":"{}","proc.name":"{}","fd.name":"{}","fd.sip":"{}","fd.sport":{}}}"#,
            types[i % types.len()],
            names[(i / 3) % names.len()],
            paths[(i / 7) % paths.len()],
            ips[(i / 11) % ips.len()],
            (i * 97) % 4000
        ));
    }
    FlatEvents::parse(&lines.join("\n"), schema).unwrap()
}

fn matches(rules: &RuleSet, events: &FlatEvents) -> Vec<Vec<u32>> {
    let mut matcher = rules.matcher();
    events
        .events()
        .iter()
        .map(|e| matcher.matches(e).indexes().to_vec())
        .collect()
}

#[test]
fn shared_ruleset_gives_the_same_matches_on_8_threads() {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    loader.add_str("rules.yaml", RULES);
    let loaded = loader.finish();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut builder = RuleSet::builder(schema.clone());
    for rule in &loaded.rules {
        builder
            .add(RuleSpec::new(
                rule.name.clone(),
                rule.condition.clone(),
                rule.priority,
            ))
            .unwrap();
    }
    let rules = builder.build();
    let events = events(&schema);
    let expected = matches(&rules, &events);
    let fired: usize = expected.iter().map(Vec::len).sum();
    assert!(fired > 50, "only {fired} matches: the test needs a mix");
    palisade_testkit::threads::agree(8, 20, &expected, || matches(&rules, &events));
}
