//! Loading pattern policies from YAML with positions, refusing (with file,
//! line and column) every part that this engine does not evaluate.

use std::path::Path;
use std::sync::Arc;

use palisade_core::Location;
use palisade_core::selector::ProblemKind;
use palisade_core::walk::{MANIFEST_EXTENSIONS, Walker, has_extension};
use palisade_core::yaml::{self, Node};
use serde_json::Value;

use super::condition::{Condition, Conditions, Operator, Template};
use super::policy::{
    ActionOverride, CelRule, FailureAction, Filter, LabelSelector, MatchBlock, PatternPolicy,
    Patterns, ResourceDescription, Rule, SubjectFilter,
};
use crate::autogen::POD_CONTROLLERS;
use crate::cel::{Environment, Parts, ValidationSet};

/// The annotation that chooses the controllers (`none` turns autogen off).
pub const AUTOGEN_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";

/// A problem met while loading pattern policies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PatternLoadError {
    /// The policy uses a feature this engine does not evaluate.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsupported(#[from] UnsupportedError),
    /// The policy is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] InvalidPolicyError),
    /// The file could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadPolicyError),
}

impl PatternLoadError {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        match self {
            PatternLoadError::Unsupported(e) => &e.location,
            PatternLoadError::Invalid(e) => &e.location,
            PatternLoadError::Read(e) => &e.location,
        }
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> String {
        match self {
            PatternLoadError::Unsupported(e) => {
                unsupported_message(&e.policy, e.rule.as_deref(), &e.feature)
            }
            PatternLoadError::Invalid(e) => e.message.clone(),
            PatternLoadError::Read(e) => e.message.clone(),
        }
    }
}

/// `policy `p` rule `r`: feature is not supported`.
fn unsupported_message(policy: &str, rule: Option<&str>, feature: &str) -> String {
    let rule = rule.map(|r| format!(" rule `{r}`")).unwrap_or_default();
    format!("policy `{policy}`{rule}: {feature} is not supported")
}

/// A policy part that is not supported, so the policy is not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {}", unsupported_message(policy, rule.as_deref(), feature))]
#[diagnostic(
    code(palisade::pattern::unsupported),
    help(
        "only `validate.pattern` and `validate.anyPattern` rules are evaluated; use a Gatekeeper template for the rest"
    )
)]
pub struct UnsupportedError {
    /// Where the unsupported part is.
    pub location: Location,
    /// The policy's name.
    pub policy: String,
    /// The rule's name, when the part is in a rule.
    pub rule: Option<String>,
    /// What is not supported (`validate.deny with JMESPath conditions`).
    pub feature: String,
}

/// A malformed policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(code(palisade::pattern::invalid))]
pub struct InvalidPolicyError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

/// A policy file that could not be read or is not valid YAML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(code(palisade::pattern::read))]
pub struct ReadPolicyError {
    /// The file (line and column where known).
    pub location: Location,
    /// What went wrong.
    pub message: String,
}

/// What a load produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternLoad {
    /// The policies that loaded.
    pub policies: Vec<PatternPolicy>,
    /// The policies (or files) that did not, and why.
    pub errors: Vec<PatternLoadError>,
}

/// `true` for a Kyverno `ClusterPolicy` or `Policy` document.
pub fn is_pattern_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("kyverno.io/") && matches!(kind, "ClusterPolicy" | "Policy")
}

/// Loads every pattern policy in files and directories (recursively,
/// `.yaml`/`.yml`/`.json`); other documents are ignored.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> PatternLoad {
    let (policies, errors) = load_manifest_files(paths, |file| {
        let load = load_file(file);
        (load.policies, load.errors)
    });
    PatternLoad { policies, errors }
}

/// Every manifest file under `paths` (recursively, `.yaml`/`.yml`/`.json`,
/// in walk order) passed to `load_file`; what the loads produced, with one
/// located error for each path that could not be walked. Shared by the
/// pattern and mutate loaders.
pub(crate) fn load_manifest_files<P: AsRef<Path>, T>(
    paths: &[P],
    mut load_file: impl FnMut(&Path) -> (Vec<T>, Vec<PatternLoadError>),
) -> (Vec<T>, Vec<PatternLoadError>) {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let files =
            match Walker::new().files(path.as_ref(), |p| has_extension(p, &MANIFEST_EXTENSIONS)) {
                Ok(files) => files,
                Err(e) => {
                    errors.push(
                        ReadPolicyError {
                            location: Location::new(e.path.display().to_string(), 1, 1),
                            message: e.reason,
                        }
                        .into(),
                    );
                    continue;
                }
            };
        for file in files {
            let (items, file_errors) = load_file(&file);
            loaded.extend(items);
            errors.extend(file_errors);
        }
    }
    (loaded, errors)
}

