//! A constraint's `spec.match`, with Gatekeeper's semantics: every criterion
//! given must hold; a criterion not given matches everything.

use serde_json::Value as Json;

use palisade_core::selector::{self, ProblemKind, Selector};

use crate::review::{AdmissionRequest, Context};

/// A namespace or name pattern: exact, `prefix*`, `*suffix` or `*infix*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard(pub String);

impl Wildcard {
    /// Whether `candidate` matches the pattern.
    pub fn matches(&self, candidate: &str) -> bool {
        let w = self.0.as_str();
        match (w.strip_prefix('*'), w.strip_suffix('*')) {
            (Some(_), Some(_)) if w.len() >= 2 => {
                candidate.contains(w.get(1..w.len() - 1).unwrap_or_default())
            }
            (Some(suffix), _) => candidate.ends_with(suffix),
            (None, Some(prefix)) => candidate.starts_with(prefix),
            (None, None) => w == candidate,
        }
    }
}

/// One `kinds` entry: API groups and kinds (empty or `*` = any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindSelector {
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `kinds`.
    pub kinds: Vec<String>,
}

/// Reads a label selector at `field`: the first invalid part is the error
/// (fields a selector does not have are ignored, as Gatekeeper does).
fn label_selector(json: &Json, field: &str) -> Result<Selector, String> {
    let (selector, problems) = selector::parse(json, field, &[]);
    match problems.iter().find(|p| p.kind == ProblemKind::Invalid) {
        Some(problem) => Err(problem.to_string()),
        None => Ok(selector),
    }
}

/// What [`Match::outcome`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome {
    /// The request is in scope.
    Matched,
    /// The request is not in scope.
    NotMatched,
    /// The object is in this namespace, which the context does not know,
    /// and the match has a `namespaceSelector`: Gatekeeper refuses to
    /// decide (its webhook rejects the request).
    UnknownNamespace(String),
}

/// `spec.match` of a constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    /// `kinds` (any one entry must match).
    pub kinds: Vec<KindSelector>,
    /// `scope`: `*` (or absent), `Cluster` or `Namespaced`.
    pub scope: Option<String>,
    /// `namespaces`.
    pub namespaces: Vec<Wildcard>,
    /// `excludedNamespaces`.
    pub excluded_namespaces: Vec<Wildcard>,
    /// `labelSelector`.
    pub label_selector: Option<Selector>,
    /// `namespaceSelector`.
    pub namespace_selector: Option<Selector>,
    /// `name`.
    pub name: Option<Wildcard>,
}

fn string_list(value: Option<&Json>, field: &str) -> Result<Vec<String>, String> {
    crate::string_list::string_list(value).map_err(|e| e.message(field))
}

