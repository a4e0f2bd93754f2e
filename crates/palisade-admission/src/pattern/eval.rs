//! Applying a pattern policy to one request: `match`/`exclude`,
//! preconditions, then the pattern(s).

use serde_json::{Map, Value, json};

use super::policy::CelRule;
use super::policy::{
    FailureAction, Filter, MatchBlock, PatternPolicy, Patterns, ResourceDescription, Rule,
};
use super::scalar::wildcard_match;
use super::validate::{PatternOutcome, match_pattern};

/// What a pattern policy needs to know about one request.
#[derive(Debug, Clone, Copy)]
pub struct PatternRequest<'a> {
    /// The object (for `DELETE`, the old object).
    pub object: &'a Value,
    /// The old object, for `UPDATE`.
    pub old_object: Option<&'a Value>,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: &'a str,
    /// The requesting user, when known.
    pub username: Option<&'a str>,
    /// The user's groups.
    pub groups: &'a [String],
    /// Roles (`namespace:name`) bound to the user, when known.
    pub roles: &'a [String],
    /// Cluster roles bound to the user, when known.
    pub cluster_roles: &'a [String],
    /// The labels of the object's namespace, when known.
    pub namespace_labels: Option<&'a Value>,
}

impl<'a> PatternRequest<'a> {
    /// A `CREATE` request for `object`, without user or namespace
    /// information (what `kyverno test` simulates).
    pub fn create(object: &'a Value) -> PatternRequest<'a> {
        PatternRequest {
            object,
            old_object: None,
            operation: "CREATE",
            username: None,
            groups: &[],
            roles: &[],
            cluster_roles: &[],
            namespace_labels: None,
        }
    }
}

/// The result of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleStatus {
    /// The pattern is satisfied.
    Pass,
    /// The pattern is violated.
    Fail,
    /// The rule matched but did not apply (preconditions, anchors).
    Skip,
}

impl RuleStatus {
    /// `pass`, `fail` or `skip`, as `kyverno test` writes them.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Fail => "fail",
            RuleStatus::Skip => "skip",
        }
    }
}

/// What one rule decided about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    /// The rule's name.
    pub rule: String,
    /// For a generated rule, the rule it came from.
    pub autogen_of: Option<String>,
    /// Pass, fail or skip.
    pub status: RuleStatus,
    /// Kyverno's message (`validation error: ... rule x failed at path ...`).
    pub message: String,
    /// What a failure does.
    pub action: FailureAction,
}

struct Gvk<'a> {
    group: &'a str,
    version: &'a str,
    kind: &'a str,
}

fn gvk(object: &Value) -> Gvk<'_> {
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    Gvk {
        group,
        version,
        kind: object.get("kind").and_then(Value::as_str).unwrap_or(""),
    }
}

