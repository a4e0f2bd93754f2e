//! Gatekeeper mutators (`Assign`, `AssignMetadata`, `ModifySet`,
//! `AssignImage`) on the cases in `tests/gatekeeper_mutation/`: every file
//! loads without errors, and every `MutationCase` document's object comes
//! out of the file's mutators as its `expected` object, with one RFC 6902
//! patch list that turns the object into it.

use std::path::Path;

use palisade_admission::mutate::{self, MutateStatus};
use palisade_admission::pattern::PatternRequest;
use serde_json::Value;

#[test]
fn gatekeeper_mutators_give_the_expected_objects() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gatekeeper_mutation");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "case file count changed");
    let (mut cases, mut failures) = (0, Vec::new());
    for file in &files {
        let load = mutate::load_file(file);
        assert!(
            load.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            load.errors
        );
        assert!(!load.policies.is_empty(), "{}: no mutators", file.display());
        let text = std::fs::read_to_string(file).unwrap();
        for doc in palisade_core::yaml::parse_stream(&text) {
            let doc = doc.unwrap().root.to_json();
            if doc["kind"] != "MutationCase" {
                continue;
            }
            cases += 1;
            let name = format!("{}: {}", file.display(), doc["name"].as_str().unwrap());
            let object = &doc["object"];
            let expected = match &doc["expected"] {
                Value::String(s) if s == "unchanged" => object.clone(),
                other => other.clone(),
            };
            let out = mutate::mutate(&load.policies, &PatternRequest::create(object));
            if let Some(e) = out.rules.iter().find(|r| r.status == MutateStatus::Error) {
                failures.push(format!("{name}: {e}"));
                continue;
            }
            if out.object != expected {
                failures.push(format!(
                    "{name}:\n  got      {}\n  expected {}",
                    out.object, expected
                ));
                continue;
            }
            // The patches the stage reports turn the object into the result.
            let ops: Vec<Value> = out
                .patches
                .iter()
                .map(|p| {
                    let mut op = serde_json::json!({"op": p.op, "path": p.path});
                    if let Some(v) = &p.value {
                        op["value"] = v.clone();
                    }
                    if let Some(f) = &p.from {
                        op["from"] = Value::String(f.clone());
                    }
                    op
                })
                .collect();
            let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
            let mut patched = object.clone();
            json_patch::patch(&mut patched, &patch).unwrap();
            assert_eq!(
                patched, expected,
                "{name}: the patches do not give the result"
            );
            if expected == *object {
                assert!(
                    out.patches.is_empty(),
                    "{name}: patches on an unchanged object"
                );
            }
        }
    }
    assert_eq!(cases, 11, "case count changed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