/// Loads the pattern policies of one file.
pub fn load_file(path: &Path) -> PatternLoad {
    let (policies, errors) = read_policy_file(path, |name, text| {
        let load = load_str(name, text);
        (load.policies, load.errors)
    });
    PatternLoad { policies, errors }
}

/// Reads the file at `path` as UTF-8 and hands its text (named by its
/// path) to `load`; a file that cannot be read or decoded is one located
/// error.
pub(crate) fn read_policy_file<T>(
    path: &Path,
    load: impl FnOnce(&str, &str) -> (Vec<T>, Vec<PatternLoadError>),
) -> (Vec<T>, Vec<PatternLoadError>) {
    let name = path.display().to_string();
    let read_error = |location, message| {
        (
            Vec::new(),
            vec![ReadPolicyError { location, message }.into()],
        )
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return read_error(Location::new(name, 1, 1), e.to_string()),
    };
    match palisade_core::location::decode_utf8(&name, &bytes) {
        Ok(text) => load(&name, text),
        Err((location, byte)) => read_error(location, format!("not valid UTF-8 (byte {byte})")),
    }
}

/// Loads the pattern policies of a YAML text named `name`.
pub fn load_str(name: &str, text: &str) -> PatternLoad {
    let (policies, errors) = load_policy_documents(
        name,
        text,
        |api, kind, _| is_pattern_policy(api, kind),
        load_policy,
    );
    PatternLoad { policies, errors }
}

/// Loads, with `load`, every document of the YAML text named `name` that
/// `wanted` accepts (by `apiVersion`, `kind` and content); other documents
/// are ignored, YAML errors located.
pub(crate) fn load_policy_documents<T>(
    name: &str,
    text: &str,
    wanted: impl Fn(&str, &str, &Node) -> bool,
    load: impl Fn(&str, &Node) -> Result<T, Vec<PatternLoadError>>,
) -> (Vec<T>, Vec<PatternLoadError>) {
    let (mut loaded, mut errors) = (Vec::new(), Vec::new());
    for doc in yaml::parse_stream(text) {
        match doc {
            Err(e) => errors.push(
                ReadPolicyError {
                    location: Location::new(name, e.line, e.column),
                    message: e.message,
                }
                .into(),
            ),
            Ok(doc) => {
                let root = &doc.root;
                let api = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
                let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
                if !wanted(api, kind, root) {
                    continue;
                }
                match load(name, root) {
                    Ok(p) => loaded.push(p),
                    Err(e) => errors.extend(e),
                }
            }
        }
    }
    (loaded, errors)
}

pub(crate) struct Loader<'a> {
    pub(crate) file: &'a str,
    pub(crate) policy: String,
    pub(crate) errors: Vec<PatternLoadError>,
}

impl Loader<'_> {
    pub(crate) fn at(&self, node: &Node) -> Location {
        Location::new(self.file, node.line, node.column)
    }

    pub(crate) fn unsupported(
        &mut self,
        node: &Node,
        rule: Option<&str>,
        feature: impl Into<String>,
    ) {
        self.errors.push(
            UnsupportedError {
                location: self.at(node),
                policy: self.policy.clone(),
                rule: rule.map(str::to_owned),
                feature: feature.into(),
            }
            .into(),
        );
    }

    pub(crate) fn invalid(&mut self, node: &Node, message: impl Into<String>) {
        self.errors.push(
            InvalidPolicyError {
                location: self.at(node),
                message: format!("policy `{}`: {}", self.policy, message.into()),
            }
            .into(),
        );
    }

    /// The items of an optional list field: none when it is absent; when it
    /// is not a list, `message` is reported at it and none.
    pub(crate) fn list_items<'n>(&mut self, node: Option<&'n Node>, message: &str) -> &'n [Node] {
        let Some(node) = node else {
            return &[];
        };
        node.items().unwrap_or_else(|| {
            self.invalid(node, message);
            &[]
        })
    }
}

