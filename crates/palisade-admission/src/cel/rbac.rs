//! Kubernetes RBAC, offline: the Roles, ClusterRoles, RoleBindings and
//! ClusterRoleBindings of the inventory, answering "may this user do this"
//! as the API server's RBAC authorizer does — what the CEL `authorizer`
//! library (`authorizer.group('apps').resource('deployments').check('create')`)
//! asks. Nothing else authorizes here: no webhook or node authorizer, and
//! `aggregationRule` ClusterRoles count only the rules written in them.

use serde_json::Value as Json;

use crate::string_list::string_list;

/// Who asks: a user name and its groups (a service account's identity is
/// `system:serviceaccount:<namespace>:<name>` with its groups).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The user name.
    pub user: String,
    /// Its groups.
    pub groups: Vec<String>,
}

impl Identity {
    /// The identity of service account `name` in `namespace`, as the API
    /// server authenticates it.
    pub fn service_account(namespace: &str, name: &str) -> Identity {
        Identity {
            user: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }
}

/// What is asked: a verb on a resource (by group, resource, subresource,
/// namespace and name; empty for any) or on a non-resource path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes {
    /// `get`, `create`, ...
    pub verb: String,
    /// A non-resource URL path (`/healthz`); the resource fields are then unused.
    pub path: Option<String>,
    /// The API group (`""` for the core group).
    pub group: String,
    /// The resource (`pods`).
    pub resource: String,
    /// The subresource (`status`), or empty.
    pub subresource: String,
    /// The namespace, or empty for cluster scope.
    pub namespace: String,
    /// The object name, or empty.
    pub name: String,
}

/// One rule of a role.
#[derive(Debug, Clone, Default)]
struct Rule {
    verbs: Vec<String>,
    api_groups: Vec<String>,
    resources: Vec<String>,
    resource_names: Vec<String>,
    non_resource_urls: Vec<String>,
}

/// A binding's subject.
#[derive(Debug, Clone)]
enum Subject {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

/// A binding joined to the rules of its role.
#[derive(Debug, Clone)]
struct Grant {
    /// `RoleBinding "ns/name"` or `ClusterRoleBinding "name"`, for reasons.
    binding: String,
    /// `Role "ns/name"` or `ClusterRole "name"`.
    role: String,
    /// The namespace a RoleBinding grants in; `None` for a ClusterRoleBinding.
    namespace: Option<String>,
    subjects: Vec<Subject>,
    rules: Vec<Rule>,
}

/// The RBAC objects of an inventory, compiled for checks.
#[derive(Debug, Clone, Default)]
pub struct Rbac {
    grants: Vec<Grant>,
    objects: usize,
}

fn text<'j>(json: &'j Json, pointer: &str) -> &'j str {
    json.pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
}

fn strings(json: &Json, key: &str) -> Vec<String> {
    string_list(json.get(key)).unwrap_or_default()
}

fn rules_of(role: &Json) -> Vec<Rule> {
    role.get("rules")
        .and_then(Json::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| Rule {
                    verbs: strings(r, "verbs"),
                    api_groups: strings(r, "apiGroups"),
                    resources: strings(r, "resources"),
                    resource_names: strings(r, "resourceNames"),
                    non_resource_urls: strings(r, "nonResourceURLs"),
                })
                .collect()
        })
        .unwrap_or_default()
}

const RBAC_API: &str = "rbac.authorization.k8s.io/v1";