pub(crate) fn metadata_str<'a>(object: &'a Value, key: &str) -> &'a str {
    object
        .get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn looks_like_version(s: &str) -> bool {
    s == "*" || (s.starts_with('v') && s.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
}

fn kind_matches(entry: &str, g: &Gvk<'_>) -> bool {
    let mut split = entry.splitn(4, '/');
    let parts = [split.next(), split.next(), split.next(), split.next()];
    match parts {
        [Some(kind), None, ..] => wildcard_match(kind, g.kind),
        [Some(version), Some(kind), None, _] if looks_like_version(version) => {
            wildcard_match(version, g.version) && wildcard_match(kind, g.kind)
        }
        [Some(group), Some(version), Some(kind), None] => {
            wildcard_match(group, g.group)
                && wildcard_match(version, g.version)
                && wildcard_match(kind, g.kind)
        }
        // `Kind/subresource` and longer forms name subresources, which
        // requests for whole objects never are.
        _ => false,
    }
}

fn resources_match(r: &ResourceDescription, req: &PatternRequest<'_>) -> bool {
    let object = req.object;
    let g = gvk(object);
    if !r.kinds.is_empty() && !r.kinds.iter().any(|k| kind_matches(k, &g)) {
        return false;
    }
    let name = metadata_str(object, "name");
    let name = if name.is_empty() {
        metadata_str(object, "generateName")
    } else {
        name
    };
    if !r.names.is_empty() && !r.names.iter().any(|n| wildcard_match(n, name)) {
        return false;
    }
    let namespace = if g.kind == "Namespace" {
        name
    } else {
        metadata_str(object, "namespace")
    };
    if !r.namespaces.is_empty() && !r.namespaces.iter().any(|n| wildcard_match(n, namespace)) {
        return false;
    }
    let annotations = object.get("metadata").and_then(|m| m.get("annotations"));
    for (k, v) in &r.annotations {
        let actual = annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
        if !actual.is_some_and(|a| wildcard_match(v, a)) {
            return false;
        }
    }
    if let Some(selector) = &r.selector {
        let labels = object.get("metadata").and_then(|m| m.get("labels"));
        if !selector.matches(labels) {
            return false;
        }
    }
    if let Some(selector) = &r.namespace_selector
        && !selector.matches(req.namespace_labels)
    {
        return false;
    }
    r.operations.is_empty() || r.operations.iter().any(|o| o == req.operation)
}

fn filter_matches(f: &Filter, req: &PatternRequest<'_>) -> bool {
    if let Some(r) = &f.resources
        && !resources_match(r, req)
    {
        return false;
    }
    if !f.subjects.is_empty() {
        let user = req.username.unwrap_or("");
        let matched = f.subjects.iter().any(|s| match s.kind.as_str() {
            "User" => wildcard_match(&s.name, user),
            "Group" => req.groups.iter().any(|g| wildcard_match(&s.name, g)),
            "ServiceAccount" => {
                user == format!(
                    "system:serviceaccount:{}:{}",
                    s.namespace.as_deref().unwrap_or(""),
                    s.name
                )
            }
            _ => false,
        });
        if !matched {
            return false;
        }
    }
    if !f.roles.is_empty() && !f.roles.iter().any(|r| req.roles.contains(r)) {
        return false;
    }
    if !f.cluster_roles.is_empty()
        && !f
            .cluster_roles
            .iter()
            .any(|r| req.cluster_roles.contains(r))
    {
        return false;
    }
    true
}

/// `true` when the block selects the request.
pub fn block_matches(block: &MatchBlock, req: &PatternRequest<'_>) -> bool {
    if block.any.is_empty() && block.all.is_empty() {
        return false;
    }
    (block.any.is_empty() || block.any.iter().any(|f| filter_matches(f, req)))
        && block.all.iter().all(|f| filter_matches(f, req))
}

/// Parsed parts of an image reference, as Kyverno's `images` variable has them.
fn image_info(image: &str) -> Value {
    let (rest, digest) = image.split_once('@').unwrap_or((image, ""));
    let (registry, path) = match rest.split_once('/') {
        Some((first, tail)) if first.contains(['.', ':']) || first == "localhost" => (first, tail),
        _ => ("docker.io", rest),
    };
    let (path, tag) = match path.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p, t),
        _ => (path, ""),
    };
    let tag = if tag.is_empty() && digest.is_empty() {
        "latest"
    } else {
        tag
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    json!({
        "registry": registry,
        "path": path,
        "name": name,
        "tag": tag,
        "digest": digest,
        "reference": image,
    })
}

/// The pod spec inside an object, the way Kyverno finds images.
fn pod_spec(object: &Value) -> Option<&Value> {
    let spec = object.get("spec")?;
    match object.get("kind").and_then(Value::as_str)? {
        "Pod" => Some(spec),
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        _ => spec.get("template")?.get("spec"),
    }
}

/// Kyverno's `images` variable for `object`.
pub fn images(object: &Value) -> Value {
    let mut out = Map::new();
    if let Some(spec) = pod_spec(object) {
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            let Some(items) = spec.get(key).and_then(Value::as_array) else {
                continue;
            };
            let mut by_name = Map::new();
            for c in items {
                if let (Some(name), Some(image)) = (
                    c.get("name").and_then(Value::as_str),
                    c.get("image").and_then(Value::as_str),
                ) {
                    by_name.insert(name.to_owned(), image_info(image));
                }
            }
            if !by_name.is_empty() {
                out.insert(key.to_owned(), Value::Object(by_name));
            }
        }
    }
    Value::Object(out)
}

