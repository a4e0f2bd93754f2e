//! The CEL variables of an admission request: `object`, `oldObject`,
//! `request` (without the objects, as the API server gives it; `operation`,
//! `resource` and `userInfo` filled in for a request built from a plain
//! manifest) and `namespaceObject`.

use cel_core::Value;
use serde_json::Value as Json;

use super::resources::resource_of;
use super::validation::Inputs;
pub use super::validation::Needs;
use super::value::{from_json, from_json_counted};
use crate::request_cache::RequestCache;
use crate::review::{AdmissionRequest, Context};

pub use super::expression::VARIABLES;

/// The inputs of a request, with `params` as the parameter resource.
pub fn inputs(request: &AdmissionRequest, context: &Context, params: Option<&Json>) -> Inputs {
    inputs_with(
        request,
        request.object.as_ref(),
        request.old_object.as_ref(),
        context,
        params,
        Needs::ALL,
    )
}

/// The request's attributes without its objects, as JSON (built from the
/// fields, so the objects are never copied).
fn attributes(request: &AdmissionRequest) -> Json {
    let shallow = AdmissionRequest {
        uid: request.uid.clone(),
        kind: request.kind.clone(),
        resource: request.resource.clone(),
        sub_resource: request.sub_resource.clone(),
        request_kind: request.request_kind.clone(),
        request_resource: request.request_resource.clone(),
        name: request.name.clone(),
        namespace: request.namespace.clone(),
        operation: request.operation,
        user_info: request.user_info.clone(),
        object: None,
        old_object: None,
        dry_run: request.dry_run,
        options: request.options.clone(),
        extra: request.extra.clone(),
    };
    let mut wire = shallow.to_json();
    if let Some(map) = wire.as_object_mut() {
        // What the API server always sets, for a request built from a plain
        // manifest (a CREATE by an anonymous user).
        let (group, version, resource) = resource_of(request);
        map.entry("operation")
            .or_insert_with(|| Json::from("CREATE"));
        map.entry("resource").or_insert_with(
            || serde_json::json!({"group": group, "version": version, "resource": resource}),
        );
        map.entry("userInfo")
            .or_insert_with(|| serde_json::json!({"username": "", "groups": []}));
    }
    wire
}

/// The inputs of a request whose expressions see `object` and `old_object`
/// (a Pod controller's template for Kyverno's autogen, say).
pub fn inputs_with(
    request: &AdmissionRequest,
    object: Option<&Json>,
    old_object: Option<&Json>,
    context: &Context,
    params: Option<&Json>,
    needs: Needs,
) -> Inputs {
    let object = object.filter(|o| !o.is_null()).map(counted);
    let old_object = old_object
        .filter(|o| !o.is_null() && needs.old_object)
        .map(counted);
    let request_value = needs.request.then(|| from_json(&attributes(request)));
    let converted = (object, old_object, request_value);
    finish(request, context, params, needs, converted)
}

/// The inputs of a request (its own object and old object), taking the CEL
/// values of the object, old object and attributes from `cache`, where the
/// policies before on the same request left them: each is converted once
/// per request, not once per policy.
pub fn inputs_cached(
    request: &AdmissionRequest,
    context: &Context,
    params: Option<&Json>,
    needs: Needs,
    cache: &RequestCache,
) -> Inputs {
    let object = request
        .object
        .as_ref()
        .filter(|o| !o.is_null())
        .map(|o| cache.cel_object.get_or_init(|| counted(o)).clone());
    let old_object = request
        .old_object
        .as_ref()
        .filter(|o| !o.is_null() && needs.old_object)
        .map(|o| cache.cel_old_object.get_or_init(|| counted(o)).clone());
    let request_value = needs.request.then(|| {
        cache
            .cel_request
            .get_or_init(|| from_json(&attributes(request)))
            .clone()
    });
    let converted = (object, old_object, request_value);
    finish(request, context, params, needs, converted)
}

/// A converted object with its node count, when there is one.
type Converted = Option<(Value, u64)>;

/// The CEL value of `json` with its node count, in one pass.
fn counted(json: &Json) -> (Value, u64) {
    let mut nodes = 0;
    let value = from_json_counted(json, &mut nodes);
    (value, nodes)
}

/// The inputs from the converted object and old object (with their node
/// counts) and request attributes; params and the Namespace converted here.
fn finish(
    request: &AdmissionRequest,
    context: &Context,
    params: Option<&Json>,
    needs: Needs,
    (object, old_object, request_value): (Converted, Converted, Option<Value>),
) -> Inputs {
    let namespace = request
        .namespace
        .as_deref()
        .filter(|_| needs.namespace_object)
        .and_then(|name| context.namespace(name));
    let (object, object_nodes) = object.unwrap_or((Value::Null, 0));
    let (old_object, old_nodes) = old_object.unwrap_or((Value::Null, 0));
    let (params, params_nodes) = params.map_or((Value::Null, 0), counted);
    Inputs {
        object,
        old_object,
        request: request_value.unwrap_or(Value::Null),
        params,
        namespace_object: namespace.map_or(Value::Null, from_json),
        preset_variables: Vec::new(),
        // The cost limit's input size.
        nodes: 1 + object_nodes + old_nodes + params_nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_object_is_converted_once_per_request() {
        let request = AdmissionRequest::from_object(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}))
        .unwrap();
        let context = Context::new();
        let cache = RequestCache::new();
        let first = inputs_cached(&request, &context, None, Needs::ALL, &cache);
        let second = inputs_cached(
            &request,
            &context,
            Some(&json!({"a": 1})),
            Needs::ALL,
            &cache,
        );
        let (Value::Map(a), Value::Map(b)) = (&first.object, &second.object) else {
            panic!("objects are maps");
        };
        assert!(std::sync::Arc::ptr_eq(a, b), "converted again");
        // The same values and sizes as converting afresh, params counted.
        let fresh = inputs(&request, &context, None);
        assert_eq!(first.object, fresh.object);
        assert_eq!(first.request, fresh.request);
        assert_eq!(first.nodes, fresh.nodes);
        assert_eq!(second.nodes, fresh.nodes + 2);
    }
}
