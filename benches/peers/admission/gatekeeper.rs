//! Gatekeeper's pod-security-policy templates on their suites' cases:
//! Palisade's full review path (compiled Rego, and forced onto regorus's
//! interpreter) against regorus's API called directly on the same compiled
//! policy and the same prepared input: its interpreter, and its compiled
//! program on its VM (RVM).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade::admission::gatekeeper::{
    Constraint, ConstraintTemplate, EngineChoice, GatekeeperPolicy, RegoMode, review_value,
};
use palisade::admission::{AdmissionRequest, AdmissionReview, Context, PolicySet};
use palisade::manifest::{self, Manifest};
use regorus::Value;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::RegoVM;
use serde::Deserialize;
use serde_json::Value as Json;

/// One suite case, ready for both engines.
pub struct Case {
    /// Template directory name.
    pub template: String,
    /// `test/case` of the suite.
    pub name: String,
    /// Palisade: the constraint bound to its compiled template (Rego).
    pub policies: PolicySet,
    /// The same on regorus's interpreter ([`RegoMode::Interpreter`]).
    pub interpreted: PolicySet,
    /// Palisade with the template's `K8sNativeValidation` (CEL), when it has one.
    pub cel: Option<PolicySet>,
    /// The request under review and the context (inventory) of the case.
    pub request: AdmissionRequest,
    /// Objects synced for the case.
    pub context: Context,
    /// regorus: the template's prepared engine (the one Palisade compiled).
    pub engine: regorus::Engine,
    /// `data.<package>.violation`.
    pub rule: String,
    /// regorus's VM loaded with the rule compiled by regorus's compiler
    /// (reused from one review to the next, as a program embedding the RVM
    /// keeps one per thread).
    pub vm: RefCell<RegoVM>,
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

    /// Palisade's path with the template's CEL.
    pub fn palisade_cel(&self) -> Option<palisade::admission::AdmissionResponse> {
        self.cel
            .as_ref()
            .map(|set| set.review(&self.request, &self.context))
    }

    /// Violations found by Palisade's CEL path.
    pub fn palisade_cel_count(&self) -> Option<Result<usize, String>> {
        let decision = self.cel.as_ref()?.evaluate(&self.request, &self.context);
        Some(match decision.errors.first() {
            Some(e) => Err(e.to_string()),
            None => Ok(decision.violations.len()),
        })
    }

    /// Palisade's path on regorus's interpreter.
    pub fn palisade_interpreted(&self) -> palisade::admission::AdmissionResponse {
        self.interpreted.review(&self.request, &self.context)
    }

    /// Violations found by Palisade's path on the interpreter.
    pub fn palisade_interpreted_count(&self) -> Result<usize, String> {
        let decision = self.interpreted.evaluate(&self.request, &self.context);
        match decision.errors.first() {
            Some(e) => Err(e.to_string()),
            None => Ok(decision.violations.len()),
        }
    }

    /// regorus's compiled program on its VM, the prepared input set.
    pub fn regorus_rvm(&self) -> Result<Value, String> {
        let mut vm = self.vm.borrow_mut();
        vm.set_input(self.input.clone());
        vm.execute().map_err(|e| e.to_string())
    }

    /// Violations found by regorus's VM.
    pub fn regorus_rvm_count(&self) -> Result<usize, String> {
        count(self.regorus_rvm()?)
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
            let engine = template
                .engine()
                .ok_or_else(|| format!("{template_name}: the template has no Rego"))?
                .clone();
            let rule = template.rule().to_owned();
            let mut interpreted_template = template.clone();
            interpreted_template.set_rego_mode(RegoMode::Interpreter);
            let interpreted = GatekeeperPolicy::bind_with(
                constraint.clone(),
                Arc::new(interpreted_template),
                EngineChoice::Rego,
            )
            .map_err(|e| format!("{template_name}: {e}"))?;
            let template = Arc::new(template);
            // The CEL side, where the template has one.
            let cel_policy = match template.cel() {
                Some(_) => Some(
                    GatekeeperPolicy::bind_with(
                        constraint.clone(),
                        Arc::clone(&template),
                        EngineChoice::Cel,
                    )
                    .map_err(|e| format!("{template_name}: {e}"))?,
                ),
                None => None,
            };
            // The Rego side, as regorus runs it directly.
            let policy = GatekeeperPolicy::bind_with(constraint, template, EngineChoice::Rego)
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
                let mut interpreted_set = PolicySet::new();
                interpreted_set.add(interpreted.clone());
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
                    interpreted: interpreted_set,
                    request,
                    context,
                    cel: cel_policy.clone().map(|p| {
                        let mut set = PolicySet::new();
                        set.add(p);
                        set
                    }),
                    engine: engine.clone(),
                    rule: rule.clone(),
                    vm: RefCell::new(
                        rvm(&engine, &rule).map_err(|e| format!("{template_name}: {e}"))?,
                    ),
                    input,
                    input_json,
                });
            }
        }
    }
    Ok(loaded)
}

/// regorus's VM loaded with `rule` of `engine` compiled by regorus's
/// compiler, with no `data` (no PSP template reads the inventory).
fn rvm(engine: &regorus::Engine, rule: &str) -> Result<RegoVM, String> {
    let mut engine = engine.clone();
    let policy = engine
        .compile_with_entrypoint(&Arc::from(rule))
        .map_err(|e| e.to_string())?;
    let program = Compiler::compile_from_policy(&policy, &[rule]).map_err(|e| e.to_string())?;
    let mut vm = RegoVM::new();
    vm.load_program(program);
    vm.set_max_instructions(usize::MAX);
    vm.set_strict_builtin_errors(false);
    vm.set_data(Value::new_object())
        .map_err(|e| e.to_string())?;
    Ok(vm)
}