/// The key node of `key` in a mapping (for positions of unsupported keys).
pub(crate) fn key_node<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.entries()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(k, _)| k)
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(n) => match n.items() {
            Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
            None => n.scalar_text().into_iter().collect(),
        },
        None => Vec::new(),
    }
}

/// The strings of a field Kyverno types as a list (`kinds`, `namespaces`,
/// ...): a scalar there is an error naming the field, as the policy CRD's
/// schema rejects it.
fn string_list(l: &mut Loader<'_>, node: Option<&Node>, field: &str) -> Vec<String> {
    match node {
        None => Vec::new(),
        Some(n) if n.is_null() => Vec::new(),
        Some(n) => match n.items() {
            Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
            None => {
                l.invalid(n, format!("`{field}` must be a list"));
                Vec::new()
            }
        },
    }
}

fn failure_action(text: &str) -> Option<FailureAction> {
    match text.to_ascii_lowercase().as_str() {
        "enforce" => Some(FailureAction::Enforce),
        "audit" => Some(FailureAction::Audit),
        _ => None,
    }
}

/// A policy document's loader, `metadata.name` (an error when missing)
/// and, for a namespaced `Policy`, its namespace (`default` when unset).
pub(crate) fn policy_header<'a>(
    file: &'a str,
    root: &Node,
) -> (Loader<'a>, String, Option<String>) {
    let metadata = root.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let mut l = Loader {
        file,
        policy: name.clone(),
        errors: Vec::new(),
    };
    if name.is_empty() {
        l.invalid(root, "missing `metadata.name`");
    }
    let namespace = (root.get("kind").and_then(Node::as_str) == Some("Policy")).then(|| {
        metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| "default".to_owned())
    });
    (l, name, namespace)
}

/// Loads one `ClusterPolicy`/`Policy` document.
pub fn load_policy(file: &str, root: &Node) -> Result<PatternPolicy, Vec<PatternLoadError>> {
    let (mut l, name, namespace) = policy_header(file, root);
    let metadata = root.get("metadata");
    let Some(spec) = root.get("spec").filter(|s| s.entries().is_some()) else {
        l.invalid(root, "missing `spec`");
        return Err(l.errors);
    };
    let mut action = FailureAction::Audit;
    if let Some(n) = spec.get("validationFailureAction") {
        match n.as_str().and_then(failure_action) {
            Some(a) => action = a,
            None => l.invalid(n, "`validationFailureAction` must be `Enforce` or `Audit`"),
        }
    }
    let action_overrides = load_overrides(&mut l, spec.get("validationFailureActionOverrides"));
    let background = spec
        .get("background")
        .is_none_or(|b| !matches!(b.value, palisade_core::yaml::Value::Bool(false)));
    for key in ["applyRules", "webhookConfiguration"] {
        if let Some(n) = key_node(spec, key) {
            l.unsupported(n, None, format!("`spec.{key}`"));
        }
    }
    let Some(rules) = spec.get("rules").and_then(Node::items) else {
        l.invalid(spec, "missing `spec.rules`");
        return Err(l.errors);
    };
    let mut loaded = Vec::new();
    let mut raw_conditions = Vec::new();
    for rule in rules {
        if let Some((r, raw)) = load_rule(&mut l, rule) {
            loaded.push(r);
            raw_conditions.push(raw);
        }
    }
    if !l.errors.is_empty() {
        return Err(l.errors);
    }
    let annotation = autogen_annotation(metadata);
    let generated = autogen(&mut l, &loaded, &raw_conditions, annotation);
    if !l.errors.is_empty() {
        return Err(l.errors);
    }
    loaded.extend(generated);
    Ok(PatternPolicy {
        name,
        namespace,
        failure_action: action,
        background,
        action_overrides,
        rules: loaded,
        location: l.at(root),
    })
}

/// A rule's preconditions as written, kept to re-read them for autogen rules.
type RawConditions = Option<(Node, Value)>;

