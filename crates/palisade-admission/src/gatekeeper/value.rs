//! Conversions between JSON (`serde_json::Value`) and regorus values,
//! without an intermediate copy of the JSON tree.

use std::collections::BTreeMap;

use regorus::Value;
use serde::Deserialize;
use serde_json::Value as Json;

/// The regorus value of a JSON value (numbers keep their integer or
/// floating-point form).
pub(crate) fn to_rego(json: &Json) -> Value {
    Value::deserialize(json).unwrap_or(Value::Undefined)
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
    use serde_json::json;

    #[test]
    fn json_round_trips_through_rego_values() {
        let doc = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        let value = to_rego(&doc);
        assert_eq!(value["b"]["c"], Value::from(-3i64));
        assert_eq!(to_json(&value), doc);
        let obj = object([("k", Value::from("v"))]);
        assert_eq!(to_json(&obj), json!({"k": "v"}));
    }
}
