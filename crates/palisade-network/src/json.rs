//! Reading manifests' JSON.

use serde_json::Value as Json;

/// The elements of `value` when it is an array; none when it is absent or
/// anything else (what is not an array is reported, where it matters, by
/// the caller's own checks).
pub(crate) fn items(value: Option<&Json>) -> impl Iterator<Item = &Json> {
    value.and_then(Json::as_array).into_iter().flatten()
}

/// A JSON mapping.
pub(crate) type Object = serde_json::Map<String, Json>;
