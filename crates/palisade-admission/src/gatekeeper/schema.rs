//! The check Kubernetes applies to a constraint's `spec.parameters` against
//! its template's `openAPIV3Schema`: types, `properties`,
//! `additionalProperties`, `items`, `enum` and `x-kubernetes-int-or-string`.
//! Like a structural schema, unknown properties are allowed (Kubernetes
//! prunes them) and `null` is accepted anywhere.

use serde_json::Value as Json;

/// How deep a schema is followed (a guard against hostile schemas).
const MAX_DEPTH: usize = 64;

/// Checks `value` against `schema`; the error names the offending field
/// (under `path`) and what was expected.
pub fn check(schema: &Json, value: &Json, path: &str) -> Result<(), String> {
    check_at(schema, value, path, 0)
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn check_at(schema: &Json, value: &Json, path: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH || value.is_null() || !schema.is_object() {
        return Ok(());
    }
    let actual = type_name(value);
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Json::as_bool)
        == Some(true);
    if int_or_string {
        if !matches!(actual, "integer" | "string") {
            return Err(format!(
                "`{path}` must be an integer or a string, not {actual}"
            ));
        }
    } else if let Some(expected) = schema.get("type").and_then(Json::as_str) {
        let fits = match expected {
            "number" => matches!(actual, "number" | "integer"),
            other => other == actual,
        };
        if !fits {
            return Err(format!("`{path}` must be {expected}, not {actual}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Json::as_array)
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return Err(format!(
            "`{path}` is {value}, not one of {}",
            list.join(", ")
        ));
    }
    match value {
        Json::Object(fields) => {
            let properties = schema.get("properties").and_then(Json::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, field) in fields {
                let sub = properties.and_then(|p| p.get(key)).or(additional);
                if let Some(sub) = sub {
                    check_at(sub, field, &format!("{path}.{key}"), depth + 1)?;
                }
            }
        }
        Json::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_at(sub, item, &format!("{path}[{i}]"), depth + 1)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_checked_like_a_structural_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "labels": {"type": "array", "items": {"type": "string"}},
                "rule": {"type": "string", "enum": ["MustRunAs", "RunAsAny"]},
                "ranges": {"type": "array", "items": {"type": "object",
                    "properties": {"min": {"type": "integer"}, "max": {"type": "number"}}}},
                "port": {"x-kubernetes-int-or-string": true},
                "extra": {"type": "object", "additionalProperties": {"type": "boolean"}}
            }
        });
        let ok = json!({"labels": ["a"], "rule": "RunAsAny", "ranges": [{"min": 1, "max": 2.5}],
                        "port": "http", "extra": {"x": true}, "unknown": 7, "rule2": null});
        assert_eq!(check(&schema, &ok, "spec.parameters"), Ok(()));
        let err = check(&schema, &json!({"labels": ["a", 3]}), "spec.parameters").unwrap_err();
        assert_eq!(
            err,
            "`spec.parameters.labels[1]` must be string, not integer"
        );
        let err = check(&schema, &json!({"rule": "Never"}), "p").unwrap_err();
        assert!(err.contains("not one of"), "{err}");
        assert!(check(&schema, &json!({"ranges": [{"min": 1.5}]}), "p").is_err());
        assert!(check(&schema, &json!({"port": true}), "p").is_err());
        assert!(check(&schema, &json!({"extra": {"x": "yes"}}), "p").is_err());
    }
}
