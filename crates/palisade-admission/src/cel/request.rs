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
    let object = object.filter(|o| !o.is_null());
    let old_object = old_object.filter(|o| !o.is_null() && needs.old_object);
    let namespace = request
        .namespace
        .as_deref()
        .filter(|_| needs.namespace_object)
        .and_then(|name| context.namespace(name));
    // One pass converts and counts (the cost limit's input size).
    let mut nodes = 1;
    let mut convert =
        |json: Option<&Json>| json.map_or(Value::Null, |j| from_json_counted(j, &mut nodes));
    let object = convert(object);
    let old_object = convert(old_object);
    let params_value = convert(params);
    Inputs {
        object,
        old_object,
        request: if needs.request {
            from_json(&attributes(request))
        } else {
            Value::Null
        },
        params: params_value,
        namespace_object: namespace.map_or(Value::Null, from_json),
        preset_variables: Vec::new(),
        nodes,
    }
}
