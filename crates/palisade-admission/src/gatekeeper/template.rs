//! ConstraintTemplates: read, checked and compiled once: into a prepared
//! regorus engine (the interpreter, which each evaluation clones) and, where
//! regorus's compiler takes the rule, into an RVM program that evaluations
//! run instead.

use palisade_core::{Location, Manifest, Positions};
use regorus::{Engine, Value};
use serde_json::Value as Json;

use std::sync::Arc;

use super::compiled::CompiledRule;
use super::engine::RegoMode;
use super::error::{
    GatekeeperError, InvalidTemplateError, RegoError, TemplateCelError, UnsupportedError,
};
use super::value::{object, to_json};
use crate::cel::{Environment, ValidationSet};
use crate::string_list::{StringListError, string_list};

/// The only target Gatekeeper's admission templates use.
pub const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

/// Why a template without Rego has no compiled program.
const NO_REGO: &str = "the template has no Rego";

/// Builtins Gatekeeper offers that need a running cluster service.
const UNSUPPORTED_BUILTINS: [&str; 2] = ["external_data", "http.send"];

/// Which Rego syntax a template is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegoVersion {
    /// Rego v0 (Gatekeeper's default; `import future.keywords` / `import rego.v1` allowed).
    V0,
    /// Rego v1 (`if` and `contains` required).
    V1,
}

/// A compiled ConstraintTemplate.
///
/// Compiled once; [`ConstraintTemplate::evaluate`] runs the compiled program
/// (or clones the prepared interpreter engine, see [`RegoMode`]), so a
/// template is shared by every thread and every constraint of its kind.
#[derive(Debug, Clone)]
pub struct ConstraintTemplate {
    name: String,
    kind: String,
    location: Option<Location>,
    rule: String,
    rego_version: RegoVersion,
    uses_inventory: bool,
    parameters_schema: Option<Json>,
    engine: Option<Engine>,
    /// The `violation` rule compiled for regorus's VM, or why regorus's
    /// compiler refused it (the interpreter runs it then).
    compiled: Result<Arc<CompiledRule>, String>,
    mode: RegoMode,
    cel: Option<Arc<ValidationSet>>,
}

/// One result of a template's `violation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RawViolation {
    /// `msg`.
    pub msg: String,
    /// `details`, when present.
    pub details: Option<Json>,
}

impl ConstraintTemplate {
    /// Reads and compiles a template loaded from a file.
    /// Errors point at the offending field.
    pub fn from_manifest(manifest: &Manifest) -> Result<ConstraintTemplate, GatekeeperError> {
        ConstraintTemplate::read(
            &manifest.object,
            Some(manifest.source.location()),
            &manifest.positions,
        )
    }

    /// Reads and compiles a template from its JSON form. `location` names
    /// where it came from in errors.
    pub fn from_json(
        template: &Json,
        location: Option<Location>,
    ) -> Result<ConstraintTemplate, GatekeeperError> {
        ConstraintTemplate::read(template, location, &Positions::default())
    }