pub(crate) fn context(req: &PatternRequest<'_>) -> Value {
    json!({
        "request": {
            // A background scan has no operation: `request.operation` is null.
            "operation": if req.operation.is_empty() { Value::Null } else { Value::from(req.operation) },
            "object": req.object,
            "oldObject": req.old_object.cloned().unwrap_or(Value::Null),
            "userInfo": {"username": req.username.unwrap_or(""), "groups": req.groups},
            "namespace": metadata_str(req.object, "namespace"),
            "name": metadata_str(req.object, "name"),
        },
        "images": images(req.object),
    })
}

impl PatternPolicy {
    /// `true` when some rule of the policy selects the request.
    pub fn applies_to(&self, req: &PatternRequest<'_>) -> bool {
        self.rules.iter().any(|r| self.selects(r, req))
    }

    fn selects(&self, rule: &Rule, req: &PatternRequest<'_>) -> bool {
        if let Some(ns) = &self.namespace
            && metadata_str(req.object, "namespace") != ns
        {
            return false;
        }
        block_matches(&rule.match_, req)
            && !rule.exclude.as_ref().is_some_and(|e| block_matches(e, req))
    }

    /// The failure action of `rule` for this request: the rule's own
    /// action or the policy's, unless an override covers the namespace.
    pub fn action_for(&self, rule: &Rule, req: &PatternRequest<'_>) -> FailureAction {
        let namespace = metadata_str(req.object, "namespace");
        rule.action_overrides
            .iter()
            .chain(&self.action_overrides)
            .find(|o| o.covers(namespace, req.namespace_labels))
            .map(|o| o.action)
            .unwrap_or(rule.failure_action.unwrap_or(self.failure_action))
    }

    /// Applies every rule that selects the request; rules that do not
    /// select it give no result.
    pub fn evaluate(&self, req: &PatternRequest<'_>) -> Vec<RuleResult> {
        let mut ctx: Option<Value> = None;
        let mut out = Vec::new();
        for rule in &self.rules {
            if !self.selects(rule, req) {
                continue;
            }
            let action = self.action_for(rule, req);
            let result = |status, message: String| RuleResult {
                rule: rule.name.clone(),
                autogen_of: rule.autogen_of.clone(),
                status,
                message,
                action,
            };
            if let Some(pre) = &rule.preconditions {
                let ctx = ctx.get_or_insert_with(|| context(req));
                if !pre.hold(ctx) {
                    out.push(result(RuleStatus::Skip, "preconditions not met".to_owned()));
                    continue;
                }
            }
            let (status, mut message) = match &rule.patterns {
                Patterns::Cel(cel) => apply_cel(cel, req),
                _ => apply(rule, req.object),
            };
            if status == RuleStatus::Fail
                && let Some(template) = &rule.message_template
            {
                let ctx = ctx.get_or_insert_with(|| context(req));
                if let Value::String(text) = template.resolve(ctx) {
                    message = message.replacen(&rule.message, &text, 1);
                }
            }
            out.push(result(status, message));
        }
        out
    }
}

/// The object a CEL rule sees: for an autogen rule, the controller with its
/// Pod template's `metadata` and `spec` in place of its own.
fn cel_object(object: &Value, pod_template: Option<bool>) -> Value {
    pod_template
        .and_then(|cronjob| crate::autogen::with_template(object, cronjob))
        .unwrap_or_else(|| object.clone())
}