impl Rbac {
    /// The RBAC objects among `objects`; `None` when there is none (the
    /// inventory says nothing about RBAC, so a check cannot be answered).
    pub fn from_objects(objects: &[Json]) -> Option<Rbac> {
        let of_kind = |kind: &'static str| {
            objects
                .iter()
                .filter(move |o| text(o, "/apiVersion") == RBAC_API && text(o, "/kind") == kind)
        };
        let count = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
            .iter()
            .map(|k| of_kind(k).count())
            .sum::<usize>();
        if count == 0 {
            return None;
        }
        let find_role = |kind: &str, namespace: &str, name: &str| {
            of_kind(if kind == "Role" {
                "Role"
            } else {
                "ClusterRole"
            })
            .find(|r| {
                text(r, "/metadata/name") == name
                    && (kind != "Role" || text(r, "/metadata/namespace") == namespace)
            })
        };
        let mut grants = Vec::new();
        for (kind, cluster_wide) in [("RoleBinding", false), ("ClusterRoleBinding", true)] {
            for binding in of_kind(kind) {
                let namespace = text(binding, "/metadata/namespace");
                let role_kind = text(binding, "/roleRef/kind");
                let role_name = text(binding, "/roleRef/name");
                let Some(role) = find_role(role_kind, namespace, role_name) else {
                    continue;
                };
                let subjects = binding
                    .get("subjects")
                    .and_then(Json::as_array)
                    .map(|subjects| {
                        subjects
                            .iter()
                            .filter_map(|s| {
                                let name = text(s, "/name").to_owned();
                                match text(s, "/kind") {
                                    "User" => Some(Subject::User(name)),
                                    "Group" => Some(Subject::Group(name)),
                                    "ServiceAccount" => Some(Subject::ServiceAccount {
                                        namespace: match text(s, "/namespace") {
                                            "" => namespace.to_owned(),
                                            ns => ns.to_owned(),
                                        },
                                        name,
                                    }),
                                    _ => None,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let qualified = |n: &str| {
                    if cluster_wide || n.is_empty() {
                        format!("\"{}\"", text(binding, "/metadata/name"))
                    } else {
                        format!("\"{n}/{}\"", text(binding, "/metadata/name"))
                    }
                };
                let role_label = if role_kind == "Role" {
                    format!("Role \"{namespace}/{role_name}\"")
                } else {
                    format!("ClusterRole \"{role_name}\"")
                };
                grants.push(Grant {
                    binding: format!("{kind} {}", qualified(namespace)),
                    role: role_label,
                    namespace: (!cluster_wide).then(|| namespace.to_owned()),
                    subjects,
                    rules: rules_of(role),
                });
            }
        }
        Some(Rbac {
            grants,
            objects: count,
        })
    }

    /// How many RBAC objects were read.
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// Whether `who` may do `what`: the reason it is allowed (the binding
    /// and role that allow it, as the API server words it), or `None`.
    pub fn allows(&self, who: &Identity, what: &Attributes) -> Option<String> {
        self.grants.iter().find_map(|grant| {
            let subject = grant.subjects.iter().find(|s| applies_to(s, who))?;
            let in_scope = match &grant.namespace {
                None => true,
                // A RoleBinding grants resources of its namespace only.
                Some(ns) => what.path.is_none() && *ns == what.namespace,
            };
            (in_scope && grant.rules.iter().any(|r| rule_allows(r, what))).then(|| {
                format!(
                    "RBAC: allowed by {} of {} to {}",
                    grant.binding,
                    grant.role,
                    describe(subject)
                )
            })
        })
    }
}

fn applies_to(subject: &Subject, who: &Identity) -> bool {
    match subject {
        Subject::User(name) => *name == who.user,
        Subject::Group(name) => who.groups.contains(name),
        Subject::ServiceAccount { namespace, name } => {
            who.user == format!("system:serviceaccount:{namespace}:{name}")
        }
    }
}

fn describe(subject: &Subject) -> String {
    match subject {
        Subject::User(name) => format!("User \"{name}\""),
        Subject::Group(name) => format!("Group \"{name}\""),
        Subject::ServiceAccount { namespace, name } => {
            format!("ServiceAccount \"{name}/{namespace}\"")
        }
    }
}

/// The API server's `RuleAllows`.
fn rule_allows(rule: &Rule, what: &Attributes) -> bool {
    let any_or = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
    if !any_or(&rule.verbs, &what.verb) {
        return false;
    }
    if let Some(path) = &what.path {
        return rule.non_resource_urls.iter().any(|u| {
            u == "*" || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
        });
    }
    let combined = if what.subresource.is_empty() {
        what.resource.clone()
    } else {
        format!("{}/{}", what.resource, what.subresource)
    };
    let resource_ok = rule.resources.iter().any(|r| {
        r == "*"
            || *r == combined
            || (!what.subresource.is_empty() && *r == format!("*/{}", what.subresource))
    });
    any_or(&rule.api_groups, &what.group)
        && resource_ok
        && (rule.resource_names.is_empty()
            || (!what.name.is_empty() && rule.resource_names.contains(&what.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rbac() -> Rbac {
        Rbac::from_objects(&[
            json!({"apiVersion": RBAC_API, "kind": "ClusterRole", "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
                          {"nonResourceURLs": ["/healthz", "/metrics/*"], "verbs": ["get"]}]}),
            json!({"apiVersion": RBAC_API, "kind": "Role", "metadata": {"name": "deployer", "namespace": "shop"},
                "rules": [{"apiGroups": ["apps"], "resources": ["deployments", "*/scale"], "verbs": ["*"]},
                          {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["settings"], "verbs": ["update"]}]}),
            json!({"apiVersion": RBAC_API, "kind": "ClusterRoleBinding", "metadata": {"name": "readers"},
                "roleRef": {"kind": "ClusterRole", "name": "pod-reader"},
                "subjects": [{"kind": "Group", "name": "auditors"}]}),
            json!({"apiVersion": RBAC_API, "kind": "RoleBinding", "metadata": {"name": "ci", "namespace": "shop"},
                "roleRef": {"kind": "Role", "name": "deployer"},
                "subjects": [{"kind": "ServiceAccount", "name": "ci"}, {"kind": "User", "name": "alice"}]}),
        ])
        .unwrap()
    }

    fn resource(verb: &str, group: &str, resource: &str, namespace: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            ..Attributes::default()
        }
    }

    #[test]
    fn rbac_answers_as_the_api_server() {
        let rbac = rbac();
        assert_eq!(rbac.objects(), 4);
        let auditor = Identity {
            user: "bob".into(),
            groups: vec!["auditors".into()],
        };
        let alice = Identity {
            user: "alice".into(),
            groups: vec![],
        };
        let ci = Identity::service_account("shop", "ci");
        let sub = |mut a: Attributes, subresource: &str| {
            a.subresource = subresource.into();
            a
        };
        let named = |mut a: Attributes, name: &str| {
            a.name = name.into();
            a
        };
        let path = |p: &str| Attributes {
            verb: "get".into(),
            path: Some(p.into()),
            ..Attributes::default()
        };
        let get_pod = resource("get", "", "pods", "x");
        let deploy = |ns: &str| resource("create", "apps", "deployments", ns);
        let scale = sub(resource("update", "apps", "replicasets", "shop"), "scale");
        let settings = resource("update", "", "configmaps", "shop");
        let readers = "RBAC: allowed by ClusterRoleBinding \"readers\" of ClusterRole \"pod-reader\" to Group \"auditors\"";
        let ci_deploys = "RBAC: allowed by RoleBinding \"shop/ci\" of Role \"shop/deployer\" to ServiceAccount \"ci/shop\"";
        let alice_deploys =
            "RBAC: allowed by RoleBinding \"shop/ci\" of Role \"shop/deployer\" to User \"alice\"";
        let cases = [
            (&auditor, resource("list", "", "pods", "any"), Some(readers)),
            (&auditor, resource("delete", "", "pods", "any"), None),
            (&auditor, sub(get_pod.clone(), "log"), Some(readers)),
            (&auditor, sub(get_pod, "exec"), None),
            (&auditor, path("/healthz"), Some(readers)),
            (&auditor, path("/metrics/cadvisor"), Some(readers)),
            (&auditor, path("/debug"), None),
            // A RoleBinding grants in its namespace only.
            (&ci, deploy("shop"), Some(ci_deploys)),
            (&ci, deploy("other"), None),
            (&alice, scale, Some(alice_deploys)),
            // resourceNames: only the named object.
            (&alice, settings.clone(), None),
            (
                &alice,
                named(settings.clone(), "settings"),
                Some(alice_deploys),
            ),
            (&alice, named(settings, "other"), None),
        ];
        for (who, what, expected) in cases {
            assert_eq!(
                rbac.allows(who, &what).as_deref(),
                expected,
                "{who:?} {what:?}"
            );
        }
        assert!(Rbac::from_objects(&[json!({"apiVersion": "v1", "kind": "Pod"})]).is_none());
    }
}