    /// Reads and compiles a template starting at `location`, whose fields
    /// stand at `positions`.
    fn read(
        template: &Json,
        location: Option<Location>,
        positions: &Positions,
    ) -> Result<ConstraintTemplate, GatekeeperError> {
        let at = |field: &str| location.as_ref().map(|l| positions.locate(l, field));
        let name = template
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let invalid = |field: &str, reason: &str| {
            GatekeeperError::from(InvalidTemplateError {
                location: at(field),
                template: name.clone(),
                reason: reason.to_owned(),
            })
        };
        let unsupported = |field: &str, reason: String| {
            GatekeeperError::from(UnsupportedError {
                location: at(field),
                template: name.clone(),
                reason,
            })
        };
        if template.get("kind").and_then(Json::as_str) != Some("ConstraintTemplate") {
            return Err(invalid("kind", "`kind` is not `ConstraintTemplate`"));
        }
        match template.get("apiVersion").and_then(Json::as_str) {
            Some(
                "templates.gatekeeper.sh/v1"
                | "templates.gatekeeper.sh/v1beta1"
                | "templates.gatekeeper.sh/v1alpha1",
            ) => {}
            other => {
                return Err(invalid(
                    "apiVersion",
                    &format!(
                        "`apiVersion` `{}` is not `templates.gatekeeper.sh/v1` or `v1beta1`",
                        other.unwrap_or_default()
                    ),
                ));
            }
        }
        if name.is_empty() {
            return Err(invalid("metadata.name", "`metadata.name` is missing"));
        }
        let kind = template
            .pointer("/spec/crd/spec/names/kind")
            .and_then(Json::as_str)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                invalid(
                    "spec.crd.spec.names.kind",
                    "`spec.crd.spec.names.kind` is missing",
                )
            })?
            .to_owned();
        let targets = template
            .pointer("/spec/targets")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid("spec.targets", "`spec.targets` is missing"))?;
        let target = match targets.as_slice() {
            [target] => target,
            [] => return Err(invalid("spec.targets", "`spec.targets` is empty")),
            _ => {
                return Err(unsupported(
                    "spec.targets[1]",
                    "more than one entry in `spec.targets`".into(),
                ));
            }
        };
        match target.get("target").and_then(Json::as_str) {
            Some(ADMISSION_TARGET) => {}
            other => {
                return Err(unsupported(
                    "spec.targets[0].target",
                    format!(
                        "target `{}`; only `{ADMISSION_TARGET}` is supported",
                        other.unwrap_or_default()
                    ),
                ));
            }
        }
        let cel = cel_source(target)
            .map(|(i, source)| {
                let env = Environment::admission();
                let path = format!("spec.targets[0].code[{i}].source");
                ValidationSet::from_json(&env, source, &path, &at)
                    .map(Arc::new)
                    .map_err(|error| {
                        GatekeeperError::from(TemplateCelError {
                            template: name.clone(),
                            error,
                        })
                    })
            })
            .transpose()?;
        let source = match RegoSource::of_target(target) {
            Ok(source) => source,
            // A CEL-only template: no Rego to compile.
            Err(SourceProblem::Unsupported(..)) if cel.is_some() => {
                let parameters_schema = template
                    .pointer("/spec/crd/spec/validation/openAPIV3Schema")
                    .filter(|s| s.is_object())
                    .cloned();
                return Ok(ConstraintTemplate {
                    name,
                    kind,
                    location,
                    rule: String::new(),
                    rego_version: RegoVersion::V0,
                    uses_inventory: false,
                    parameters_schema,
                    engine: None,
                    compiled: Err(NO_REGO.to_owned()),
                    mode: RegoMode::Auto,
                    cel,
                });
            }
            Err(SourceProblem::Invalid(field, r)) => return Err(invalid(&field, &r)),
            Err(SourceProblem::Unsupported(field, r)) => return Err(unsupported(&field, r)),
        };
        for module in std::iter::once(&source.rego).chain(&source.libs) {
            for builtin in UNSUPPORTED_BUILTINS {
                if mentions_call(module, builtin) {
                    return Err(unsupported(
                        &source.field,
                        format!(
                            "it calls `{builtin}`, which needs a cluster service Palisade does not run"
                        ),
                    ));
                }
            }
        }
        let compiled = |version: RegoVersion| compile(&source, version);
        let (engine, package, rego_version) = match source.version {
            Some(version) => compiled(version).map(|(e, p)| (e, p, version)),
            // Undeclared: Gatekeeper's default (v0), and v1 when only v1 parses.
            None => compiled(RegoVersion::V0)
                .map(|(e, p)| (e, p, RegoVersion::V0))
                .or_else(|v0_error| {
                    compiled(RegoVersion::V1)
                        .map(|(e, p)| (e, p, RegoVersion::V1))
                        .map_err(|_| v0_error)
                }),
        }
        .map_err(|reason| {
            GatekeeperError::from(RegoError {
                location: at(&source.field),
                template: name.clone(),
                reason,
            })
        })?;
        let uses_inventory = std::iter::once(&source.rego)
            .chain(&source.libs)
            .any(|m| m.contains("data.inventory"));
        let parameters_schema = template
            .pointer("/spec/crd/spec/validation/openAPIV3Schema")
            .filter(|s| s.is_object())
            .cloned();
        let rego_at = at(&source.field);
        let mut compiled = ConstraintTemplate {
            name,
            kind,
            location,
            rule: format!("{package}.violation"),
            rego_version,
            uses_inventory,
            parameters_schema,
            engine: Some(engine),
            compiled: Err(NO_REGO.to_owned()),
            mode: RegoMode::Auto,
            cel,
        };
        compiled.prepare(rego_at)?;
        if let Some(engine) = &compiled.engine {
            compiled.compiled = CompiledRule::compile(engine, &compiled.rule).map(Arc::new);
        }
        Ok(compiled)
    }

    /// Runs the analysis once (so clones start prepared) and checks that the
    /// module defines `violation`; an error names `rego_at`, where the
    /// module is written.
    fn prepare(&mut self, rego_at: Option<Location>) -> Result<(), GatekeeperError> {
        let Some(mut probe) = self.engine.clone() else {
            return Ok(());
        };
        probe.set_input(object([
            ("review", Value::new_object()),
            ("parameters", Value::new_object()),
        ]));
        if let Err(e) = probe.eval_rule(self.rule.clone()) {
            return Err(RegoError {
                location: rego_at,
                template: self.name.clone(),
                reason: format!("`{}`: {e}", self.rule),
            }
            .into());
        }
        // Keep the analysis, drop the probe's input.
        probe.set_input(Value::new_object());
        self.engine = Some(probe);
        Ok(())
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The constraint kind it defines (`spec.crd.spec.names.kind`).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Where it was loaded from.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The Rego syntax it was compiled as.
    pub fn rego_version(&self) -> RegoVersion {
        self.rego_version
    }

    /// `true` when the Rego reads `data.inventory` (a referential template).
    pub fn uses_inventory(&self) -> bool {
        self.uses_inventory
    }

    /// The schema of its constraints' `spec.parameters`
    /// (`spec.crd.spec.validation.openAPIV3Schema`), when it has one.
    pub fn parameters_schema(&self) -> Option<&Json> {
        self.parameters_schema.as_ref()
    }

    /// Checks a constraint's parameters against
    /// [`ConstraintTemplate::parameters_schema`]; the error names the field.
    pub fn check_parameters(&self, parameters: &Json) -> Result<(), String> {
        match &self.parameters_schema {
            Some(schema) => super::schema::check(schema, parameters, "spec.parameters"),
            None => Ok(()),
        }
    }

    /// The prepared engine, with the template's modules loaded and analysed,
    /// when the template has Rego. Clone it to evaluate; the rule to
    /// evaluate is [`ConstraintTemplate::rule`].
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// `true` when the template has a Rego implementation.
    pub fn has_rego(&self) -> bool {
        self.engine.is_some()
    }

    /// The compiled `K8sNativeValidation` implementation, when the template has one.
    pub fn cel(&self) -> Option<&ValidationSet> {
        self.cel.as_deref()
    }

    /// The rule evaluated for violations (`data.<package>.violation`;
    /// empty for a CEL-only template).
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// `true` when regorus's compiler took the `violation` rule, so that
    /// evaluations run the compiled program (unless
    /// [`ConstraintTemplate::set_rego_mode`] says otherwise).
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_ok()
    }

    /// Why the template runs on regorus's interpreter: the compiler's
    /// reason for refusing the rule (`None` when it is compiled).
    pub fn interpreter_reason(&self) -> Option<&str> {
        self.compiled.as_ref().err().map(String::as_str)
    }

    /// Which Rego evaluator [`ConstraintTemplate::evaluate`] uses.
    pub fn rego_mode(&self) -> RegoMode {
        self.mode
    }

    /// Makes [`ConstraintTemplate::evaluate`] use `mode` (for comparisons;
    /// [`RegoMode::Auto`], the default, is the one to serve with).
    pub fn set_rego_mode(&mut self, mode: RegoMode) {
        self.mode = mode;
    }

    /// Evaluates the `violation` rule on `input` (`{"review": ..., "parameters": ...}`),
    /// with `inventory` as `data.inventory` when the template reads it.
    pub fn evaluate(
        &self,
        input: Value,
        inventory: Option<&Value>,
    ) -> Result<Vec<RawViolation>, String> {
        self.evaluate_with(self.mode, input, inventory)
    }

    /// [`ConstraintTemplate::evaluate`] on the evaluator `mode` picks;
    /// [`RegoMode::Compiled`] on a template regorus could not compile is
    /// an error naming the reason.
    pub fn evaluate_with(
        &self,
        mode: RegoMode,
        input: Value,
        inventory: Option<&Value>,
    ) -> Result<Vec<RawViolation>, String> {
        let Some(engine) = &self.engine else {
            return Err(format!("ConstraintTemplate `{}` has no Rego", self.name));
        };
        let inventory = inventory
            .filter(|_| self.uses_inventory)
            .map(|inventory| object([("inventory", inventory.clone())]));
        let results = match (mode, &self.compiled) {
            (RegoMode::Auto | RegoMode::Compiled, Ok(compiled)) => {
                compiled.evaluate(input, inventory)?
            }
            (RegoMode::Compiled, Err(reason)) => {
                return Err(format!(
                    "ConstraintTemplate `{}` is not compiled: {reason}",
                    self.name
                ));
            }
            (RegoMode::Auto | RegoMode::Interpreter, _) => {
                let mut engine = engine.clone();
                if let Some(data) = inventory {
                    engine
                        .add_data(data)
                        .map_err(|e| format!("inventory: {e}"))?;
                }
                engine.set_input(input);
                engine
                    .eval_rule(self.rule.clone())
                    .map_err(|e| e.to_string())?
            }
        };
        violations(&results)
    }
}