fn load_rule(l: &mut Loader<'_>, node: &Node) -> Option<(Rule, RawConditions)> {
    let (name, before) = rule_name(l, node);
    let rule = Some(name.as_str());
    for (key, feature) in [
        ("mutate", "`mutate`"),
        ("generate", "`generate`"),
        ("verifyImages", "`verifyImages`"),
        (
            "context",
            "`context` (variables from API calls, ConfigMaps or JMESPath)",
        ),
        (
            "celPreconditions",
            "`celPreconditions` (CEL) outside a `validate.cel` rule",
        ),
    ] {
        let cel_rule = node.get("validate").is_some_and(|v| v.get("cel").is_some());
        if key == "celPreconditions" && cel_rule {
            continue;
        }
        if let Some(n) = key_node(node, key) {
            l.unsupported(n, rule, feature);
        }
    }
    let Some(validate) = node.get("validate") else {
        if l.errors.len() == before {
            l.unsupported(node, rule, "a rule without `validate`");
        }
        return None;
    };
    for (key, feature) in [
        ("deny", "`validate.deny` with JMESPath conditions"),
        ("foreach", "`validate.foreach`"),
        (
            "podSecurity",
            "`validate.podSecurity` (use the native Pod Security Standards instead)",
        ),
        ("manifests", "`validate.manifests` (signed manifests)"),
        ("assert", "`validate.assert`"),
    ] {
        if let Some(n) = key_node(validate, key) {
            l.unsupported(n, rule, feature);
        }
    }
    let patterns = match (validate.get("pattern"), validate.get("anyPattern")) {
        (None, None) if validate.get("cel").is_some() => load_cel(l, node, rule),
        (Some(p), None) => {
            check_variables(l, p, rule);
            Some(Patterns::One(p.to_json()))
        }
        (None, Some(any)) => match any.items() {
            Some(items) if !items.is_empty() => {
                for p in items {
                    check_variables(l, p, rule);
                }
                Some(Patterns::Any(items.iter().map(Node::to_json).collect()))
            }
            _ => {
                l.invalid(any, "`anyPattern` must be a non-empty list");
                None
            }
        },
        (Some(_), Some(any)) => {
            l.invalid(any, "a rule has both `pattern` and `anyPattern`");
            None
        }
        (None, None) => {
            if l.errors.len() == before {
                l.unsupported(
                    validate,
                    rule,
                    "a `validate` rule without `pattern` or `anyPattern`",
                );
            }
            None
        }
    };
    let message = validate
        .get("message")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let rule_action = match validate.get("failureAction") {
        Some(n) => match n.as_str().and_then(failure_action) {
            Some(a) => Some(a),
            None => {
                l.invalid(n, "`failureAction` must be `Enforce` or `Audit`");
                None
            }
        },
        None => None,
    };
    let action_overrides = load_overrides(l, validate.get("failureActionOverrides"));
    let (match_, exclude) = load_match_exclude(l, node, &name);
    let raw = node.get("preconditions").map(|p| (p.clone(), p.to_json()));
    let preconditions = raw
        .as_ref()
        .and_then(|(n, v)| load_conditions(l, n, v, rule));
    if l.errors.len() != before {
        return None;
    }
    let patterns = patterns?;
    Some((
        Rule {
            name,
            autogen_of: None,
            match_,
            exclude,
            preconditions,
            message_template: message_template(&message),
            message,
            patterns,
            failure_action: rule_action,
            action_overrides,
            location: l.at(node),
        },
        raw,
    ))
}

/// The node at `path` (`validate.cel.expressions[0].expression`) under `root`.
fn node_at<'a>(root: &'a Node, path: &str) -> Option<&'a Node> {
    path.split('.').try_fold(root, |node, step| {
        let (key, index) = match step.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (step, None),
        };
        let node = node.get(key)?;
        match index {
            Some(i) => node.items()?.get(i),
            None => Some(node),
        }
    })
}

/// `validate.cel` of a rule (with the rule's `celPreconditions`), compiled
/// by the CEL engine; errors point at the expression.
fn load_cel(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) -> Option<Patterns> {
    let json = node.to_json();
    let cel = json.pointer("/validate/cel")?;
    fn part<'v>(value: Option<&'v Value>, path: &str) -> Option<(&'v Value, String)> {
        value.map(|v| (v, path.to_owned()))
    }
    let parts = Parts {
        match_conditions: part(json.get("celPreconditions"), "celPreconditions"),
        variables: part(cel.get("variables"), "validate.cel.variables"),
        validations: part(cel.get("expressions"), "validate.cel.expressions"),
        audit_annotations: part(cel.get("auditAnnotations"), "validate.cel.auditAnnotations"),
    };
    for key in ["paramKind", "paramRef", "generate"] {
        if let Some(n) = node
            .get("validate")
            .and_then(|v| v.get("cel"))
            .and_then(|c| key_node(c, key))
        {
            l.unsupported(n, rule, format!("`validate.cel.{key}`"));
            return None;
        }
    }
    let file = l.file.to_owned();
    let locate = |path: &str| {
        node_at(node, path)
            .or_else(|| node_at(node, "validate.cel"))
            .map(|n| Location::new(file.as_str(), n.line, n.column))
    };
    match ValidationSet::from_parts(&Environment::admission(), parts, &locate) {
        Ok(set) => Some(Patterns::Cel(CelRule {
            expressions: Arc::new(set),
            pod_template: None,
        })),
        Err(mut e) => {
            let at = node_at(node, &e.field).unwrap_or(node);
            // The loader's error names the file and position itself.
            e.location = None;
            let rule = rule.unwrap_or_default();
            l.invalid(at, format!("rule `{rule}`: {e}"));
            None
        }
    }
}

