//! Kubernetes' authorizer library (`authz.go` of
//! `k8s.io/apiserver/pkg/cel/library`), answered offline from the RBAC
//! objects of the inventory ([`crate::cel::rbac`]): the `authorizer`
//! variable with `path`, `group`, `serviceAccount` and the field
//! `requestResource`; `resource`, `subresource`, `namespace`, `name` and
//! `check(verb)` on the checks; `allowed`, `reason`, `errored`, `error` on
//! the decision. With no RBAC object in the inventory a `check` is an
//! evaluation error naming the expression (the policy's `failurePolicy`
//! then decides), not a silent denial.

use std::sync::Arc;

use cel_core::{CelType, FunctionDecl, MapKey, OverloadDecl, Value, ValueMap};

use super::opaque::{Kind, arg, cel_type, member, wrap};
use super::{declare, fail, string_arg};
use crate::cel::cluster;
use crate::cel::rbac::{Attributes, Identity};

/// Who a check is for: the authorizer's identity.
#[derive(Debug, Clone, PartialEq)]
struct Principal(Identity);

impl Kind for Principal {
    const NAME: &'static str = "kubernetes.authorization.Identity";
}

/// Declares a check type: an identity and what it asks, under a CEL type name.
macro_rules! check_kind {
    ($(#[$doc:meta])* $name:ident = $cel:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        struct $name(Identity, Attributes);

        impl Kind for $name {
            const NAME: &'static str = $cel;
        }
    };
}

check_kind!(
    /// `authorizer.path(p)`.
    PathCheck = "kubernetes.authorization.PathCheck"
);
check_kind!(
    /// `authorizer.group(g)`.
    GroupCheck = "kubernetes.authorization.GroupCheck"
);
check_kind!(
    /// `authorizer.group(g).resource(r)...`.
    ResourceCheck = "kubernetes.authorization.ResourceCheck"
);

/// What a check gave.
#[derive(Debug, Clone, PartialEq)]
struct Decision {
    allowed: bool,
    reason: String,
}

impl Kind for Decision {
    const NAME: &'static str = "kubernetes.authorization.Decision";
}

/// The key the identity is kept under in the `authorizer` value (a map, so
/// that `authorizer.requestResource` is a field); `@` cannot start a field
/// name in CEL source.
const IDENTITY: &str = "@identity";

fn key(name: &str) -> MapKey {
    MapKey::String(Arc::from(name))
}

/// The `authorizer` value for `identity`, whose `requestResource` is
/// `request` (the request's own resource).
fn authorizer_value(identity: Identity, request: Attributes) -> Value {
    Value::Map(Arc::new(ValueMap::from_entries([
        (
            key("requestResource"),
            wrap(ResourceCheck(identity.clone(), request)),
        ),
        (key(IDENTITY), wrap(Principal(identity))),
    ])))
}

/// The `authorizer` of a request: its user (`request.userInfo`) and its
/// resource (`request.resource`, `subResource`, `namespace`, `name`).
pub(crate) fn for_request(request: &Value) -> Value {
    let field = |value: Option<&Value>, name: &str| -> Option<Value> {
        match value? {
            Value::Map(map) => map.get(&key(name)).cloned(),
            _ => None,
        }
    };
    let text = |value: Option<Value>| match value {
        Some(Value::String(s)) => s.to_string(),
        _ => String::new(),
    };
    let user_info = field(Some(request), "userInfo");
    let groups = match field(user_info.as_ref(), "groups") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|g| match g {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let identity = Identity {
        user: text(field(user_info.as_ref(), "username")),
        groups,
    };
    let resource = field(Some(request), "resource");
    let attributes = Attributes {
        group: text(field(resource.as_ref(), "group")),
        resource: text(field(resource.as_ref(), "resource")),
        subresource: text(field(Some(request), "subResource")),
        namespace: text(field(Some(request), "namespace")),
        name: text(field(Some(request), "name")),
        ..Attributes::default()
    };
    authorizer_value(identity, attributes)
}

/// The identity of an `authorizer` value.
fn identity_of(args: &[Value]) -> Option<Identity> {
    match args.first()? {
        Value::Map(map) => {
            let value = map.get(&key(IDENTITY))?;
            arg::<Principal>(std::slice::from_ref(value), 0).map(|p| p.0.clone())
        }
        _ => None,
    }
}

/// `authorizer.<name>(...)`: `f` of the identity and the string arguments.
fn on_authorizer(
    name: &'static str,
    params: usize,
    result: CelType,
    f: fn(Identity, &[&str]) -> Value,
) -> FunctionDecl {
    let mut types = vec![CelType::Dyn];
    types.extend(std::iter::repeat_n(CelType::String, params));
    let overload = OverloadDecl::method(format!("authorizer_{name}"), types, result);
    declare(name, overload, move |args| {
        let strings: Option<Vec<&str>> = (1..=params).map(|i| string_arg(args, i)).collect();
        match (identity_of(args), strings) {
            (Some(identity), Some(strings)) => f(identity, &strings),
            _ => fail(format!(
                "{name}: expected the authorizer and {params} string(s)"
            )),
        }
    })
}

/// `check.<name>(s)` on a resource check: the check with the field set.
fn narrow(name: &'static str, set: fn(&mut Attributes, &str)) -> FunctionDecl {
    let overload = OverloadDecl::method(
        format!("resourcecheck_{name}"),
        vec![cel_type::<ResourceCheck>(), CelType::String],
        cel_type::<ResourceCheck>(),
    );
    declare(name, overload, move |args| {
        match (arg::<ResourceCheck>(args, 0), string_arg(args, 1)) {
            (Some(check), Some(value)) => {
                let mut check = check.clone();
                set(&mut check.1, value);
                wrap(check)
            }
            _ => fail(format!("{name}: expected a resource check and a string")),
        }
    })
}

/// The decision of RBAC on `attributes` asked with `verb`.
fn decide(identity: &Identity, attributes: &Attributes, verb: &str) -> Value {
    match cluster::rbac() {
        Ok(rbac) => {
            let what = Attributes {
                verb: verb.to_owned(),
                ..attributes.clone()
            };
            let reason = rbac.allows(identity, &what);
            wrap(Decision {
                allowed: reason.is_some(),
                reason: reason.unwrap_or_default(),
            })
        }
        Err(e) => fail(e),
    }
}

/// The functions of the library.
pub fn functions() -> Vec<FunctionDecl> {
    let check = |kind: CelType, id: &str| {
        OverloadDecl::method(id, vec![kind, CelType::String], cel_type::<Decision>())
    };
    vec![
        on_authorizer("path", 1, cel_type::<PathCheck>(), |identity, s| {
            let attributes = Attributes {
                path: s.first().map(|p| (*p).to_owned()),
                ..Attributes::default()
            };
            wrap(PathCheck(identity, attributes))
        }),
        on_authorizer("group", 1, cel_type::<GroupCheck>(), |identity, s| {
            let attributes = Attributes {
                group: s.first().map(|g| (*g).to_owned()).unwrap_or_default(),
                ..Attributes::default()
            };
            wrap(GroupCheck(identity, attributes))
        }),
        on_authorizer("serviceAccount", 2, CelType::Dyn, |_, s| match s {
            [namespace, name] => authorizer_value(
                Identity::service_account(namespace, name),
                Attributes::default(),
            ),
            _ => fail("serviceAccount: expected a namespace and a name".into()),
        }),
        declare(
            "resource",
            OverloadDecl::method(
                "groupcheck_resource",
                vec![cel_type::<GroupCheck>(), CelType::String],
                cel_type::<ResourceCheck>(),
            ),
            |args| match (arg::<GroupCheck>(args, 0), string_arg(args, 1)) {
                (Some(GroupCheck(identity, attributes)), Some(resource)) => {
                    let mut attributes = attributes.clone();
                    resource.clone_into(&mut attributes.resource);
                    wrap(ResourceCheck(identity.clone(), attributes))
                }
                _ => fail("resource: expected a group check and a string".into()),
            },
        ),
        narrow("subresource", |a, v| v.clone_into(&mut a.subresource)),
        narrow("namespace", |a, v| v.clone_into(&mut a.namespace)),
        narrow("name", |a, v| v.clone_into(&mut a.name)),
        FunctionDecl::new("check")
            .with_overload(
                check(cel_type::<ResourceCheck>(), "resourcecheck_check").with_impl(|args| match (
                    arg::<ResourceCheck>(args, 0),
                    string_arg(args, 1),
                ) {
                    (Some(ResourceCheck(identity, attributes)), Some(verb)) => {
                        decide(identity, attributes, verb)
                    }
                    _ => fail("check: expected a verb".into()),
                }),
            )
            .with_overload(check(cel_type::<PathCheck>(), "pathcheck_check").with_impl(
                |args| match (arg::<PathCheck>(args, 0), string_arg(args, 1)) {
                    (Some(PathCheck(identity, attributes)), Some(verb)) => {
                        decide(identity, attributes, verb)
                    }
                    _ => fail("check: expected a verb".into()),
                },
            )),
        member::<Decision>("allowed", "decision_allowed", CelType::Bool, |d| {
            Value::Bool(d.allowed)
        }),
        member::<Decision>("reason", "decision_reason", CelType::String, |d| {
            Value::from(d.reason.as_str())
        }),
        // RBAC read from the inventory never errs once it is there.
        member::<Decision>("errored", "decision_errored", CelType::Bool, |_| {
            Value::Bool(false)
        }),
        member::<Decision>("error", "decision_error", CelType::String, |_| {
            Value::from("")
        }),
    ]
}