/// The results of a `violation` rule as messages and details.
fn violations(results: &Value) -> Result<Vec<RawViolation>, String> {
    let items: Vec<&Value> = match results {
        Value::Undefined | Value::Null => return Ok(Vec::new()),
        Value::Set(set) => set.iter().collect(),
        Value::Array(items) => items.iter().collect(),
        other => return Err(format!("`violation` is not a set: {}", to_json(other))),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Ok(fields) = item.as_object() else {
            return Err(format!(
                "a `violation` result is not an object: {}",
                to_json(item)
            ));
        };
        let msg = match fields.get(&Value::from("msg")) {
            Some(Value::String(s)) => s.to_string(),
            Some(other) => return Err(format!("`msg` is not a string: {}", to_json(other))),
            None => return Err("a `violation` result has no `msg`".to_owned()),
        };
        let details = fields.get(&Value::from("details")).map(to_json);
        out.push(RawViolation { msg, details });
    }
    Ok(out)
}

/// The Rego of a template's target.
struct RegoSource {
    /// Where the module is in the template (`spec.targets[0].rego`).
    field: String,
    rego: String,
    libs: Vec<String>,
    version: Option<RegoVersion>,
}

/// What is wrong with a target's Rego, and the field path it is about.
enum SourceProblem {
    Invalid(String, String),
    Unsupported(String, String),
}

