//! Conversions between JSON (`serde_json::Value`) and regorus values,
//! without an intermediate copy of the JSON tree.

use std::collections::BTreeMap;

use regorus::Value;
use serde_json::Value as Json;

/// The regorus value of a JSON value (numbers keep their integer or
/// floating-point form), the same value as regorus's own deserializer
/// builds, walked directly: this runs on every request's object for every
/// template, and skipping serde's visitor machinery makes it about a third
/// cheaper.
pub(crate) fn to_rego(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            // As serde_json hands numbers to regorus's visitor: unsigned,
            // then signed, then floating point (always finite in JSON).
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                n.as_f64().map_or(Value::Null, Value::from)
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(to_rego).collect::<Vec<Value>>()),
        Json::Object(fields) => Value::from(
            fields
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_rego(v)))
                .collect::<BTreeMap<Value, Value>>(),
        ),
    }
}

/// An object value from (key, value) pairs.
pub(crate) fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::from(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect::<BTreeMap<Value, Value>>(),
    )
}

/// The JSON value of a regorus value (sets become arrays, as in OPA's output).
pub(crate) fn to_json(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_rego_values() {
        let doc = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        let value = to_rego(&doc);
        assert_eq!(value["b"]["c"], Value::from(-3i64));
        assert_eq!(to_json(&value), doc);
        // The same value as regorus's own deserializer builds.
        let doc = json!({"n": [0, 1, -1, u64::MAX, i64::MIN, 0.5, -2.5e300], "s": "x", "o": {}, "a": [], "z": null, "t": false});
        assert_eq!(to_rego(&doc), Value::deserialize(&doc).unwrap());
        let obj = object([("k", Value::from("v"))]);
        assert_eq!(to_json(&obj), json!({"k": "v"}));
    }
}
