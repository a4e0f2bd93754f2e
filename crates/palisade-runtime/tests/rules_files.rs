//! The three official Falco rules files load alone and together
//! (`falco_rules.yaml` first) with zero errors, and every enabled rule
//! compiles against the field schema.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{self, Loaded};

fn read(name: &str) -> Option<String> {
    let path = palisade_testkit::corpus(&format!("falco/rules/{name}"))?;
    Some(std::fs::read_to_string(path).unwrap())
}

const FALCO: &str = "falco_rules.yaml";
const INCUBATING: &str = "falco-incubating_rules.yaml";
const SANDBOX: &str = "falco-sandbox_rules.yaml";

/// The three official files, in [`FALCO`], [`INCUBATING`], [`SANDBOX`]
/// order (`None`, with the corpus notice, without the corpus).
fn official() -> Option<[String; 3]> {
    Some([read(FALCO)?, read(INCUBATING)?, read(SANDBOX)?])
}

fn load(files: &[(&str, &str)]) -> Loaded {
    let schema = Schema::falco();
    loader::load(files.iter().copied(), &schema)
}

fn assert_clean(label: &str, loaded: &Loaded, rules: usize, enabled: usize) {
    assert!(
        loaded.errors.is_empty(),
        "{label}: {} errors:\n{}",
        loaded.errors.len(),
        palisade_testkit::compare::one_per_line(&loaded.errors)
    );
    assert!(
        loaded.schema_problems.is_empty(),
        "{label}: schema problems: {:?}",
        loaded.schema_problems
    );
    assert_eq!(loaded.rules.len(), rules, "{label}: compiled rules");
    assert_eq!(loaded.enabled_rules(), enabled, "{label}: enabled rules");
    for rule in &loaded.rules {
        assert!(
            !rule.condition.as_string().contains("Undefined"),
            "{label}: rule {:?}",
            rule.name
        );
    }
}

#[test]
fn official_rules_files_load_alone() {
    let Some([falco, incubating, sandbox]) = official() else {
        return;
    };
    // Each file is self-contained. The sandbox file disables 12 of its 37 rules.
    let alone = load(&[(FALCO, &falco)]);
    assert_clean(FALCO, &alone, 25, 25);
    assert!(alone.macros.len() > 50 && alone.lists.len() > 20);
    assert_clean(INCUBATING, &load(&[(INCUBATING, &incubating)]), 31, 31);
    assert_clean(SANDBOX, &load(&[(SANDBOX, &sandbox)]), 37, 25);
    // After falco_rules.yaml, each adds its own rules; its macros and lists
    // of the same name replace the earlier definitions in place.
    let with_incubating = load(&[(FALCO, &falco), (INCUBATING, &incubating)]);
    assert_clean("falco + incubating", &with_incubating, 25 + 31, 25 + 31);
    let with_sandbox = load(&[(FALCO, &falco), (SANDBOX, &sandbox)]);
    assert_clean("falco + sandbox", &with_sandbox, 25 + 37, 25 + 25);
}

#[test]
fn official_rules_files_load_together() {
    let Some([falco, incubating, sandbox]) = official() else {
        return;
    };
    let all = load(&[
        (FALCO, &falco),
        (INCUBATING, &incubating),
        (SANDBOX, &sandbox),
    ]);
    assert_clean("all three", &all, 25 + 31 + 37, 25 + 31 + 25);
    let rule = all.rule("Terminal shell in container").unwrap();
    assert!(
        rule.condition
            .as_string()
            .starts_with("(evt.type in (execve, execveat) and container.id != host"),
        "{}",
        rule.condition
    );
    assert_eq!(rule.context.file, FALCO);
}

/// The captures corpus holds, for most macros and rules of the official
/// files, an independent textual expansion (lists substituted as Falco
/// does, each macro replaced by its expansion in parentheses). The loader's
/// resolved trees must be the same trees.
#[test]
fn resolved_conditions_match_the_corpus_expansions() {
    let (Some(path), Some([falco, incubating, sandbox])) = (
        palisade_testkit::corpus("falco/captures/filters.jsonl"),
        official(),
    ) else {
        return;
    };
    let filters = std::fs::read_to_string(path).unwrap();
    let loads = [
        (FALCO, load(&[(FALCO, &falco)])),
        (
            INCUBATING,
            load(&[(FALCO, &falco), (INCUBATING, &incubating)]),
        ),
        (SANDBOX, load(&[(FALCO, &falco), (SANDBOX, &sandbox)])),
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in filters.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(file) = record["rules_file"].as_str() else {
            continue;
        };
        let expected = palisade_runtime::parser::parse(record["filter"].as_str().unwrap()).unwrap();
        // `also_from` entries read `macro:NAME (FILE)`.
        let mut sources = vec![(record["from"].as_str().unwrap().to_owned(), file.to_owned())];
        if let Some(also) = record["also_from"].as_array() {
            for a in also {
                let a = a.as_str().unwrap();
                match a.strip_suffix(')').and_then(|a| a.rsplit_once(" (")) {
                    Some((from, f)) => sources.push((from.to_owned(), f.to_owned())),
                    None => sources.push((a.to_owned(), file.to_owned())),
                }
            }
        }
        for (from, file) in sources {
            let loaded = &loads.iter().find(|(f, _)| *f == file).unwrap().1;
            let got = if let Some(name) = from.strip_prefix("rule:") {
                loaded.rule(name).map(|r| &r.condition)
            } else if let Some(name) = from.strip_prefix("macro:") {
                loaded
                    .macros
                    .iter()
                    .find(|m| m.name == name)
                    .map(|m| &m.condition)
            } else {
                continue;
            };
            checked += 1;
            match got {
                Some(tree) if tree.same_shape(&expected) => {}
                Some(tree) => failures.push(format!(
                    "{file} {from}:\n  got      {tree}\n  expected {expected}"
                )),
                None => failures.push(format!("{file} {from}: not found")),
            }
        }
    }
    eprintln!("compared {checked} resolved macros/rules with the corpus expansions");
    assert!(checked > 300, "only {checked} expansions compared");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
