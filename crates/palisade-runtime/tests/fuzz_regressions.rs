#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
//! Replays `fuzz/regressions/{condition,rules_file}/*` through the code
//! paths of those fuzz targets: parse/compile and load/compile must end
//! with a result, not a crash.

use std::path::{Path, PathBuf};

use palisade_core::Severity;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    files
}

#[test]
fn condition_regressions_replay() {
    let schema = Schema::falco();
    for file in inputs("condition") {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Ok(expr) = parse(&text) {
            let mut builder = RuleSet::builder(schema.clone());
            if builder
                .add(RuleSpec::new("fuzz", expr, Severity::Notice))
                .is_ok()
            {
                let rules = builder.build();
                assert!(palisade_runtime::disasm::listing(&rules, None).is_some());
            }
        }
    }
}

#[test]
fn rules_file_regressions_replay() {
    let schema = Schema::falco();
    for file in inputs("rules_file") {
        let data = std::fs::read(&file).unwrap();
        let mut loader = Loader::with_checker(&schema);
        loader.add_str("fuzz.yaml", &String::from_utf8_lossy(&data));
        let loaded = loader.finish();
        assert!(
            !loaded.errors.is_empty(),
            "{}: loaded without an error",
            file.display()
        );
    }
}