impl Match {
    /// Reads `spec.match` (`null` or absent matches everything).
    pub fn from_json(json: Option<&Json>) -> Result<Match, String> {
        let Some(json) = json.filter(|j| !j.is_null()) else {
            return Ok(Match::default());
        };
        if !json.is_object() {
            return Err("`spec.match` is not a mapping".to_owned());
        }
        let mut m = Match::default();
        if let Some(kinds) = json.get("kinds").filter(|k| !k.is_null()) {
            let kinds = kinds.as_array().ok_or("`spec.match.kinds` is not a list")?;
            for (i, k) in kinds.iter().enumerate() {
                m.kinds.push(KindSelector {
                    api_groups: string_list(
                        k.get("apiGroups"),
                        &format!("spec.match.kinds[{i}].apiGroups"),
                    )?,
                    kinds: string_list(k.get("kinds"), &format!("spec.match.kinds[{i}].kinds"))?,
                });
            }
        }
        m.scope = match json.get("scope") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(_) => return Err("`spec.match.scope` is not a string".to_owned()),
        };
        let wildcards = |key: &str| -> Result<Vec<Wildcard>, String> {
            Ok(string_list(json.get(key), &format!("spec.match.{key}"))?
                .into_iter()
                .map(Wildcard)
                .collect())
        };
        m.namespaces = wildcards("namespaces")?;
        m.excluded_namespaces = wildcards("excludedNamespaces")?;
        if let Some(s) = json.get("labelSelector").filter(|s| !s.is_null()) {
            m.label_selector = Some(label_selector(s, "spec.match.labelSelector")?);
        }
        if let Some(s) = json.get("namespaceSelector").filter(|s| !s.is_null()) {
            m.namespace_selector = Some(label_selector(s, "spec.match.namespaceSelector")?);
        }
        m.name = match json.get("name") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(Json::String(s)) => Some(Wildcard(s.clone())),
            Some(_) => return Err("`spec.match.name` is not a string".to_owned()),
        };
        Ok(m)
    }

    /// Whether the request is in scope: Gatekeeper matches when the object
    /// or the old object matches. A namespaced object whose Namespace the
    /// context does not know cannot be matched against a `namespaceSelector`
    /// and does not match here (see [`Match::outcome`]).
    pub fn matches(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.outcome(request, context) == MatchOutcome::Matched
    }

    /// The match decision, telling "not in scope" from "cannot tell".
    pub fn outcome(&self, request: &AdmissionRequest, context: &Context) -> MatchOutcome {
        let candidates = [request.object.as_ref(), request.old_object.as_ref()];
        let mut outcomes: Vec<MatchOutcome> = candidates
            .into_iter()
            .flatten()
            .filter(|o| o.is_object())
            .map(|object| self.matches_object(object, request, context))
            .collect();
        if outcomes.is_empty() {
            // A request without objects (CONNECT): match on the request itself.
            outcomes.push(self.matches_object(&Json::Null, request, context));
        }
        if outcomes.contains(&MatchOutcome::Matched) {
            return MatchOutcome::Matched;
        }
        outcomes
            .into_iter()
            .find(|o| matches!(o, MatchOutcome::UnknownNamespace(_)))
            .unwrap_or(MatchOutcome::NotMatched)
    }

    fn matches_object(
        &self,
        object: &Json,
        request: &AdmissionRequest,
        context: &Context,
    ) -> MatchOutcome {
        let text = |key: &str| object.get(key).and_then(Json::as_str);
        let meta = |key: &str| object.get("metadata").and_then(|m| m.get(key));
        // The object's own group and kind; the request's when it has none.
        let (group, kind) = match (text("apiVersion"), text("kind")) {
            (Some(api_version), Some(kind)) => {
                (api_version.split_once('/').map_or("", |(g, _)| g), kind)
            }
            _ => (request.kind.group.as_str(), request.kind.kind.as_str()),
        };
        let is_namespace = kind == "Namespace" && group.is_empty();
        let name = meta("name")
            .and_then(Json::as_str)
            .unwrap_or(request.name.as_str());
        let own_namespace = meta("namespace")
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty())
            .or(request.namespace.as_deref().filter(|n| !n.is_empty()));
        let namespace_object = own_namespace.and_then(|ns| context.namespace(ns));

        if !self.kinds.is_empty()
            && !self.kinds.iter().any(|k| {
                (k.kinds.is_empty() || k.kinds.iter().any(|x| x == "*" || x == kind))
                    && (k.api_groups.is_empty()
                        || k.api_groups.iter().any(|x| x == "*" || x == group))
            })
        {
            return MatchOutcome::NotMatched;
        }
        let has_namespace = own_namespace.is_some();
        match self.scope.as_deref() {
            Some("Cluster") if !is_namespace && has_namespace => return MatchOutcome::NotMatched,
            Some("Namespaced") if is_namespace || !has_namespace => {
                return MatchOutcome::NotMatched;
            }
            _ => {}
        }
        let namespace_name = if is_namespace {
            Some(name)
        } else {
            own_namespace
        };
        if !self.namespaces.is_empty()
            && let Some(ns) = namespace_name
            && !self.namespaces.iter().any(|w| w.matches(ns))
        {
            return MatchOutcome::NotMatched;
        }
        if let Some(ns) = namespace_name
            && self.excluded_namespaces.iter().any(|w| w.matches(ns))
        {
            return MatchOutcome::NotMatched;
        }
        if let Some(selector) = &self.label_selector
            && !selector.matches(&meta("labels"))
        {
            return MatchOutcome::NotMatched;
        }
        if let Some(selector) = &self.namespace_selector {
            let labels = if is_namespace {
                Some(meta("labels"))
            } else if has_namespace {
                // Gatekeeper cannot match a namespaced object whose
                // Namespace it does not know: an error, not a decision.
                namespace_object.map(|ns| ns.get("metadata").and_then(|m| m.get("labels")))
            } else {
                // Cluster-scoped objects other than Namespaces always match.
                None
            };
            match (labels, own_namespace) {
                (Some(labels), _) if !selector.matches(&labels) => return MatchOutcome::NotMatched,
                (None, Some(ns)) if !is_namespace => {
                    return MatchOutcome::UnknownNamespace(ns.to_owned());
                }
                _ => {}
            }
        }
        if let Some(pattern) = &self.name
            && !pattern.matches(name)
        {
            return MatchOutcome::NotMatched;
        }
        MatchOutcome::Matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: Option<&str>, labels: Json) -> AdmissionRequest {
        let mut obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": labels}});
        if let Some(ns) = ns {
            obj["metadata"]["namespace"] = json!(ns);
        }
        AdmissionRequest::from_object(obj).unwrap()
    }

    #[test]
    fn wildcards_match_like_gatekeeper() {
        assert!(Wildcard("kube-*".into()).matches("kube-system"));
        assert!(Wildcard("*-system".into()).matches("gatekeeper-system"));
        assert!(Wildcard("*ops*".into()).matches("devops-team"));
        assert!(!Wildcard("kube-*".into()).matches("default"));
        assert!(Wildcard("default".into()).matches("default"));
        assert!(!Wildcard("default".into()).matches("default2"));
    }

    #[test]
    fn every_criterion_is_checked() {
        let ctx = Context::with_objects([
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": {"env": "prod"}}}),
        ]);
        let m = Match::from_json(Some(&json!({
            "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
            "scope": "Namespaced",
            "namespaces": ["pro*"],
            "excludedNamespaces": ["kube-*"],
            "labelSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
            "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "name": "web-*"
        })))
        .unwrap();
        assert!(m.matches(&pod(Some("prod"), json!({"tier": "web"})), &ctx));
        assert!(m.matches(&pod(Some("prod"), json!({})), &ctx));
        assert!(!m.matches(&pod(Some("prod"), json!({"tier": "db"})), &ctx));
        // Unknown namespace: the namespace selector cannot decide.
        assert!(!m.matches(&pod(Some("prod2"), json!({})), &ctx));
        assert_eq!(
            m.outcome(&pod(Some("prod2"), json!({})), &ctx),
            MatchOutcome::UnknownNamespace("prod2".into())
        );
        assert!(!m.matches(&pod(None, json!({})), &ctx));
        let svc = AdmissionRequest::from_object(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-1", "namespace": "prod"}})).unwrap();
        assert!(!m.matches(&svc, &ctx));
    }

    #[test]
    fn cluster_scoped_objects_skip_namespace_criteria() {
        let m = Match::from_json(Some(&json!({
            "namespaces": ["prod"], "excludedNamespaces": ["kube-system"],
            "namespaceSelector": {"matchLabels": {"env": "prod"}}
        })))
        .unwrap();
        let node = AdmissionRequest::from_object(
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
        )
        .unwrap();
        assert!(m.matches(&node, &Context::new()));
        let ns = AdmissionRequest::from_object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": {"env": "prod"}}})).unwrap();
        assert!(m.matches(&ns, &Context::new()));
        let excluded = AdmissionRequest::from_object(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        )
        .unwrap();
        assert!(!m.matches(&excluded, &Context::new()));
    }

    #[test]
    fn bad_match_fields_are_named() {
        let err = Match::from_json(Some(&json!({"kinds": "Pod"}))).unwrap_err();
        assert!(err.contains("spec.match.kinds"), "{err}");
        let err = Match::from_json(Some(
            &json!({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}),
        ))
        .unwrap_err();
        assert!(err.contains("operator"), "{err}");
    }
}