impl RegoSource {
    /// `rego` + `libs`, or the `code` entry with `engine: Rego`
    /// (`source.rego`, `source.libs`, `source.version`).
    fn of_target(target: &Json) -> Result<RegoSource, SourceProblem> {
        const TARGET: &str = "spec.targets[0]";
        let strings = |value: Option<&Json>,
                       field: &str,
                       path: String|
         -> Result<Vec<String>, SourceProblem> {
            string_list(value).map_err(|e| {
                let at = match e {
                    StringListError::NotAList => path,
                    StringListError::NotAString { index } => format!("{path}[{index}]"),
                };
                SourceProblem::Invalid(at, e.message(field))
            })
        };
        if let Some(code) = target.get("code").and_then(Json::as_array) {
            let rego_entry = code
                .iter()
                .enumerate()
                .find(|(_, c)| c.get("engine").and_then(Json::as_str) == Some("Rego"));
            if let Some((i, entry)) = rego_entry {
                let at = format!("{TARGET}.code[{i}].source");
                let source = entry.get("source").unwrap_or(&Json::Null);
                let rego = source
                    .get("rego")
                    .and_then(Json::as_str)
                    .ok_or_else(|| {
                        SourceProblem::Invalid(
                            format!("{at}.rego"),
                            "`code[].source.rego` is missing for `engine: Rego`".into(),
                        )
                    })?
                    .to_owned();
                let libs = strings(
                    source.get("libs"),
                    "code[].source.libs",
                    format!("{at}.libs"),
                )?;
                let version = match source.get("version").and_then(Json::as_str) {
                    None => None,
                    Some("v0") => Some(RegoVersion::V0),
                    Some("v1") => Some(RegoVersion::V1),
                    Some(other) => {
                        return Err(SourceProblem::Invalid(
                            format!("{at}.version"),
                            format!("`code[].source.version` `{other}` is not `v0` or `v1`"),
                        ));
                    }
                };
                return Ok(RegoSource {
                    field: format!("{at}.rego"),
                    rego,
                    libs,
                    version,
                });
            }
        }
        match target.get("rego").and_then(Json::as_str) {
            Some(rego) => Ok(RegoSource {
                field: format!("{TARGET}.rego"),
                rego: rego.to_owned(),
                libs: strings(
                    target.get("libs"),
                    "spec.targets[0].libs",
                    format!("{TARGET}.libs"),
                )?,
                version: None,
            }),
            None if target.get("code").is_some() => Err(SourceProblem::Unsupported(
                format!("{TARGET}.code"),
                "it has no `code` entry with `engine: Rego` or `engine: K8sNativeValidation`"
                    .into(),
            )),
            None => Err(SourceProblem::Invalid(
                TARGET.to_owned(),
                "`spec.targets[0].rego` is missing".into(),
            )),
        }
    }
}

