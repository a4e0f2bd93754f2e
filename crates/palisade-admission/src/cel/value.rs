//! Kubernetes objects (JSON) as CEL values, and back.

use cel_core::{MapKey, OptionalValue, Value, ValueMap};
use serde_json::Value as Json;
use std::sync::Arc;

/// The CEL value of a JSON value: objects become maps with string keys,
/// whole numbers `int` (as Kubernetes' integer fields are), others `double`.
pub fn from_json(json: &Json) -> Value {
    from_json_counted(json, &mut 0)
}

/// [`from_json`], adding the [`node_count`] of `json` to `nodes` in the
/// same pass.
pub fn from_json_counted(json: &Json, nodes: &mut u64) -> Value {
    *nodes += 1;
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => match n.as_u64() {
                Some(u) => Value::UInt(u),
                None => Value::Double(n.as_f64().unwrap_or_default()),
            },
        },
        Json::String(s) => Value::String(Arc::from(s.as_str())),
        Json::Array(items) => Value::List(
            items
                .iter()
                .map(|item| from_json_counted(item, nodes))
                .collect(),
        ),
        Json::Object(fields) => Value::Map(Arc::new(ValueMap::from_entries(fields.iter().map(
            |(k, v)| {
                (
                    MapKey::String(Arc::from(k.as_str())),
                    from_json_counted(v, nodes),
                )
            },
        )))),
    }
}

/// The JSON form of a CEL value, for values that have one (`None` for
/// types, errors, ...). An empty optional is `null`.
pub fn to_json(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Value::Map(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter() {
                let key = match k {
                    MapKey::String(s) => s.to_string(),
                    MapKey::Int(i) => i.to_string(),
                    MapKey::UInt(u) => u.to_string(),
                    MapKey::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(v)?);
            }
            Json::Object(out)
        }
        Value::Optional(OptionalValue::None) => Json::Null,
        Value::Optional(OptionalValue::Some(v)) => to_json(v)?,
        _ => return None,
    })
}

/// The number of nodes of a JSON value (every scalar, list and map counts
/// one): what bounds how many times a comprehension over it can iterate.
pub fn node_count(json: &Json) -> u64 {
    match json {
        Json::Array(items) => 1 + items.iter().map(node_count).sum::<u64>(),
        Json::Object(fields) => 1 + fields.values().map(node_count).sum::<u64>(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_cel_values() {
        let object = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        let value = from_json(&object);
        assert_eq!(to_json(&value), Some(object.clone()));
        assert_eq!(node_count(&object), 9);
        let mut nodes = 0;
        assert_eq!(from_json_counted(&object, &mut nodes), value);
        assert_eq!(nodes, 9);
    }
}
