//! `patchedResource` expectations of Kyverno CLI tests: the runner in
//! [`crate::kyverno_test`] hands a (policy, rule, resource) entry of a
//! mutate policy here.

use std::path::Path;

use palisade_core::manifest::{self, Manifest};
use serde_json::Value;

use crate::pattern::PatternRequest;

use super::{MutatePolicy, MutateStatus, MutationOutcome, Values};

/// The outcome of one expected result: the result the engine gives and a
/// detail (empty when it agrees with the file).
pub(crate) struct Checked {
    /// `pass`, `skip`, `fail` or `error`.
    pub actual: &'static str,
    /// What differs, or why the rule skipped.
    pub detail: String,
}

/// Checks `rule` of `policy` on `resource`; `patched` is the file of the
/// expected mutated resource (when the entry names one), resolved
/// against the test's directory.
pub(crate) fn check(
    policy: &MutatePolicy,
    req: &PatternRequest<'_>,
    values: &Values,
    resource: &Manifest,
    rule: &str,
    patched: Option<&Path>,
) -> Checked {
    let outcome = super::mutate_with(std::slice::from_ref(policy), req, values);
    let base = rule
        .strip_prefix("autogen-cronjob-")
        .or_else(|| rule.strip_prefix("autogen-"))
        .unwrap_or(rule);
    let found = outcome.rules.iter().find(|r| r.rule == rule).or_else(|| {
        outcome
            .rules
            .iter()
            .find(|r| r.autogen_of.as_deref() == Some(base))
    });
    let Some(found) = found else {
        return Checked {
            actual: "skip",
            detail: "the rule does not select the resource".to_owned(),
        };
    };
    match found.status {
        MutateStatus::Skip => Checked {
            actual: "skip",
            detail: found.message.clone(),
        },
        MutateStatus::Error => Checked {
            actual: "error",
            detail: found.message.clone(),
        },
        MutateStatus::Pass => match patched {
            None => Checked {
                actual: "pass",
                detail: String::new(),
            },
            Some(file) => compare(&outcome, resource, file),
        },
    }
}

/// Drops fields holding an empty list, as the API server does for the
/// `omitempty` lists of stored objects (a foreach that removes every
/// `volumeMounts` entry leaves `volumeMounts: []`, which reads back absent).
fn drop_empty_lists(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.as_array().is_some_and(Vec::is_empty));
            map.values_mut().for_each(drop_empty_lists);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_empty_lists),
        _ => {}
    }
}

/// The object as `kyverno test` compares it: without `metadata.namespace:
/// default` (it places namespaced resources without a namespace in
/// `default`, so the two forms are the same object) and without empty
/// lists.
fn normalized(object: &Value) -> Value {
    let mut out = object.clone();
    drop_empty_lists(&mut out);
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut)
        && meta.get("namespace").and_then(Value::as_str) == Some("default")
    {
        meta.remove("namespace");
    }
    out
}

fn compare(outcome: &MutationOutcome, resource: &Manifest, file: &Path) -> Checked {
    let report = manifest::load_path(file);
    if let Some(e) = report.errors.first() {
        return Checked {
            actual: "error",
            detail: format!("patched resource: {e}"),
        };
    }
    let same = |m: &&Manifest| {
        m.kind() == resource.kind()
            && m.name() == resource.name()
            && m.namespace().unwrap_or("default") == resource.namespace().unwrap_or("default")
    };
    let Some(expected) = report
        .objects
        .iter()
        .find(same)
        .or_else(|| report.objects.first())
    else {
        return Checked {
            actual: "error",
            detail: format!("no resource in `{}`", file.display()),
        };
    };
    let diff = json_patch::diff(&normalized(&outcome.object), &normalized(&expected.object));
    if diff.is_empty() {
        return Checked {
            actual: "pass",
            detail: String::new(),
        };
    }
    let first: Vec<String> = diff
        .iter()
        .take(3)
        .map(|op| serde_json::to_value(op).unwrap_or(Value::Null).to_string())
        .collect();
    Checked {
        actual: "fail",
        detail: format!(
            "the mutated resource differs from `{}`; to get there: {}",
            file.display(),
            first.join(", ")
        ),
    }
}
