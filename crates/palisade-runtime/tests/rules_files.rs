//! The three official Falco rules files load alone and together
//! (`falco_rules.yaml` first) with zero errors, and every enabled rule
//! compiles against the field schema.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};

use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{self, Loaded};

fn rules_dir() -> PathBuf {
    let corpus = match std::env::var_os("PALISADE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    corpus.join("falco/rules")
}

fn read(name: &str) -> Option<String> {
    let path = rules_dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("skipping: rules corpus not found at {}", path.display());
            None
        }
    }
}

const FALCO: &str = "falco_rules.yaml";
const INCUBATING: &str = "falco-incubating_rules.yaml";
const SANDBOX: &str = "falco-sandbox_rules.yaml";

fn load(files: &[(&str, &str)]) -> Loaded {
    let schema = Schema::falco();
    loader::load(files.iter().copied(), &schema)
}

fn assert_clean(label: &str, loaded: &Loaded, rules: usize, enabled: usize) {
    assert!(
        loaded.errors.is_empty(),
        "{label}: {} errors:\n{}",
        loaded.errors.len(),
        loaded
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
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
    let (Some(falco), Some(incubating), Some(sandbox)) =
        (read(FALCO), read(INCUBATING), read(SANDBOX))
    else {
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
    let (Some(falco), Some(incubating), Some(sandbox)) =
        (read(FALCO), read(INCUBATING), read(SANDBOX))
    else {
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
