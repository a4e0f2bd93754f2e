//! Kyverno's `resource` CEL library (`resource.Get`, `resource.List`),
//! answered from the cluster objects Palisade was given (the inventory, or
//! `kyverno test`'s `context.yaml`), never from a live cluster; its
//! `image.GetMetadata`, answered from the image metadata given
//! (`context.yaml` `spec.images`), never from a registry; and `time.now()`.
//! The objects are set for the evaluating thread with [`with_objects`] or
//! [`with_context`] around an evaluation.

use std::cell::RefCell;
use std::sync::Arc;

use cel_core::{CelType, EvalError, FunctionDecl, OverloadDecl, Timestamp, Value};
use serde_json::Value as Json;

use super::rbac::Rbac;
use super::resources::plural;
use super::value::from_json;
use crate::review::Context;

/// What the library sees: cluster objects, image metadata and the RBAC
/// rules among the objects (for the `authorizer`).
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    /// The cluster objects.
    pub objects: Arc<[Json]>,
    /// Image metadata.
    pub images: Arc<[Json]>,
    /// The RBAC objects compiled, when there are any.
    pub rbac: Option<Arc<Rbac>>,
}

thread_local! {
    static CLUSTER: RefCell<Option<Cluster>> = const { RefCell::new(None) };
}

/// Runs `f` with `cluster` as what the library sees.
fn with_cluster<T>(cluster: Cluster, f: impl FnOnce() -> T) -> T {
    let previous = CLUSTER.with(|o| o.replace(Some(cluster)));
    let out = f();
    CLUSTER.with(|o| o.replace(previous));
    out
}

/// Runs `f` with `objects` as what `resource.Get`/`resource.List` see (and
/// no image metadata).
pub fn with_objects<T>(objects: Arc<[Json]>, f: impl FnOnce() -> T) -> T {
    let rbac = Rbac::from_objects(&objects).map(Arc::new);
    with_cluster(
        Cluster {
            objects,
            images: Arc::from([]),
            rbac,
        },
        f,
    )
}

/// The RBAC rules of the evaluation's cluster: `Err` with the reason when
/// none were given.
pub(crate) fn rbac() -> Result<Arc<Rbac>, String> {
    CLUSTER.with(|cluster| {
        cluster
            .borrow()
            .as_ref()
            .and_then(|c| c.rbac.clone())
            .ok_or_else(|| {
                "authorizer: no RBAC objects (Roles, ClusterRoles and their bindings) were given in the inventory, so no check can be answered".to_owned()
            })
    })
}

/// Runs `f` with the objects and image metadata of `context` as what the
/// library sees (shared, not copied).
pub fn with_context<T>(context: &Context, f: impl FnOnce() -> T) -> T {
    with_cluster(context.shared(), f)
}

/// An image reference as written, and without the Docker Hub defaults
/// (`docker.io/`, `library/`), which name the same image.
fn same_image(a: &str, b: &str) -> bool {
    let short = |r: &str| {
        let r = r.strip_prefix("docker.io/").unwrap_or(r);
        r.strip_prefix("library/").unwrap_or(r).to_owned()
    };
    a == b || short(a) == short(b)
}

/// The metadata given for `reference`.
fn image_metadata(reference: &str) -> Option<Value> {
    CLUSTER.with(|cluster| {
        let cluster = cluster.borrow();
        cluster
            .as_ref()?
            .images
            .iter()
            .find(|m| {
                m.get("image")
                    .and_then(Json::as_str)
                    .is_some_and(|i| same_image(i, reference))
            })
            .map(from_json)
    })
}

/// The objects of `apiVersion` and (plural) `resource` in `namespace`
/// (every namespace when empty) named `name` (any name when `None`).
fn select(api_version: &str, resource: &str, namespace: &str, name: Option<&str>) -> Vec<Value> {
    CLUSTER.with(|cluster| {
        let cluster = cluster.borrow();
        cluster
            .iter()
            .flat_map(|c| c.objects.iter())
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

/// `resource.Get`, `resource.List`, `image.GetMetadata` and `time.now`.
pub fn functions() -> Vec<FunctionDecl> {
    let s = || CelType::String;
    vec![
        FunctionDecl::new("image.GetMetadata").with_overload(
            OverloadDecl::function("image_get_metadata", vec![s()], CelType::Dyn).with_impl(
                |args| match args.first() {
                    Some(Value::String(reference)) => image_metadata(reference).unwrap_or_else(|| {
                        Value::error(EvalError::invalid_argument(format!(
                            "image.GetMetadata: no metadata was given for image `{reference}` (Palisade does not ask registries: give it in the context's `spec.images`)"
                        )))
                    }),
                    _ => Value::error(EvalError::invalid_argument("image.GetMetadata: expected a string")),
                },
            ),
        ),
        FunctionDecl::new("time.now").with_overload(
            OverloadDecl::function("time_now", vec![], CelType::Timestamp).with_impl(|_| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                Value::Timestamp(Timestamp::new(
                    i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
                    i32::try_from(now.subsec_nanos()).unwrap_or_default(),
                ))
            }),
        ),
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