/// The `code` entry with `engine: K8sNativeValidation`: its index and `source`.
fn cel_source(target: &Json) -> Option<(usize, &Json)> {
    target
        .get("code")?
        .as_array()?
        .iter()
        .enumerate()
        .find(|(_, c)| c.get("engine").and_then(Json::as_str) == Some("K8sNativeValidation"))
        .map(|(i, c)| (i, c.get("source").unwrap_or(&Json::Null)))
}

/// Compiles the modules into an engine; returns it and the main package.
fn compile(source: &RegoSource, version: RegoVersion) -> Result<(Engine, String), String> {
    let mut engine = Engine::new();
    engine.set_execution_timer_config(crate::limits::rego_timer());
    engine.set_rego_v0(version == RegoVersion::V0);
    // OPA's behaviour: a builtin given bad arguments is undefined, not an error.
    engine.set_strict_builtin_errors(false);
    let package = add_module(&mut engine, "template.rego", &source.rego, version)?;
    for (i, lib) in source.libs.iter().enumerate() {
        add_module(&mut engine, &format!("lib{i}.rego"), lib, version)
            .map_err(|e| format!("lib {i}: {e}"))?;
    }
    Ok((engine, package))
}

/// Adds one module; a v0 module that does not parse is tried once more with
/// its chained rule bodies split (see [`super::rewrite`]).
fn add_module(
    engine: &mut Engine,
    name: &str,
    rego: &str,
    version: RegoVersion,
) -> Result<String, String> {
    if let Err(at) = super::nesting::check(rego) {
        return Err(format!(
            "{name}:{}:{}: `{{`/`[` nested deeper than {} levels (the limit keeps the Rego parser's time bounded)",
            at.line,
            at.column,
            crate::limits::MAX_REGO_NESTING
        ));
    }
    match engine.add_policy(name.to_owned(), rego.to_owned()) {
        Ok(package) => Ok(package),
        Err(e) => {
            let rewritten = (version == RegoVersion::V0)
                .then(|| super::rewrite::split_chained_bodies(rego))
                .flatten();
            match rewritten {
                Some(text) => engine
                    .add_policy(name.to_owned(), text)
                    .map_err(|_| e.to_string()),
                None => Err(e.to_string()),
            }
        }
    }
}