/// Runs a `validate.cel` rule: `skip` when a `celPreconditions` entry is
/// false, `fail` with the first failed expression's message, `pass`
/// otherwise; an expression that cannot be evaluated fails the rule.
fn apply_cel(cel: &CelRule, req: &PatternRequest<'_>) -> (RuleStatus, String) {
    use crate::cel::{Outcome, value};
    let object = cel_object(req.object, cel.pod_template);
    let old_object = req.old_object.map(|o| cel_object(o, cel.pod_template));
    let request = json!({
        "operation": if req.operation.is_empty() { Value::Null } else { Value::from(req.operation) },
        "userInfo": {"username": req.username.unwrap_or(""), "groups": req.groups},
        "namespace": metadata_str(req.object, "namespace"),
        "name": metadata_str(req.object, "name"),
        "kind": {"group": gvk(req.object).group, "version": gvk(req.object).version, "kind": gvk(req.object).kind},
    });
    let inputs = crate::cel::Inputs {
        nodes: value::node_count(&object) + old_object.as_ref().map_or(0, value::node_count) + 1,
        object: value::from_json(&object),
        old_object: old_object
            .as_ref()
            .map_or(cel_core::Value::Null, value::from_json),
        request: value::from_json(&request),
        params: cel_core::Value::Null,
        namespace_object: req
            .namespace_labels
            .map_or(cel_core::Value::Null, |labels| {
                value::from_json(&json!({"metadata": {"labels": labels}}))
            }),
        preset_variables: Vec::new(),
    };
    match cel.expressions.evaluate(&inputs) {
        Ok(Outcome::NotMatched { condition }) => (
            RuleStatus::Skip,
            format!("cel precondition `{condition}` not met"),
        ),
        Ok(Outcome::Evaluated { failures, .. }) => match failures.first() {
            None => (RuleStatus::Pass, "validation rule passed.".to_owned()),
            Some(f) => (RuleStatus::Fail, f.message.clone()),
        },
        Err(e) => (RuleStatus::Fail, format!("error: {e}")),
    }
}

fn apply(rule: &Rule, object: &Value) -> (RuleStatus, String) {
    let failed = |detail: String| format!("validation error: {}. {detail}", rule.message);
    match &rule.patterns {
        Patterns::One(p) => match match_pattern(object, p) {
            PatternOutcome::Pass => (
                RuleStatus::Pass,
                format!("validation rule '{}' passed.", rule.name),
            ),
            PatternOutcome::Skip(m) => (RuleStatus::Skip, m),
            PatternOutcome::Fail { path, .. } => (
                RuleStatus::Fail,
                failed(format!("rule {} failed at path {path}", rule.name)),
            ),
        },
        Patterns::Any(patterns) => {
            let mut failures = Vec::new();
            let mut skips = Vec::new();
            for (i, p) in patterns.iter().enumerate() {
                match match_pattern(object, p) {
                    PatternOutcome::Pass => {
                        return (
                            RuleStatus::Pass,
                            format!("validation rule '{}' anyPattern[{i}] passed.", rule.name),
                        );
                    }
                    PatternOutcome::Skip(m) => {
                        skips.push(format!("rule {}[{i}] skipped: {m}", rule.name))
                    }
                    PatternOutcome::Fail { path, .. } => {
                        failures.push(format!("rule {}[{i}] failed at path {path}", rule.name));
                    }
                }
            }
            if failures.is_empty() && !skips.is_empty() {
                (RuleStatus::Skip, skips.join(" "))
            } else {
                (RuleStatus::Fail, failed(failures.join(" ")))
            }
        }
        // Evaluated by `apply_cel`, which needs the whole request.
        Patterns::Cel(_) => (RuleStatus::Skip, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_parsed_like_kyverno() {
        let pod = json!({"kind": "Pod", "spec": {"containers": [
            {"name": "a", "image": "nginx"},
            {"name": "b", "image": "ghcr.io/org/app:1.2@sha256:abc"},
            {"name": "c", "image": "localhost:5000/x"}]}});
        let i = images(&pod);
        assert_eq!(i["containers"]["a"]["registry"], "docker.io");
        assert_eq!(i["containers"]["a"]["tag"], "latest");
        assert_eq!(i["containers"]["b"]["registry"], "ghcr.io");
        assert_eq!(i["containers"]["b"]["tag"], "1.2");
        assert_eq!(i["containers"]["b"]["name"], "app");
        assert_eq!(i["containers"]["c"]["registry"], "localhost:5000");
    }

    #[test]
    fn kinds_match_in_every_form() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment"});
        let g = gvk(&deploy);
        assert!(kind_matches("Deployment", &g));
        assert!(kind_matches("apps/v1/Deployment", &g));
        assert!(kind_matches("v1/Deployment", &g));
        assert!(kind_matches("apps/*/Deploy*", &g));
        assert!(!kind_matches("networking.k8s.io/v1/Deployment", &g));
        assert!(!kind_matches("Deployment/scale", &g));
    }
}
