//! Gatekeeper's pod-security-policy templates on their suites' cases:
//! Palisade's full review path against regorus's API called directly on
//! the same compiled policy and the same prepared input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade::admission::gatekeeper::{
    Constraint, ConstraintTemplate, GatekeeperPolicy, review_value,
};
use palisade::admission::{AdmissionRequest, AdmissionReview, Context, PolicySet};
use palisade::manifest::{self, Manifest};
use regorus::Value;
use serde::Deserialize;
use serde_json::Value as Json;

/// One suite case, ready for both engines.
pub struct Case {
    /// Template directory name.
    pub template: String,
    /// `test/case` of the suite.
    pub name: String,
    /// Palisade: the constraint bound to its compiled template.
    pub policies: PolicySet,
    /// The request under review and the context (inventory) of the case.
    pub request: AdmissionRequest,
    /// Objects synced for the case.
    pub context: Context,
    /// regorus: the template's prepared engine (the one Palisade compiled).
    pub engine: regorus::Engine,
    /// `data.<package>.violation`.
    pub rule: String,
    /// `{"review": ..., "parameters": ...}`, built once.
    pub input: Value,
    /// The same input document as JSON (what a program embedding regorus
    /// holds when a request arrives).
    pub input_json: Json,
}

impl Case {
    /// Palisade's path: match, input, engine clone, evaluation, response.
    pub fn palisade(&self) -> palisade::admission::AdmissionResponse {
        self.policies.review(&self.request, &self.context)
    }

    /// regorus directly: engine clone, the prepared input set, evaluation.
    pub fn regorus(&self) -> Result<Value, String> {
        let mut engine = self.engine.clone();
        engine.set_input(self.input.clone());
        engine
            .eval_rule(self.rule.clone())
            .map_err(|e| e.to_string())
    }

    /// regorus directly, converting the input document from JSON per
    /// review (regorus's serde deserializer), as an embedding program does.
    pub fn regorus_converting(&self) -> Result<Value, String> {
        let mut engine = self.engine.clone();
        let input = Value::deserialize(&self.input_json).map_err(|e| e.to_string())?;
        engine.set_input(input);
        engine
            .eval_rule(self.rule.clone())
            .map_err(|e| e.to_string())
    }

    /// Violations found by Palisade (errors count as a failure to agree).
    pub fn palisade_count(&self) -> Result<usize, String> {
        let decision = self.policies.evaluate(&self.request, &self.context);
        match decision.errors.first() {
            Some(e) => Err(e.to_string()),
            None => Ok(decision.violations.len()),
        }
    }

    /// Violations found by regorus: the size of the `violation` set.
    pub fn regorus_count(&self) -> Result<usize, String> {
        let converting = count(self.regorus_converting()?)?;
        let prepared = count(self.regorus()?)?;
        if converting == prepared {
            Ok(prepared)
        } else {
            Err(format!(
                "{prepared} violations on the prepared input, {converting} on the converted one"
            ))
        }
    }
}

/// The size of a `violation` set.
fn count(result: Value) -> Result<usize, String> {
    match result {
        Value::Undefined | Value::Null => Ok(0),
        Value::Set(s) => Ok(s.len()),
        Value::Array(a) => Ok(a.len()),
        other => Err(format!("`violation` is not a set: {other}")),
    }
}

/// What was loaded: the cases both engines review, and the cases left out
/// (with why).
#[derive(Default)]
pub struct Loaded {
    /// Cases whose constraint matches the object.
    pub cases: Vec<Case>,
    /// Cases not reviewed: `template/test/case: reason`.
    pub skipped: Vec<String>,
}

fn load_objects(base: &Path, file: &str) -> Result<Vec<Manifest>, String> {
    let report = manifest::load_file(&base.join(file));
    match report.errors.first() {
        Some(e) => Err(e.to_string()),
        None => Ok(report.objects),
    }
}

fn load_one(base: &Path, json: &Json, key: &str) -> Result<Manifest, String> {
    let file = json
        .get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| format!("`{key}` is missing"))?;
    load_objects(base, file)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("`{file}` holds no object"))
}

fn request_of(reviewed: &Manifest) -> Result<AdmissionRequest, String> {
    if reviewed.kind() == Some("AdmissionReview") {
        AdmissionReview::parse(&reviewed.object)
            .map(|r| r.request)
            .map_err(|e| e.to_string())
    } else {
        AdmissionRequest::from_object(reviewed.object.clone()).map_err(|e| e.to_string())
    }
}

/// Loads every case of every template's `suite.yaml` under `root`
/// (`.../gatekeeper/pod-security-policy`).
pub fn load(root: &Path) -> Result<Loaded, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("cannot read `{}`: {e}", root.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("suite.yaml").is_file())
        .collect();
    dirs.sort();
    let mut loaded = Loaded::default();
    for dir in dirs {
        let template_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let suite = load_objects(&dir, "suite.yaml")?;
        let tests = suite
            .first()
            .and_then(|s| s.object.get("tests"))
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for test in &tests {
            let test_name = test.get("name").and_then(Json::as_str).unwrap_or("");
            if test.get("invalid").and_then(Json::as_bool) == Some(true)
                || test.get("skip").and_then(Json::as_bool) == Some(true)
            {
                continue;
            }
            let template = ConstraintTemplate::from_manifest(&load_one(&dir, test, "template")?)
                .map_err(|e| format!("{template_name}: {e}"))?;
            let constraint = Constraint::from_manifest(&load_one(&dir, test, "constraint")?)
                .map_err(|e| format!("{template_name}: {e}"))?;
            let parameters = Value::from(constraint.parameters().clone());
            let engine = template.engine().clone();
            let rule = template.rule().to_owned();
            let policy = GatekeeperPolicy::bind(constraint, Arc::new(template))
                .map_err(|e| format!("{template_name}: {e}"))?;
            let cases = test
                .get("cases")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            for case in &cases {
                let case_name = case.get("name").and_then(Json::as_str).unwrap_or("");
                let name = format!("{test_name}/{case_name}");
                let file = case.get("object").and_then(Json::as_str).unwrap_or("");
                let mut objects = load_objects(&dir, file)?;
                let Some(reviewed) = objects.pop() else {
                    loaded
                        .skipped
                        .push(format!("{template_name}/{name}: no object"));
                    continue;
                };
                let mut context = Context::new();
                for object in objects {
                    context.add_object(object.object);
                }
                if let Some(files) = case.get("inventory").and_then(Json::as_array) {
                    for file in files.iter().filter_map(Json::as_str) {
                        for object in load_objects(&dir, file)? {
                            context.add_object(object.object);
                        }
                    }
                }
                let request = request_of(&reviewed)?;
                let mut policies = PolicySet::new();
                policies.add(policy.clone());
                if !policies
                    .policies()
                    .iter()
                    .all(|p| p.applies_to(&request, &context))
                {
                    loaded.skipped.push(format!(
                        "{template_name}/{name}: the constraint does not match the object"
                    ));
                    continue;
                }
                let mut input = std::collections::BTreeMap::new();
                input.insert(Value::from("review"), review_value(&request, &context));
                input.insert(Value::from("parameters"), parameters.clone());
                let input = Value::from(input);
                let input_json = serde_json::to_value(&input).map_err(|e| e.to_string())?;
                loaded.cases.push(Case {
                    template: template_name.clone(),
                    name,
                    policies,
                    request,
                    context,
                    engine: engine.clone(),
                    rule: rule.clone(),
                    input,
                    input_json,
                });
            }
        }
    }
    Ok(loaded)
}
