//! `matchConstraints` / `matchResources` of a ValidatingAdmissionPolicy and
//! its binding: which requests a policy looks at, as the API server decides.
//!
//! `resourceRules` (operations, apiGroups, apiVersions, resources with
//! `*`, `pods/*`, `*/scale` subresource forms, resourceNames, scope),
//! `excludeResourceRules`, `namespaceSelector` (the labels of the request's
//! Namespace, from the context; a Namespace object's own labels) and
//! `objectSelector`. `matchPolicy: Equivalent` (the default) also matches a
//! request made through an equivalent resource: another version of the same
//! group and resource, or a resource that moved between groups
//! ([`EQUIVALENT`], the API server's own aliases such as
//! `extensions/v1beta1` Deployments). The object is evaluated as sent (the
//! API server would convert it to the rule's version first; Palisade has no
//! conversion). `Exact` matches as sent only.

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
        let (group, version, resource) = resource_of(request);
        self.matches_as(request, &group, &version, &resource)
    }

    /// Whether the rule selects `request` made through `group`, `version`
    /// and `resource`.
    fn matches_as(
        &self,
        request: &AdmissionRequest,
        group: &str,
        version: &str,
        resource: &str,
    ) -> bool {
        let operation = request.operation.unwrap_or(Operation::Create).as_str();
        let any_or = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
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
            && any_or(&self.api_groups, group)
            && any_or(&self.api_versions, version)
            && resource_matches
            && (self.resource_names.is_empty() || self.resource_names.contains(&request.name))
            && scope_ok
    }
}

/// Resources served under several groups, as the API server aliases them:
/// the resource and the `group/version`s that are the same resource.
pub const EQUIVALENT: &[(&str, &[&str])] = &[
    (
        "deployments",
        &[
            "apps/v1",
            "apps/v1beta2",
            "apps/v1beta1",
            "extensions/v1beta1",
        ],
    ),
    (
        "daemonsets",
        &["apps/v1", "apps/v1beta2", "extensions/v1beta1"],
    ),
    (
        "replicasets",
        &["apps/v1", "apps/v1beta2", "extensions/v1beta1"],
    ),
    ("statefulsets", &["apps/v1", "apps/v1beta2", "apps/v1beta1"]),
    (
        "ingresses",
        &[
            "networking.k8s.io/v1",
            "networking.k8s.io/v1beta1",
            "extensions/v1beta1",
        ],
    ),
    (
        "networkpolicies",
        &["networking.k8s.io/v1", "extensions/v1beta1"],
    ),
    (
        "podsecuritypolicies",
        &["policy/v1beta1", "extensions/v1beta1"],
    ),
];

/// The `(group, version)`s through which `resource` of `group` is the same
/// resource, besides `group`'s other versions (which every rule's
/// `apiVersions` decides on).
fn moved_groups(group: &str, resource: &str) -> impl Iterator<Item = (&'static str, &'static str)> {
    EQUIVALENT
        .iter()
        .filter(move |(r, versions)| {
            *r == resource
                && versions
                    .iter()
                    .any(|gv| gv.rsplit_once('/').is_some_and(|(g, _)| g == group))
        })
        .flat_map(|(_, versions)| versions.iter())
        .filter_map(|gv| gv.rsplit_once('/'))
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

    /// Whether `rule` selects `request`: as sent, or with `matchPolicy:
    /// Equivalent` through another version of its group or an equivalent
    /// group ([`EQUIVALENT`]).
    fn rule_selects(&self, rule: &ResourceRule, request: &AdmissionRequest) -> bool {
        if rule.matches(request) {
            return true;
        }
        if self.match_policy != "Equivalent" {
            return false;
        }
        let (group, _, resource) = resource_of(request);
        // Any version of the same group and resource.
        let same_group = rule
            .api_versions
            .iter()
            .any(|version| version != "*" && rule.matches_as(request, &group, version, &resource));
        same_group
            || moved_groups(&group, &resource)
                .any(|(g, v)| rule.matches_as(request, g, v, &resource))
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
        let selects = |rules: &[ResourceRule]| rules.iter().any(|r| self.rule_selects(r, request));
        let ruled = if self.rules.is_empty() {
            !require_rules
        } else {
            selects(&self.rules)
        };
        if !ruled || selects(&self.exclude) {
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