/// `true` when `text` holds a call of `name` (followed by `(`, spaces allowed)
/// outside comments, not as part of a longer name.
fn mentions_call(text: &str, name: &str) -> bool {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .any(|line| {
            line.match_indices(name).any(|(at, _)| {
                let before = line.get(..at).and_then(|b| b.chars().last());
                let after = line.get(at + name.len()..).unwrap_or_default();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    && after.trim_start().starts_with('(')
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(rego: &str) -> Json {
        json!({
            "apiVersion": "templates.gatekeeper.sh/v1",
            "kind": "ConstraintTemplate",
            "metadata": {"name": "k8srequiredlabels"},
            "spec": {
                "crd": {"spec": {"names": {"kind": "K8sRequiredLabels"}}},
                "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": rego}]
            }
        })
    }

    const V0: &str = r#"
package k8srequiredlabels
violation[{"msg": msg, "details": {"missing": missing}}] {
  provided := {l | input.review.object.metadata.labels[l]}
  required := {l | l := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("you must provide labels: %v", [missing])
}
"#;

    #[test]
    fn v0_template_compiles_and_reports_violations() {
        let t = ConstraintTemplate::from_json(&template(V0), None).unwrap();
        assert_eq!(t.kind(), "K8sRequiredLabels");
        assert_eq!(t.rego_version(), RegoVersion::V0);
        assert_eq!(t.rule(), "data.k8srequiredlabels.violation");
        let input = super::super::value::to_rego(&json!({
            "review": {"object": {"metadata": {"labels": {"app": "x"}}}},
            "parameters": {"labels": ["app", "owner"]}
        }));
        let found = t.evaluate(input, None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].msg, r#"you must provide labels: {"owner"}"#);
        assert_eq!(found[0].details, Some(json!({"missing": ["owner"]})));
    }

    #[test]
    fn v1_template_is_accepted() {
        let rego = r#"
package v1labels
violation contains {"msg": "no labels"} if {
  not input.review.object.metadata.labels
}
"#;
        let input = super::super::value::to_rego(&json!({"review": {"object": {}}}));
        let t = ConstraintTemplate::from_json(&template(rego), None).unwrap();
        assert_eq!(t.evaluate(input.clone(), None).unwrap().len(), 1);
        // Declared through `code[].source.version`.
        let mut declared = template(rego);
        declared["spec"]["targets"][0] = json!({
            "target": "admission.k8s.gatekeeper.sh",
            "code": [
                {"engine": "K8sNativeValidation", "source": {"validations": []}},
                {"engine": "Rego", "source": {"rego": rego, "version": "v1"}}
            ]
        });
        let t = ConstraintTemplate::from_json(&declared, None).unwrap();
        assert_eq!(t.rego_version(), RegoVersion::V1);
        assert_eq!(t.evaluate(input, None).unwrap().len(), 1);
        // v0-only syntax fails as v1.
        declared["spec"]["targets"][0]["code"][1]["source"]["rego"] = json!(V0);
        assert!(ConstraintTemplate::from_json(&declared, None).is_err());
    }

    #[test]
    fn unsupported_and_broken_templates_are_refused() {
        let ext = "package x\nviolation[{\"msg\": m}] {\n  r := external_data({\"provider\": \"p\", \"keys\": []})\n  m := \"x\"\n}\n";
        let err = ConstraintTemplate::from_json(&template(ext), None).unwrap_err();
        assert!(matches!(err, GatekeeperError::Unsupported(_)), "{err}");
        assert!(err.to_string().contains("`external_data`"), "{err}");

        let err =
            ConstraintTemplate::from_json(&template("package x\nviolation[{"), None).unwrap_err();
        assert!(matches!(err, GatekeeperError::Rego(_)), "{err}");

        let mut no_kind = template(V0);
        no_kind["spec"]["crd"] = json!({});
        let err = ConstraintTemplate::from_json(&no_kind, None).unwrap_err();
        assert!(
            err.to_string().contains("spec.crd.spec.names.kind"),
            "{err}"
        );

        let mut cel_only = template(V0);
        cel_only["spec"]["targets"][0] = json!({
            "target": "admission.k8s.gatekeeper.sh",
            "code": [{"engine": "K8sNativeValidation", "source": {"validations": []}}]
        });
        let t = ConstraintTemplate::from_json(&cel_only, None).unwrap();
        assert!(!t.has_rego() && t.cel().is_some());
        assert!(
            t.evaluate(super::super::value::to_rego(&json!({})), None)
                .is_err()
        );

        let mut neither = template(V0);
        neither["spec"]["targets"][0] = json!({
            "target": "admission.k8s.gatekeeper.sh",
            "code": [{"engine": "Other", "source": {}}]
        });
        let err = ConstraintTemplate::from_json(&neither, None).unwrap_err();
        assert!(matches!(err, GatekeeperError::Unsupported(_)), "{err}");

        let mut bad_cel = cel_only.clone();
        bad_cel["spec"]["targets"][0]["code"][0]["source"] =
            json!({"validations": [{"expression": "object.spec +* 1"}]});
        let err = ConstraintTemplate::from_json(&bad_cel, None).unwrap_err();
        assert!(matches!(err, GatekeeperError::Cel(_)), "{err}");
        assert!(
            err.to_string().contains(
                "`spec.targets[0].code[0].source.validations[0].expression`, line 1 column 14"
            ),
            "{err}"
        );
    }

    #[test]
    fn v0_rules_with_several_bodies_load_as_alternatives() {
        let rego = "package multi\nviolation[{\"msg\": m}] {\n  input.review.a\n  m := \"a\"\n} {\n  input.review.b\n  m := \"b\"\n}\n";
        let t = ConstraintTemplate::from_json(&template(rego), None).unwrap();
        let run = |review: Json| {
            let input = super::super::value::to_rego(&json!({"review": review}));
            let mut msgs: Vec<String> = t
                .evaluate(input, None)
                .unwrap()
                .into_iter()
                .map(|v| v.msg)
                .collect();
            msgs.sort();
            msgs
        };
        assert_eq!(run(json!({"a": true, "b": true})), vec!["a", "b"]);
        assert_eq!(run(json!({"b": true})), vec!["b"]);
        assert!(run(json!({})).is_empty());
    }

    #[test]
    fn templates_run_compiled_and_fall_back_to_the_interpreter_with_a_reason() {
        let input = || {
            super::super::value::to_rego(&json!({
                "review": {"object": {"metadata": {"labels": {"app": "x"}}}},
                "parameters": {"labels": ["app", "owner"]}
            }))
        };
        let t = ConstraintTemplate::from_json(&template(V0), None).unwrap();
        assert!(t.is_compiled(), "{:?}", t.interpreter_reason());
        assert_eq!(t.interpreter_reason(), None);
        let compiled = t.evaluate_with(RegoMode::Compiled, input(), None).unwrap();
        let interpreted = t
            .evaluate_with(RegoMode::Interpreter, input(), None)
            .unwrap();
        assert_eq!(compiled, interpreted);
        assert_eq!(compiled[0].msg, r#"you must provide labels: {"owner"}"#);

        // regorus's compiler does not take `with` yet: the interpreter runs it.
        let with = r#"
package withlabels
labels := input.review.object.metadata.labels
violation[{"msg": msg}] {
  l := labels with input.review.object.metadata.labels as {"owner": "me"}
  not l.app
  msg := "overridden"
}
"#;
        let mut t = ConstraintTemplate::from_json(&template(with), None).unwrap();
        assert!(!t.is_compiled());
        let reason = t.interpreter_reason().unwrap();
        assert!(reason.contains("`with`"), "{reason}");
        assert_eq!(t.rego_mode(), RegoMode::Auto);
        assert_eq!(t.evaluate(input(), None).unwrap()[0].msg, "overridden");
        let err = t
            .evaluate_with(RegoMode::Compiled, input(), None)
            .unwrap_err();
        assert!(err.contains("is not compiled"), "{err}");
        t.set_rego_mode(RegoMode::Compiled);
        assert!(t.evaluate(input(), None).is_err());
    }

    #[test]
    fn calls_are_found_outside_comments_only() {
        assert!(mentions_call("x := external_data({})", "external_data"));
        assert!(!mentions_call("# external_data(x)", "external_data"));
        assert!(!mentions_call("my_external_data(x)", "external_data"));
    }
}
