//! A runner for Kyverno CLI test files (`kyverno-test.yaml`, kind `Test`,
//! `cli.kyverno.io/v1alpha1`), like `kyverno test` for the pattern-policy
//! subset: every expected (policy, rule, kind, resource, result) entry is
//! checked against what [`crate::pattern`] decides.
//!
//! Semantics, as the Kyverno CLI has them: each resource is reviewed as a
//! `CREATE` (a values file may set `request.operation` per resource); for a
//! Pod controller the result may be named after the rule or after its
//! generated `autogen-` rule; a rule that does not select the resource
//! gives `skip`. Entries whose policy could not be loaded (unsupported
//! features) fail with the load error as detail and are counted apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade_core::Location;
use palisade_core::manifest::{self, Manifest};
use palisade_core::walk::Walker;
use palisade_core::yaml::{self, Node};

use crate::cel::kyverno_policy::{self, PolicyResult, ValidatingPolicy};
use crate::pattern::{self, PatternLoadError, PatternPolicy, PatternRequest, RuleStatus};
use crate::review::{AdmissionRequest, Context, Operation};

/// The file name `kyverno test` looks for.
pub const TEST_FILE_NAME: &str = "kyverno-test.yaml";

/// A test file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(
    code(palisade::kyverno_test::read),
    help("a Kyverno test is a `Test` document with `policies`, `resources` and `results`")
)]
pub struct TestFileError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

/// How one expected result turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    /// The engine gave the expected result.
    Passed,
    /// The engine gave another result (or the resource was not found).
    Failed,
    /// The policy could not be loaded: it uses unsupported features.
    Unsupported,
}

/// One checked (policy, rule, resource) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The test file.
    pub suite: String,
    /// The test's `metadata.name`.
    pub test: String,
    /// `policy/rule/Kind/resource`.
    pub case: String,
    /// The result the file expects.
    pub expected: String,
    /// The result the engine gave (`unsupported` when the policy did not load).
    pub actual: String,
    /// How it turned out.
    pub status: CaseStatus,
    /// Details: the engine's message, or the load errors' messages
    /// (without their positions: those are in `load_errors`).
    pub detail: String,
    /// Where the expected result is written in the test file (its
    /// `results` entry).
    pub location: Location,
    /// For a policy that did not load: why, with where.
    pub load_errors: Vec<PatternLoadError>,
}

impl CaseOutcome {
    /// `true` when the expected result was produced.
    pub fn passed(&self) -> bool {
        self.status == CaseStatus::Passed
    }
}

/// Every `kyverno-test.yaml` under the given paths (files or directories,
/// walked recursively, including hidden `.kyverno-test` directories).
pub fn find_test_files<P: AsRef<Path>>(paths: &[P]) -> Vec<PathBuf> {
    let walker = Walker::new().include_hidden(true);
    let mut out = Vec::new();
    for path in paths {
        let path = path.as_ref();
        match walker.files(path, |p| {
            p.file_name().and_then(|n| n.to_str()) == Some(TEST_FILE_NAME)
        }) {
            Ok(mut files) => out.append(&mut files),
            // Reading the path at fault reports what is wrong with it.
            Err(e) => out.push(e.path),
        }
    }
    out
}

struct Expected {
    location: Location,
    policy: String,
    rule: String,
    kind: Option<String>,
    resources: Vec<String>,
    result: String,
    /// `patchedResource(s)`: the expected mutated resource's file.
    patched: Option<String>,
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::scalar_text)
}

