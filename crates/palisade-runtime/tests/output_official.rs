//! Output formatting of every rule of the three official Falco rules files
//! renders on capture events without error.

use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::output::{OutputFormat, RenderContext, register_output_fields};

const FILES: [(&str, usize); 3] = [
    ("falco_rules.yaml", 25),
    ("falco-incubating_rules.yaml", 31),
    ("falco-sandbox_rules.yaml", 37),
];

#[test]
fn every_official_rule_output_renders_on_captures() {
    let Some(root) = palisade_testkit::corpus("falco") else {
        return;
    };
    let mut schema = Schema::falco();
    register_output_fields(&mut schema);
    let mut captures = Vec::new();
    for entry in std::fs::read_dir(root.join("captures")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".events.jsonl") {
            let events = FlatEvents::parse(&std::fs::read_to_string(&path).unwrap(), &schema)
                .unwrap()
                .into_events();
            if let Some(first) = events.into_iter().next() {
                captures.push(first);
            }
        }
    }
    assert!(captures.len() >= 7, "capture events: {}", captures.len());
    let mut failures = Vec::new();
    let mut rendered = 0;
    let mut total = 0;
    for (file, expected) in FILES {
        let checker = Schema::falco();
        let mut loader = Loader::with_checker(&checker);
        loader.add_file(&root.join("rules").join(file));
        let loaded = loader.finish();
        assert!(loaded.errors.is_empty(), "{file}: {:?}", loaded.errors);
        assert_eq!(loaded.rules.len(), expected, "{file}");
        for rule in &loaded.rules {
            total += 1;
            let format = match OutputFormat::compile(&rule.output, &schema) {
                Ok(f) => f,
                Err(e) => {
                    failures.push(format!("{file}: `{}`: {e}", rule.name));
                    continue;
                }
            };
            let placeholders = rule.output.matches('%').count();
            let keys = format.field_keys().count();
            if keys == 0 || keys > placeholders {
                failures.push(format!(
                    "{file}: `{}`: {keys} fields for {placeholders} placeholders",
                    rule.name
                ));
            }
            for event in &captures {
                let ctx = RenderContext::new(1_700_000_000_000_000_000, "test-host");
                let mut text = String::new();
                format.render(event, &ctx, &mut text);
                let values = format.values(event, &ctx);
                // Every placeholder was replaced: no `%field` is left.
                let left: Vec<&str> = format
                    .field_keys()
                    .filter(|k| text.contains(&format!("%{k}")))
                    .collect();
                if !left.is_empty() || text.is_empty() || values.len() != keys {
                    failures.push(format!(
                        "{file}: `{}`: left {left:?} in `{text}`",
                        rule.name
                    ));
                }
                // Absent values print `<NA>`, present ones their value.
                let absent = values
                    .iter()
                    .filter(|(_, v)| *v == palisade_runtime::output::FieldValue::Absent)
                    .count();
                if absent > 0 && !text.contains("<NA>") {
                    failures.push(format!("{file}: `{}`: no <NA> in `{text}`", rule.name));
                }
            }
            rendered += 1;
        }
    }
    assert_eq!(total, 93);
    assert!(
        failures.is_empty(),
        "{} of {total} rules failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(rendered, 93);
}

#[test]
fn official_output_renders_capture_values() {
    let Some(root) = palisade_testkit::corpus("falco") else {
        return;
    };
    let schema = Schema::falco();
    let events = FlatEvents::parse(
        &std::fs::read_to_string(root.join("captures/cat_write.events.jsonl")).unwrap(),
        &schema,
    )
    .unwrap();
    let event = &events.events()[0];
    let format = OutputFormat::compile(
        "Shell spawned (evt_type=%evt.type user=%user.name process=%proc.name proc_exepath=%proc.exepath parent=%proc.pname command=%proc.cmdline terminal=%proc.tty exe_flags=%evt.arg.flags)",
        &schema,
    )
    .unwrap();
    let mut text = String::new();
    format.render(event, &RenderContext::new(0, "h"), &mut text);
    assert_eq!(
        text,
        "Shell spawned (evt_type=execve user=<NA> process=cat proc_exepath= parent=bash command=cat /dev/null terminal=0 exe_flags=<NA>)"
    );
}
