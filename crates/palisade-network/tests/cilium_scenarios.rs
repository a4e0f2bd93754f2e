//! The Cilium scenario corpus: `tests/cilium/NN-*.yaml`, each a set of
//! policies taken from the semantics Cilium's documentation describes,
//! applied to the cluster in `tests/cilium/_cluster.yaml`, with the flows
//! that must be allowed and denied (a final `Expectations` document).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};

use palisade_core::manifest::load_paths;
use palisade_network::ports::Protocol;
use palisade_network::resolver::Flow;
use palisade_network::{Issues, Resolver};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cilium")
}

/// Runs one scenario; returns the failures.
fn run(path: &Path) -> (usize, Vec<String>) {
    let report = load_paths(&[dir().join("_cluster.yaml"), path.to_path_buf()]);
    assert!(report.is_ok(), "{}: {:?}", path.display(), report.errors);
    let (expect, manifests): (Vec<_>, Vec<_>) = report
        .objects
        .into_iter()
        .partition(|m| m.kind() == Some("Expectations"));
    let expect = &expect.first().expect("an Expectations document").object;
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&manifests, &mut issues);
    let mut failures = Vec::new();
    let issue_text: Vec<String> = issues.iter().map(ToString::to_string).collect();
    let wanted: Vec<&str> = expect
        .get("issues")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    if wanted.is_empty() && !issue_text.is_empty() {
        failures.push(format!("unexpected load issues: {issue_text:?}"));
    }
    for w in &wanted {
        if !issue_text.iter().any(|t| t.contains(w)) {
            failures.push(format!(
                "expected a load issue containing `{w}`, got {issue_text:?}"
            ));
        }
    }
    let flows = expect["flows"].as_array().expect("flows");
    for f in flows {
        let text = |k: &str| f.get(k).and_then(Json::as_str);
        let (from, to) = (text("from").unwrap(), text("to").unwrap());
        let port = u16::try_from(f["port"].as_u64().unwrap()).unwrap();
        let protocol = Protocol::parse(text("protocol").unwrap_or("TCP")).unwrap();
        let (Some(src), Some(dst)) = (resolver.flow_end(from), resolver.flow_end(to)) else {
            failures.push(format!("unknown flow end in {from} -> {to}"));
            continue;
        };
        let verdict = resolver.check(&Flow {
            src,
            dst,
            protocol,
            port,
        });
        let label = format!("{from} -> {to} {protocol}/{port}");
        let expected = f["allowed"].as_bool().unwrap();
        if verdict.allowed != expected {
            failures.push(format!(
                "{label}: expected allowed={expected}, got:\n    {}",
                verdict.explanation().join("\n    ")
            ));
            continue;
        }
        if let Some(conditional) = f.get("conditional").and_then(Json::as_bool)
            && conditional == verdict.conditions.is_empty()
        {
            failures.push(format!(
                "{label}: expected conditional={conditional}, got:\n    {}",
                verdict.explanation().join("\n    ")
            ));
        }
        if let Some(because) = text("because") {
            let explanation = verdict.explanation().join("\n");
            if !explanation.contains(because) {
                failures.push(format!(
                    "{label}: explanation lacks `{because}`:\n    {}",
                    explanation.replace('\n', "\n    ")
                ));
            }
        }
    }
    (flows.len(), failures)
}

#[test]
fn cilium_scenarios() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && !p.file_name().unwrap().to_string_lossy().starts_with('_')
        })
        .collect();
    files.sort();
    let mut flows = 0;
    let mut failed = Vec::new();
    for file in &files {
        let (n, failures) = run(file);
        flows += n;
        if !failures.is_empty() {
            failed.push(format!(
                "{}:\n  {}",
                file.file_name().unwrap().to_string_lossy(),
                failures.join("\n  ")
            ));
        }
    }
    eprintln!(
        "cilium scenarios: {}/{} passed ({flows} flows)",
        files.len() - failed.len(),
        files.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
    assert!(
        files.len() >= 40,
        "the corpus needs at least 40 scenarios, has {}",
        files.len()
    );
}