fn texts(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::items)
        .map(|items| items.iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

/// What a values file sets: `request.operation` per (policy, resource)
/// (`("", "")` for `globalValues`), and namespace labels for
/// `namespaceSelector`s.
#[derive(Default)]
struct Values {
    operations: BTreeMap<(String, String), String>,
    namespace_labels: BTreeMap<String, serde_json::Value>,
    /// `namespaces`: Namespace objects (what `namespaceObject` is in CEL).
    namespaces: Vec<serde_json::Value>,
    /// Variable values for mutate rules (`globalValues`, per-rule `values`).
    variables: crate::mutate::Values,
}

fn load_values(path: &Path) -> Values {
    let mut values = Values::default();
    let Ok(body) = std::fs::read_to_string(path) else {
        return values;
    };
    let out = &mut values.operations;
    for doc in yaml::parse_stream(&body).into_iter().flatten() {
        for ns in doc
            .root
            .get("namespaceSelector")
            .and_then(Node::items)
            .unwrap_or_default()
        {
            if let Some(name) = text(ns.get("name")) {
                let labels = ns
                    .get("labels")
                    .map_or(serde_json::Value::Null, Node::to_json);
                values.namespace_labels.insert(name, labels);
            }
        }
        values.namespaces.extend(
            doc.root
                .get("namespaces")
                .and_then(Node::items)
                .unwrap_or_default()
                .iter()
                .map(Node::to_json),
        );
        let global = doc
            .root
            .get("globalValues")
            .and_then(|g| g.get("request.operation"))
            .and_then(Node::scalar_text);
        if let Some(op) = global {
            out.insert((String::new(), String::new()), op);
        }
        for (k, v) in doc
            .root
            .get("globalValues")
            .and_then(Node::entries)
            .unwrap_or_default()
        {
            if let Some(k) = k.scalar_text() {
                values.variables.global.insert(k, v.to_json());
            }
        }
        for policy in doc
            .root
            .get("policies")
            .and_then(Node::items)
            .unwrap_or_default()
        {
            let name = text(policy.get("name")).unwrap_or_default();
            for rule in policy
                .get("rules")
                .and_then(Node::items)
                .unwrap_or_default()
            {
                let rule_name = text(rule.get("name")).unwrap_or_default();
                for (k, v) in rule
                    .get("values")
                    .and_then(Node::entries)
                    .unwrap_or_default()
                {
                    if let Some(k) = k.scalar_text() {
                        values
                            .variables
                            .rules
                            .entry((name.clone(), rule_name.clone()))
                            .or_default()
                            .insert(k, v.to_json());
                    }
                }
            }
            for resource in policy
                .get("resources")
                .and_then(Node::items)
                .unwrap_or_default()
            {
                if let Some(op) = resource
                    .get("values")
                    .and_then(|v| v.get("request.operation"))
                    .and_then(Node::scalar_text)
                {
                    out.insert(
                        (name.clone(), text(resource.get("name")).unwrap_or_default()),
                        op,
                    );
                }
            }
        }
    }
    values
}

fn matches_ref(m: &Manifest, reference: &str, kind: Option<&str>) -> bool {
    if kind.is_some_and(|k| m.kind() != Some(k)) {
        return false;
    }
    match reference.split_once('/') {
        Some((ns, name)) => m.name() == Some(name) && m.namespace().unwrap_or("default") == ns,
        None => m.name() == Some(reference),
    }
}

/// Kinds that have no namespace.
const CLUSTER_SCOPED: [&str; 16] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ClusterPolicy",
    "APIService",
];

/// `object`, in namespace `default` when it is namespaced and names none.
fn with_default_namespace(object: &serde_json::Value) -> serde_json::Value {
    let mut object = object.clone();
    let kind = object
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    if !CLUSTER_SCOPED.contains(&kind)
        && object.pointer("/metadata/namespace").is_none()
        && let Some(metadata) = object
            .get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut)
    {
        metadata.insert("namespace".into(), "default".into());
    }
    object
}

/// The cluster objects and image metadata of a `context.yaml` (kind
/// `Context`, `spec.resources` and `spec.images`).
fn load_context(
    path: &Path,
) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>), TestFileError> {
    let report = manifest::load_file(path);
    if let Some(e) = report.errors.first() {
        return Err(TestFileError {
            location: Location::new(path.display().to_string(), 1, 1),
            message: format!("context file: {e}"),
        });
    }
    let list = |pointer: &str| -> Vec<serde_json::Value> {
        report
            .objects
            .iter()
            .filter(|m| m.kind() == Some("Context"))
            .filter_map(|m| {
                m.object
                    .pointer(pointer)
                    .and_then(serde_json::Value::as_array)
            })
            .flatten()
            .cloned()
            .collect()
    };
    Ok((list("/spec/resources"), list("/spec/images")))
}

