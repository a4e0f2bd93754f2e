//! Kyverno's `resource` CEL library (`resource.Get`, `resource.List`),
//! answered from the cluster objects Palisade was given (the inventory, or
//! `kyverno test`'s `context.yaml`), never from a live cluster. The
//! objects are set for the evaluating thread with [`with_objects`] around an
//! evaluation.

use std::cell::RefCell;
use std::sync::Arc;

use cel_core::{CelType, EvalError, FunctionDecl, OverloadDecl, Value};
use serde_json::Value as Json;

use super::resources::plural;
use super::value::from_json;

thread_local! {
    static OBJECTS: RefCell<Option<Arc<[Json]>>> = const { RefCell::new(None) };
}

/// Runs `f` with `objects` as what `resource.Get`/`resource.List` see.
pub fn with_objects<T>(objects: Arc<[Json]>, f: impl FnOnce() -> T) -> T {
    let previous = OBJECTS.with(|o| o.replace(Some(objects)));
    let out = f();
    OBJECTS.with(|o| o.replace(previous));
    out
}

/// The objects of `apiVersion` and (plural) `resource` in `namespace`
/// (every namespace when empty) named `name` (any name when `None`).
fn select(api_version: &str, resource: &str, namespace: &str, name: Option<&str>) -> Vec<Value> {
    OBJECTS.with(|objects| {
        let objects = objects.borrow();
        objects
            .iter()
            .flat_map(|o| o.iter())
            .filter(|o| {
                let text = |p: &str| o.pointer(p).and_then(Json::as_str).unwrap_or_default();
                text("/apiVersion") == api_version
                    && plural(text("/kind")) == resource
                    && (namespace.is_empty() || text("/metadata/namespace") == namespace)
                    && name.is_none_or(|n| text("/metadata/name") == n)
            })
            .map(from_json)
            .collect()
    })
}

fn strings(args: &[Value]) -> Option<Vec<&str>> {
    args.iter()
        .map(|a| match a {
            Value::String(s) => Some(&**s),
            _ => None,
        })
        .collect()
}

/// `resource.Get` and `resource.List`.
pub fn functions() -> Vec<FunctionDecl> {
    let s = || CelType::String;
    vec![
        FunctionDecl::new("resource.Get").with_overload(
            OverloadDecl::function("resource_get", vec![s(), s(), s(), s()], CelType::Dyn).with_impl(
                |args| match strings(args).as_deref() {
                    Some([api_version, resource, namespace, name]) => {
                        match select(api_version, resource, namespace, Some(name)).into_iter().next() {
                            Some(object) => object,
                            None => Value::error(EvalError::invalid_argument(format!(
                                "resource.Get: {resource} `{namespace}/{name}` ({api_version}) is not among the cluster objects"
                            ))),
                        }
                    }
                    _ => Value::error(EvalError::invalid_argument("resource.Get: expected four strings")),
                },
            ),
        ),
        FunctionDecl::new("resource.List").with_overload(
            OverloadDecl::function("resource_list", vec![s(), s(), s()], CelType::Dyn).with_impl(
                |args| match strings(args).as_deref() {
                    Some([api_version, resource, namespace]) => {
                        let items = select(api_version, resource, namespace, None);
                        Value::map([("items", Value::List(items.into()))])
                    }
                    _ => Value::error(EvalError::invalid_argument("resource.List: expected three strings")),
                },
            ),
        ),
    ]
}
