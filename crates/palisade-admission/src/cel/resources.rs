//! `matchConstraints` / `matchResources` of a ValidatingAdmissionPolicy and
//! its binding: which requests a policy looks at, as the API server decides.
//!
//! `resourceRules` (operations, apiGroups, apiVersions, resources with
//! `*`, `pods/*`, `*/scale` subresource forms, resourceNames, scope),
//! `excludeResourceRules`, `namespaceSelector` (the labels of the request's
//! Namespace, from the context; a Namespace object's own labels) and
//! `objectSelector`. `matchPolicy` is read but every request is matched as
//! sent (`Exact`): Palisade does not know the cluster's equivalent versions.

use palisade_core::selector::{self, Selector};
use serde_json::Value as Json;

use crate::review::{AdmissionRequest, Context, Operation};
use crate::string_list::string_list;

/// One `resourceRules[]` / `excludeResourceRules[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceRule {
    /// `operations` (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`, `*`).
    pub operations: Vec<String>,
    /// `apiGroups` (`""` is the core group, `*` any).
    pub api_groups: Vec<String>,
    /// `apiVersions`.
    pub api_versions: Vec<String>,
    /// `resources` (`pods`, `pods/status`, `pods/*`, `*/scale`, `*`).
    pub resources: Vec<String>,
    /// `resourceNames`; empty means any name.
    pub resource_names: Vec<String>,
    /// `scope`: `Cluster`, `Namespaced` or `*`.
    pub scope: String,
}

/// `matchConstraints` / `matchResources`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchResources {
    /// `resourceRules`.
    pub rules: Vec<ResourceRule>,
    /// `excludeResourceRules`.
    pub exclude: Vec<ResourceRule>,
    /// `namespaceSelector` (everything when absent).
    pub namespace_selector: Selector,
    /// `objectSelector` (everything when absent).
    pub object_selector: Selector,
    /// `matchPolicy` (`Equivalent` by default).
    pub match_policy: String,
}

fn strings(json: &Json, key: &str) -> Result<Vec<String>, String> {
    string_list(json.get(key)).map_err(|e| e.message(key))
}

impl ResourceRule {
    fn from_json(json: &Json) -> Result<ResourceRule, String> {
        Ok(ResourceRule {
            operations: strings(json, "operations")?,
            api_groups: strings(json, "apiGroups")?,
            api_versions: strings(json, "apiVersions")?,
            resources: strings(json, "resources")?,
            resource_names: strings(json, "resourceNames")?,
            scope: json
                .get("scope")
                .and_then(Json::as_str)
                .unwrap_or("*")
                .to_owned(),
        })
    }

    /// Whether the rule selects `request`.
    pub fn matches(&self, request: &AdmissionRequest) -> bool {
        let operation = request.operation.unwrap_or(Operation::Create).as_str();
        let any_or = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        let (group, version, resource) = resource_of(request);
        let sub = request.sub_resource.as_deref().unwrap_or_default();
        let resource_matches = self.resources.iter().any(|r| {
            let (main, wanted_sub) = r.split_once('/').unwrap_or((r.as_str(), ""));
            let main_ok = main == "*" || main == resource;
            let sub_ok = wanted_sub == "*" || wanted_sub == sub;
            main_ok && sub_ok
        });
        let scope_ok = match self.scope.as_str() {
            "Cluster" => request.namespace.is_none(),
            "Namespaced" => request.namespace.is_some(),
            _ => true,
        };
        any_or(&self.operations, operation)
            && any_or(&self.api_groups, &group)
            && any_or(&self.api_versions, &version)
            && resource_matches
            && (self.resource_names.is_empty() || self.resource_names.contains(&request.name))
            && scope_ok
    }
}

/// The request's group, version and resource: as sent, or derived from
/// its kind for a request built from a plain manifest (`Pod` -> `pods`).
pub fn resource_of(request: &AdmissionRequest) -> (String, String, String) {
    if let Some(r) = &request.resource {
        return (r.group.clone(), r.version.clone(), r.resource.clone());
    }
    let kind = &request.kind;
    (kind.group.clone(), kind.version.clone(), plural(&kind.kind))
}

/// The resource name Kubernetes gives a kind: lower case, plural.
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        lower
    } else if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

impl MatchResources {
    /// Reads `json` (the `matchConstraints` / `matchResources` object);
    /// errors name the field under `path`.
    pub fn from_json(json: &Json, path: &str) -> Result<MatchResources, (String, String)> {
        let rules = |key: &str| -> Result<Vec<ResourceRule>, (String, String)> {
            match json.get(key) {
                None | Some(Json::Null) => Ok(Vec::new()),
                Some(Json::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        ResourceRule::from_json(r).map_err(|e| (format!("{path}.{key}[{i}]"), e))
                    })
                    .collect(),
                Some(_) => Err((format!("{path}.{key}"), "is not a list".into())),
            }
        };
        let selector = |key: &str| -> Result<Selector, (String, String)> {
            match json.get(key) {
                None | Some(Json::Null) => Ok(Selector::everything()),
                Some(value) => {
                    let field = format!("{path}.{key}");
                    let (selector, problems) = selector::parse(value, &field, &[]);
                    match problems.first() {
                        Some(p) => Err((p.field.clone(), p.message.clone())),
                        None => Ok(selector),
                    }
                }
            }
        };
        Ok(MatchResources {
            rules: rules("resourceRules")?,
            exclude: rules("excludeResourceRules")?,
            namespace_selector: selector("namespaceSelector")?,
            object_selector: selector("objectSelector")?,
            match_policy: json
                .get("matchPolicy")
                .and_then(Json::as_str)
                .unwrap_or("Equivalent")
                .to_owned(),
        })
    }

    /// Whether the request is selected: a rule matches, no exclusion does,
    /// and the selectors hold. `require_rules`: an empty rule list matches
    /// nothing (a policy's `matchConstraints`) rather than everything (a
    /// binding's optional `matchResources`).
    pub fn matches(
        &self,
        request: &AdmissionRequest,
        context: &Context,
        require_rules: bool,
    ) -> bool {
        let ruled = if self.rules.is_empty() {
            !require_rules
        } else {
            self.rules.iter().any(|r| r.matches(request))
        };
        if !ruled || self.exclude.iter().any(|r| r.matches(request)) {
            return false;
        }
        let labels = |object: Option<&Json>| {
            object
                .and_then(|o| o.pointer("/metadata/labels"))
                .cloned()
                .unwrap_or(Json::Null)
        };
        if !self.object_selector.is_everything() {
            let object = request
                .object
                .as_ref()
                .filter(|o| !o.is_null())
                .or(request.old_object.as_ref());
            if !self.object_selector.matches(&labels(object)) {
                return false;
            }
        }
        if !self.namespace_selector.is_everything() {
            let namespace_labels = match &request.namespace {
                Some(ns) => labels(context.namespace(ns)),
                // A Namespace is matched by its own labels; other
                // cluster-scoped objects are not namespaced at all.
                None if request.kind.kind == "Namespace" => labels(request.subject_object()),
                None => return true,
            };
            if !self.namespace_selector.matches(&namespace_labels) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_become_resources() {
        assert_eq!(plural("Pod"), "pods");
        assert_eq!(plural("NetworkPolicy"), "networkpolicies");
        assert_eq!(plural("Ingress"), "ingresses");
        assert_eq!(plural("Gateway"), "gateways");
        assert_eq!(plural("Endpoints"), "endpoints");
    }
}
