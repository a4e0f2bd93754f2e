//! The built-in pack agrees with the equivalent Gatekeeper library
//! templates on their sample objects: for every case of the template's
//! `suite.yaml`, the built-in policy (built from the constraint's
//! parameters) finds a violation exactly when the suite expects one.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::path::Path;

use palisade_admission::Operation;
use palisade_admission::builtin::{
    AllowedRegistries, NoPrivileged, RequiredLabels, ResourceLimits,
};
use palisade_core::manifest;
use serde_json::Value;

fn load_one(path: &Path) -> Value {
    let report = manifest::load_path(path);
    assert!(report.errors.is_empty(), "{path:?}: {:?}", report.errors);
    report.objects.into_iter().next().unwrap().object
}

/// The object under review and its operation (from an AdmissionReview sample).
fn review_object(path: &Path) -> (Value, Option<Operation>) {
    let doc = load_one(path);
    if doc["kind"] == "AdmissionReview" {
        let op = match doc["request"]["operation"].as_str() {
            Some("UPDATE") => Some(Operation::Update),
            Some("DELETE") => Some(Operation::Delete),
            Some("CONNECT") => Some(Operation::Connect),
            Some("CREATE") => Some(Operation::Create),
            _ => None,
        };
        (doc["request"]["object"].clone(), op)
    } else {
        (doc, None)
    }
}

/// The constraint's `match.kinds` and `excludedNamespaces` select the object.
fn constraint_matches(constraint: &Value, object: &Value) -> bool {
    let m = &constraint["spec"]["match"];
    let kind = object["kind"].as_str().unwrap_or("");
    let api = object["apiVersion"].as_str().unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let kinds_ok = match m["kinds"].as_array() {
        None => true,
        Some(list) => list.iter().any(|k| {
            let groups = k["apiGroups"].as_array().cloned().unwrap_or_default();
            let names = k["kinds"].as_array().cloned().unwrap_or_default();
            (groups.is_empty() || groups.iter().any(|g| g == "*" || g == group))
                && (names.is_empty() || names.iter().any(|n| n == "*" || n == kind))
        }),
    };
    let ns = object["metadata"]["namespace"].as_str().unwrap_or("");
    let excluded = m["excludedNamespaces"]
        .as_array()
        .is_some_and(|l| l.iter().any(|n| n == ns));
    kinds_ok && !excluded
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A check: the number of violations of an object under an operation.
type Check = Box<dyn Fn(&Value, Option<Operation>) -> usize>;

/// A built-in policy configured like the constraint, as a check function.
fn builtin_for(template: &str, params: &Value) -> Check {
    match template {
        "allowedrepos" => {
            let p = AllowedRegistries::new(strings(&params["repos"]));
            Box::new(move |o, _| p.check(o).len())
        }
        "containerlimits" => {
            let p = ResourceLimits {
                max_cpu: params["cpu"].as_str().map(str::to_owned),
                max_memory: params["memory"].as_str().map(str::to_owned),
                exempt_images: strings(&params["exemptImages"]),
                ..ResourceLimits::default()
            };
            Box::new(move |o, _| p.check(o).len())
        }
        "privileged-containers" => {
            let p = NoPrivileged {
                exempt_images: strings(&params["exemptImages"]),
                ..NoPrivileged::default()
            };
            Box::new(move |o, op| p.check(o, op).len())
        }
        "requiredlabels" => {
            let labels: Vec<(String, Option<String>)> = params["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["key"].as_str().unwrap().to_owned(),
                        l["allowedRegex"].as_str().map(str::to_owned),
                    )
                })
                .collect();
            let mut p = RequiredLabels::new(labels.iter().map(|(k, r)| (k.as_str(), r.as_deref())))
                .unwrap();
            p.message = params["message"].as_str().map(str::to_owned);
            Box::new(move |o, _| p.check(o).len())
        }
        other => panic!("no built-in policy for {other}"),
    }
}

/// `true` when the case's assertions expect at least one violation.
fn expects_violation(assertions: &Value) -> bool {
    assertions
        .as_array()
        .unwrap()
        .iter()
        .any(|a| match &a["violations"] {
            Value::Null => true,
            Value::String(s) => s == "yes",
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_u64().unwrap_or(0) > 0,
            _ => false,
        })
}

#[test]
fn builtin_pack_agrees_with_gatekeeper_library_samples() {
    let Some(root) = palisade_testkit::corpus("admission/gatekeeper") else {
        return;
    };
    let templates = [
        ("general/allowedrepos", "allowedrepos"),
        ("general/containerlimits", "containerlimits"),
        (
            "pod-security-policy/privileged-containers",
            "privileged-containers",
        ),
        ("general/requiredlabels", "requiredlabels"),
    ];
    let mut compared = 0usize;
    let mut present = Vec::new();
    let mut disagreements = Vec::new();
    for (dir, name) in templates {
        let dir = root.join(dir);
        let suite_path = dir.join("suite.yaml");
        if !suite_path.is_file() {
            eprintln!("note: template `{name}` is not in this corpus; not compared");
            continue;
        }
        present.push(name);
        let suite = load_one(&suite_path);
        for test in suite["tests"].as_array().unwrap() {
            let constraint = load_one(&dir.join(test["constraint"].as_str().unwrap()));
            let check = builtin_for(name, &constraint["spec"]["parameters"]);
            for case in test["cases"].as_array().unwrap() {
                let (object, op) = review_object(&dir.join(case["object"].as_str().unwrap()));
                let expected = expects_violation(&case["assertions"]);
                let found = constraint_matches(&constraint, &object) && check(&object, op) > 0;
                compared += 1;
                if expected != found {
                    disagreements.push(format!(
                        "{name}/{}/{}: gatekeeper expects violation={expected}, built-in found={found}",
                        test["name"].as_str().unwrap(),
                        case["name"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    eprintln!("built-in vs Gatekeeper: {compared} sample cases compared ({present:?})");
    assert!(present.contains(&"allowedrepos") && present.contains(&"privileged-containers"));
    assert!(compared >= 10, "{compared}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