/// The message as a template when it has variables the subset can resolve.
fn message_template(message: &str) -> Option<Template> {
    if !message.contains("{{") {
        return None;
    }
    Template::parse(&Value::String(message.to_owned())).ok()
}

/// Refuses `{{ }}` variables in pattern keys and values.
fn check_variables(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) {
    match &node.value {
        palisade_core::yaml::Value::String(s) if s.contains("{{") => {
            l.unsupported(node, rule, format!("the variable in pattern value `{s}`"));
        }
        palisade_core::yaml::Value::Seq(items) => {
            for item in items {
                check_variables(l, item, rule);
            }
        }
        palisade_core::yaml::Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_str().is_some_and(|s| s.contains("{{")) {
                    l.unsupported(k, rule, "a variable in a pattern key");
                }
                check_variables(l, v, rule);
            }
        }
        _ => {}
    }
}

pub(crate) fn load_conditions(
    l: &mut Loader<'_>,
    node: &Node,
    json: &Value,
    rule: Option<&str>,
) -> Option<Conditions> {
    let mut out = Conditions::default();
    let list = |l: &mut Loader<'_>,
                node: Option<&Node>,
                json: Option<&Value>,
                target: &mut Vec<Condition>| {
        let (Some(node), Some(json)) = (node, json) else {
            return;
        };
        let (Some(items), Some(values)) = (node.items(), json.as_array()) else {
            l.invalid(node, "conditions must be a list");
            return;
        };
        for (item, value) in items.iter().zip(values) {
            let operator = value.get("operator").and_then(Value::as_str).unwrap_or("");
            let Some(op) = Operator::parse(operator) else {
                l.unsupported(item, rule, format!("the condition operator `{operator}`"));
                continue;
            };
            let key = Template::parse(value.get("key").unwrap_or(&Value::Null));
            let val = Template::parse(value.get("value").unwrap_or(&Value::Null));
            match (key, val) {
                (Ok(key), Ok(value)) => target.push(Condition {
                    key,
                    operator: op,
                    value,
                }),
                (Err(e), _) | (_, Err(e)) => l.unsupported(item, rule, e),
            }
        }
    };
    if node.items().is_some() {
        list(l, Some(node), Some(json), &mut out.all);
    } else {
        list(l, node.get("any"), json.get("any"), &mut out.any);
        list(l, node.get("all"), json.get("all"), &mut out.all);
    }
    Some(out)
}

fn load_overrides(l: &mut Loader<'_>, node: Option<&Node>) -> Vec<ActionOverride> {
    let items = l.list_items(node, "failure action overrides must be a list");
    let mut out = Vec::new();
    for item in items {
        let action = item
            .get("action")
            .and_then(Node::as_str)
            .and_then(failure_action);
        let Some(action) = action else {
            l.invalid(
                item,
                "an override needs `action: Enforce` or `action: Audit`",
            );
            continue;
        };
        let namespace_selector = item
            .get("namespaceSelector")
            .map(|s| load_selector(l, s, "namespaceSelector"));
        out.push(ActionOverride {
            action,
            namespaces: string_list(l, item.get("namespaces"), "namespaces"),
            namespace_selector,
        });
    }
    out
}

fn load_selector(l: &mut Loader<'_>, node: &Node, field: &str) -> LabelSelector {
    let (selector, problems) = palisade_core::selector::parse(node, field, &[]);
    for problem in problems {
        if problem.kind == ProblemKind::Invalid {
            l.invalid(problem.node, problem.to_string());
        }
    }
    LabelSelector(selector)
}