/// Runs one test file.
pub fn run_test_file(path: &Path) -> Result<Vec<CaseOutcome>, TestFileError> {
    let suite = path.display().to_string();
    let error = |line, column, message: String| TestFileError {
        location: Location::new(suite.clone(), line, column),
        message,
    };
    let body = std::fs::read_to_string(path).map_err(|e| error(1, 1, e.to_string()))?;
    let docs = yaml::parse_stream(&body);
    let root = match docs.into_iter().next() {
        Some(Ok(doc)) => doc.root,
        Some(Err(e)) => return Err(error(e.line, e.column, e.message)),
        None => return Err(error(1, 1, "empty test file".to_owned())),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let test_name = root
        .get("metadata")
        .and_then(|m| text(m.get("name")))
        .unwrap_or_else(|| suite.clone());
    let policy_files = texts(root.get("policies"));
    if policy_files.is_empty() {
        return Err(error(
            root.line,
            root.column,
            "no `policies` listed".to_owned(),
        ));
    }
    let mut policies: Vec<PatternPolicy> = Vec::new();
    let mut load_errors: Vec<PatternLoadError> = Vec::new();
    let mut failed_names: BTreeMap<String, Vec<PatternLoadError>> = BTreeMap::new();
    let mut validating: Vec<ValidatingPolicy> = Vec::new();
    let mut validating_failed: BTreeMap<String, String> = BTreeMap::new();
    let mut mutate_policies: Vec<crate::mutate::MutatePolicy> = Vec::new();
    for file in &policy_files {
        let file_path = dir.join(file);
        let load = pattern::load_file(&file_path);
        let mutating = crate::mutate::load_file(&file_path);
        mutate_policies.extend(mutating.policies);
        if !load.errors.is_empty() {
            // Name the policies of the file that did not load.
            if let Ok(text) = std::fs::read_to_string(&file_path) {
                for doc in yaml::parse_stream(&text).into_iter().flatten() {
                    if let Some(name) = doc
                        .root
                        .get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Node::scalar_text)
                        && !load.policies.iter().any(|p| p.name == name)
                    {
                        // A mutate policy that did not load says why in
                        // mutate's terms, not as "`mutate` is not supported".
                        let errors = if mutating.errors.is_empty() {
                            load.errors.clone()
                        } else {
                            mutating.errors.clone()
                        };
                        failed_names.insert(name, errors);
                    }
                }
            }
        }
        policies.extend(load.policies);
        load_errors.extend(load.errors);
        // Kyverno's CEL `ValidatingPolicy` documents of the same file.
        let vpol = kyverno_policy::load_manifests(&manifest::load_file(&file_path).objects);
        validating.extend(vpol.policies);
        for (name, e) in vpol.errors {
            validating_failed.insert(name, e.to_string());
        }
    }
    let mut resources: Vec<Manifest> = Vec::new();
    for file in texts(root.get("resources")) {
        let report = manifest::load_path(&dir.join(&file));
        if let Some(e) = report.errors.first() {
            return Err(error(
                root.line,
                root.column,
                format!("resource file `{file}`: {e}"),
            ));
        }
        resources.extend(report.objects);
    }
    let values = text(root.get("variables"))
        .map(|v| load_values(&dir.join(v)))
        .unwrap_or_default();
    let operations = &values.operations;
    // What CEL expressions see of the cluster: the objects of the context
    // file (`spec.resources`) and the Namespaces of the values file.
    let mut cel_context = Context::new();
    if let Some(file) = text(root.get("context")) {
        let (objects, images) = load_context(&dir.join(file))?;
        for object in objects {
            cel_context.add_object(object);
        }
        for image in images {
            cel_context.add_image(image);
        }
    }
    for namespace in &values.namespaces {
        cel_context.add_object(namespace.clone());
    }
    for (namespace, labels) in &values.namespace_labels {
        cel_context.add_namespace(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": labels}
        }));
    }
    let mut expected = Vec::new();
    for r in root
        .get("results")
        .and_then(Node::items)
        .unwrap_or_default()
    {
        let mut names = texts(r.get("resources"));
        names.extend(text(r.get("resource")));
        expected.push(Expected {
            location: Location::new(suite.clone(), r.line, r.column),
            policy: text(r.get("policy")).unwrap_or_default(),
            rule: text(r.get("rule")).unwrap_or_default(),
            kind: text(r.get("kind")),
            resources: names,
            result: text(r.get("result")).unwrap_or_default(),
            patched: text(r.get("patchedResource")).or_else(|| text(r.get("patchedResources"))),
        });
    }
    // As `kyverno test`: namespaced resources without a namespace are in
    // `default`, and every namespace of a resource exists (bare, when the
    // context does not describe it).
    for resource in &resources {
        let object = with_default_namespace(&resource.object);
        if let Some(ns) = object
            .pointer("/metadata/namespace")
            .and_then(serde_json::Value::as_str)
            && cel_context.namespace(ns).is_none()
        {
            cel_context.add_object(serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}
            }));
        }
    }
    let mut out = Vec::new();
    for e in &expected {
        for reference in &e.resources {
            let case = format!(
                "{}/{}/{}/{}",
                e.policy,
                e.rule,
                e.kind.as_deref().unwrap_or("*"),
                reference
            );
            let outcome = |actual: &str, status, detail: String| CaseOutcome {
                suite: suite.clone(),
                test: test_name.clone(),
                case: case.clone(),
                expected: e.result.clone(),
                actual: actual.to_owned(),
                status,
                detail,
                location: e.location.clone(),
                load_errors: Vec::new(),
            };
            if let Some(policy) = mutate_policies.iter().find(|p| p.name == e.policy)
                && let Some(resource) = resources
                    .iter()
                    .find(|m| matches_ref(m, reference, e.kind.as_deref()))
            {
                let mut request = PatternRequest::create(&resource.object);
                request.operation = operations
                    .get(&(e.policy.clone(), resource.name().unwrap_or("").to_owned()))
                    .or_else(|| operations.get(&(String::new(), String::new())))
                    .map_or("CREATE", String::as_str);
                request.namespace_labels = resource
                    .namespace()
                    .and_then(|ns| values.namespace_labels.get(ns));
                let patched = e.patched.as_ref().map(|f| dir.join(f));
                let checked = crate::mutate::kyverno::check(
                    policy,
                    &request,
                    &values.variables,
                    resource,
                    &e.rule,
                    patched.as_deref(),
                );
                let status = if checked.actual == e.result {
                    CaseStatus::Passed
                } else {
                    CaseStatus::Failed
                };
                out.push(outcome(checked.actual, status, checked.detail));
                continue;
            }
            if let Some(errors) = failed_names.get(&e.policy) {
                let messages: Vec<String> = errors.iter().map(PatternLoadError::message).collect();
                out.push(CaseOutcome {
                    load_errors: errors.clone(),
                    ..outcome("unsupported", CaseStatus::Unsupported, messages.join("; "))
                });
                continue;
            }
            if let Some(reason) = validating_failed.get(&e.policy) {
                out.push(outcome("error", CaseStatus::Failed, reason.clone()));
                continue;
            }
            let validating_policy = validating.iter().find(|p| p.name() == e.policy);
            let pattern_policy = policies.iter().find(|p| p.name == e.policy);
            if validating_policy.is_none() && pattern_policy.is_none() {
                out.push(outcome(
                    "error",
                    CaseStatus::Failed,
                    format!("policy `{}` not found", e.policy),
                ));
                continue;
            }
            let Some(resource) = resources
                .iter()
                .find(|m| matches_ref(m, reference, e.kind.as_deref()))
            else {
                out.push(outcome(
                    "error",
                    CaseStatus::Failed,
                    format!("resource `{reference}` not found"),
                ));
                continue;
            };
            let name = resource.name().unwrap_or("");
            let operation = operations
                .get(&(e.policy.clone(), name.to_owned()))
                .or_else(|| operations.get(&(String::new(), String::new())))
                .map_or("CREATE", String::as_str);
            let (Some(policy), None) = (pattern_policy, validating_policy) else {
                let result = match (
                    validating_policy,
                    AdmissionRequest::from_object(with_default_namespace(&resource.object)),
                ) {
                    (Some(policy), Ok(mut request)) => {
                        request.operation = Some(match operation {
                            "UPDATE" => Operation::Update,
                            "DELETE" => Operation::Delete,
                            "CONNECT" => Operation::Connect,
                            _ => Operation::Create,
                        });
                        if request.operation == Some(Operation::Delete) {
                            request.old_object = request.object.take();
                        }
                        policy.decide(&request, &cel_context)
                    }
                    (_, Err(err)) => PolicyResult::Error(err.to_string()),
                    (None, Ok(_)) => {
                        PolicyResult::Error(format!("policy `{}` not found", e.policy))
                    }
                };
                let status = if result.as_str() == e.result {
                    CaseStatus::Passed
                } else {
                    CaseStatus::Failed
                };
                out.push(outcome(result.as_str(), status, result.detail().to_owned()));
                continue;
            };
            let mut request = PatternRequest::create(&resource.object);
            request.operation = operation;
            request.namespace_labels = resource
                .namespace()
                .and_then(|ns| values.namespace_labels.get(ns));
            let results = policy.evaluate(&request);
            let base = e
                .rule
                .strip_prefix("autogen-cronjob-")
                .or_else(|| e.rule.strip_prefix("autogen-"))
                .unwrap_or(&e.rule);
            let found = results.iter().find(|r| r.rule == e.rule).or_else(|| {
                results
                    .iter()
                    .find(|r| r.autogen_of.as_deref() == Some(base))
            });
            let (actual, detail) = match found {
                Some(r) => (r.status.as_str(), r.message.clone()),
                None => (
                    RuleStatus::Skip.as_str(),
                    "the rule does not select the resource".to_owned(),
                ),
            };
            let status = if actual == e.result {
                CaseStatus::Passed
            } else {
                CaseStatus::Failed
            };
            out.push(outcome(actual, status, detail));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_match_name_and_namespace() {
        let report = manifest::load_str(
            "r.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\n",
        );
        let (p, q) = (&report.objects[0], &report.objects[1]);
        assert!(matches_ref(p, "shop/p", Some("Pod")));
        assert!(!matches_ref(p, "default/p", None));
        assert!(matches_ref(q, "default/q", None));
        assert!(!matches_ref(q, "q", Some("Deployment")));
    }
}