fn load_filter(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) -> Filter {
    let mut f = Filter::default();
    if node.entries().is_none() {
        l.invalid(node, "a match filter must be a mapping");
        return f;
    }
    if let Some(r) = node.get("resources") {
        if r.entries().is_none() {
            l.invalid(r, "`resources` must be a mapping");
        }
        let mut names = string_list(l, r.get("names"), "resources.names");
        names.extend(strings(r.get("name")));
        let annotations = r
            .get("annotations")
            .and_then(Node::entries)
            .map(|e| {
                e.iter()
                    .map(|(k, v)| {
                        (
                            k.scalar_text().unwrap_or_default(),
                            v.scalar_text().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let selector = r.get("selector").map(|s| load_selector(l, s, "selector"));
        let namespace_selector = r
            .get("namespaceSelector")
            .map(|s| load_selector(l, s, "namespaceSelector"));
        f.resources = Some(ResourceDescription {
            kinds: string_list(l, r.get("kinds"), "resources.kinds"),
            names,
            namespaces: string_list(l, r.get("namespaces"), "resources.namespaces"),
            annotations,
            selector,
            namespace_selector,
            operations: string_list(l, r.get("operations"), "resources.operations"),
        });
    }
    if let Some(subjects) = node.get("subjects").and_then(Node::items) {
        for s in subjects {
            f.subjects.push(SubjectFilter {
                kind: s
                    .get("kind")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
                name: s
                    .get("name")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
                namespace: s.get("namespace").and_then(Node::scalar_text),
            });
        }
    }
    f.roles = string_list(l, node.get("roles"), "roles");
    f.cluster_roles = string_list(l, node.get("clusterRoles"), "clusterRoles");
    for (k, _) in node.entries().unwrap_or_default() {
        let key = k.as_str().unwrap_or("");
        if !matches!(key, "resources" | "subjects" | "roles" | "clusterRoles") {
            l.unsupported(k, rule, format!("the match field `{key}`"));
        }
    }
    f
}

/// The `name` a rule opens with (an error when it is missing) and the
/// number of errors before the rule, so that its loader can tell whether
/// the rule itself added any.
pub(crate) fn rule_name(l: &mut Loader<'_>, node: &Node) -> (String, usize) {
    let name = node
        .get("name")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let before = l.errors.len();
    if name.is_empty() {
        l.invalid(node, "a rule without `name`");
    }
    (name, before)
}

/// A rule's `match` block (required: an error and an empty block when it
/// is missing) and its optional `exclude` block.
pub(crate) fn load_match_exclude(
    l: &mut Loader<'_>,
    node: &Node,
    name: &str,
) -> (MatchBlock, Option<MatchBlock>) {
    let rule = Some(name);
    let match_ = match node.get("match") {
        Some(m) => load_match(l, m, rule),
        None => {
            l.invalid(node, format!("rule `{name}` without `match`"));
            MatchBlock::default()
        }
    };
    let exclude = node.get("exclude").map(|e| load_match(l, e, rule));
    (match_, exclude)
}

pub(crate) fn load_match(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) -> MatchBlock {
    let mut block = MatchBlock::default();
    if node.entries().is_none() {
        l.invalid(node, "`match`/`exclude` must be a mapping");
        return block;
    }
    let any = node.get("any");
    let all = node.get("all");
    if any.is_none() && all.is_none() {
        // The older form: one filter directly under `match`.
        block.all.push(load_filter(l, node, rule));
        return block;
    }
    for (list, target) in [(any, &mut block.any), (all, &mut block.all)] {
        if let Some(list) = list {
            match list.items() {
                Some(items) => target.extend(items.iter().map(|f| load_filter(l, f, rule))),
                None => l.invalid(list, "`any`/`all` must be a list of filters"),
            }
        }
    }
    block
}

/// Whether a policy qualifies for autogen, as Kyverno decides it: every
/// filter without names, selectors or annotations, no filter mixing Pod
/// with other kinds, and some filter on Pod.
fn can_autogen(rules: &[Rule]) -> bool {
    can_autogen_blocks(rules.iter().map(|r| (&r.match_, r.exclude.as_ref())))
}

/// [`can_autogen`] on each rule's (`match`, `exclude`), for every kind of
/// rule (validate and mutate).
pub(crate) fn can_autogen_blocks<'a>(
    rules: impl IntoIterator<Item = (&'a MatchBlock, Option<&'a MatchBlock>)>,
) -> bool {
    let mut needed = false;
    for (match_, exclude) in rules {
        let blocks = std::iter::once(match_).chain(exclude);
        for (i, block) in blocks.enumerate() {
            for filter in block.any.iter().chain(&block.all) {
                let Some(r) = &filter.resources else { continue };
                let has_pod = r.kinds.iter().any(|k| k == "Pod");
                if !r.names.is_empty()
                    || r.selector.is_some()
                    || !r.annotations.is_empty()
                    || (r.kinds.len() > 1 && has_pod)
                {
                    return false;
                }
                if i == 0 && has_pod {
                    needed = true;
                }
            }
        }
    }
    needed
}

/// The controllers autogen generates rules for, from the annotation:
/// (the controllers other than CronJob, whether CronJob is one);
/// `None` when the annotation turns autogen off.
pub(crate) fn autogen_controllers(annotation: Option<&str>) -> Option<(Vec<String>, bool)> {
    let controllers: Vec<String> = match annotation {
        Some("none") => return None,
        Some(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
        None => POD_CONTROLLERS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let plain = controllers
        .iter()
        .filter(|c| *c != "CronJob")
        .cloned()
        .collect();
    Some((plain, controllers.iter().any(|c| c == "CronJob")))
}

/// The policy's autogen annotation ([`AUTOGEN_ANNOTATION`])
/// in its `metadata`, when set.
pub(crate) fn autogen_annotation(metadata: Option<&Node>) -> Option<&str> {
    metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(AUTOGEN_ANNOTATION))
        .and_then(Node::as_str)
}

/// The rules autogen makes of rule `rule`, as `(name, kinds, cronjob)`:
/// `autogen-<rule>` for the controllers other than CronJob (when there are
/// any) and `autogen-cronjob-<rule>` for CronJob (whose Pod template sits
/// one level deeper).
pub(crate) fn autogen_variants(
    rule: &str,
    plain: &[String],
    cron: bool,
) -> Vec<(String, Vec<String>, bool)> {
    let mut variants = Vec::new();
    if !plain.is_empty() {
        variants.push((format!("autogen-{rule}"), plain.to_vec(), false));
    }
    if cron {
        variants.push((
            format!("autogen-cronjob-{rule}"),
            vec!["CronJob".to_owned()],
            true,
        ));
    }
    variants
}

/// Whether a rule's `match` selects Pods (autogen generates rules for it).
pub(crate) fn matches_pods(block: &MatchBlock) -> bool {
    block.any.iter().chain(&block.all).any(|f| {
        f.resources
            .as_ref()
            .is_some_and(|r| r.kinds.iter().any(|k| k == "Pod"))
    })
}

pub(crate) fn rewrite_variables(text: &str, cronjob: bool) -> String {
    let template = if cronjob {
        "spec.jobTemplate.spec.template."
    } else {
        "spec.template."
    };
    let mut out = text.to_owned();
    for obj in ["request.object.", "request.oldObject."] {
        for field in ["spec", "metadata"] {
            let from = format!("{obj}{field}");
            let to = format!("{obj}{template}{field}");
            out = out.replace(&from, &to);
        }
    }
    out
}

pub(crate) fn rewrite_json(value: &Value, cronjob: bool) -> Value {
    match value {
        Value::String(s) => Value::String(rewrite_variables(s, cronjob)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| rewrite_json(v, cronjob)).collect())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), rewrite_json(v, cronjob)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn wrap(pattern: &Value, cronjob: bool) -> Value {
    let template = serde_json::json!({ "template": pattern });
    if cronjob {
        serde_json::json!({"spec": {"jobTemplate": {"spec": template}}})
    } else {
        serde_json::json!({ "spec": template })
    }
}

pub(crate) fn with_kinds(block: &MatchBlock, kinds: &[String]) -> MatchBlock {
    let map = |f: &Filter| {
        let mut f = f.clone();
        if let Some(r) = &mut f.resources
            && r.kinds.iter().any(|k| k == "Pod")
        {
            r.kinds = kinds.to_vec();
        }
        f
    };
    MatchBlock {
        any: block.any.iter().map(map).collect(),
        all: block.all.iter().map(map).collect(),
    }
}

fn autogen(
    l: &mut Loader<'_>,
    rules: &[Rule],
    raw: &[RawConditions],
    annotation: Option<&str>,
) -> Vec<Rule> {
    let Some((plain, cron)) = autogen_controllers(annotation) else {
        return Vec::new();
    };
    if !can_autogen(rules) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (rule, raw) in rules.iter().zip(raw) {
        if !matches_pods(&rule.match_) {
            continue;
        }
        for (name, kinds, cronjob) in autogen_variants(&rule.name, &plain, cron) {
            let preconditions = raw.as_ref().and_then(|(node, json)| {
                load_conditions(l, node, &rewrite_json(json, cronjob), Some(&rule.name))
            });
            let patterns = match &rule.patterns {
                Patterns::One(p) => Patterns::One(wrap(p, cronjob)),
                Patterns::Any(ps) => Patterns::Any(ps.iter().map(|p| wrap(p, cronjob)).collect()),
                Patterns::Cel(c) => Patterns::Cel(CelRule {
                    expressions: Arc::clone(&c.expressions),
                    pod_template: Some(cronjob),
                }),
            };
            out.push(Rule {
                name,
                autogen_of: Some(rule.name.clone()),
                match_: with_kinds(&rule.match_, &kinds),
                exclude: rule.exclude.as_ref().map(|e| with_kinds(e, &kinds)),
                preconditions,
                message_template: message_template(&rewrite_variables(&rule.message, cronjob)),
                message: rewrite_variables(&rule.message, cronjob),
                patterns,
                failure_action: rule.failure_action,
                action_overrides: rule.action_overrides.clone(),
                location: rule.location.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-team
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "label `team` is required"
      pattern:
        metadata:
          labels:
            team: "?*"
"#;

    /// The one policy of `text`, which must load without errors.
    fn loaded(text: &str) -> PatternPolicy {
        let load = load_str("p.yaml", text);
        assert!(load.errors.is_empty(), "{:?}", load.errors);
        assert_eq!(load.policies.len(), 1);
        load.policies.into_iter().next().unwrap()
    }

    /// The first error of `text`, whose policy must not load.
    fn refused(text: &str) -> String {
        let load = load_str("p.yaml", text);
        assert!(load.policies.is_empty(), "{:?}", load.policies);
        load.errors[0].to_string()
    }

    #[test]
    fn loads_and_generates_controller_rules() {
        let p = &loaded(POLICY);
        assert_eq!(p.failure_action, FailureAction::Enforce);
        let names: Vec<&str> = p.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "check-team",
                "autogen-check-team",
                "autogen-cronjob-check-team"
            ]
        );
    }

    #[test]
    fn failure_action_overrides_apply_per_namespace() {
        let text = POLICY.replace(
            "  validationFailureAction: Enforce\n",
            "  validationFailureAction: Enforce\n  validationFailureActionOverrides:\n  - action: Audit\n    namespaces: [dev-*]\n",
        );
        let p = &loaded(&text);
        let pod = |ns: &str| serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}});
        let (dev, prod) = (pod("dev-1"), pod("prod"));
        let rule = &p.rules[0];
        assert_eq!(
            p.action_for(rule, &crate::pattern::PatternRequest::create(&dev)),
            FailureAction::Audit
        );
        assert_eq!(
            p.action_for(rule, &crate::pattern::PatternRequest::create(&prod)),
            FailureAction::Enforce
        );
    }

    #[test]
    fn message_variables_are_resolved() {
        let text = POLICY.replace(
            "message: \"label `team` is required\"",
            "message: \"{{ request.object.metadata.name }} needs label `team`\"",
        );
        let pod =
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}});
        let results = loaded(&text).evaluate(&crate::pattern::PatternRequest::create(&pod));
        assert!(
            results[0]
                .message
                .starts_with("validation error: web needs label `team`."),
            "{}",
            results[0].message
        );
    }

    #[test]
    fn deny_is_refused_with_its_position() {
        let text = POLICY.replace(
            "      pattern:\n        metadata:\n          labels:\n            team: \"?*\"\n",
            "      deny:\n        conditions:\n          any:\n          - key: \"{{ request.object.metadata.name }}\"\n            operator: Equals\n            value: x\n",
        );
        let message = refused(&text);
        assert!(
            message.starts_with(
                "p.yaml:15:7: policy `require-labels` rule `check-team`: `validate.deny`"
            ),
            "{message}"
        );
    }

    #[test]
    fn variables_in_patterns_are_refused() {
        let text = POLICY.replace(
            "team: \"?*\"",
            "team: \"{{ request.object.metadata.name }}\"",
        );
        let message = refused(&text);
        assert!(message.contains("p.yaml:18:19"), "{message}");
    }
}
