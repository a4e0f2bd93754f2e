//! Kyverno's `{{ }}` variables on the `jmespath` crate: standard JMESPath
//! plus the Kyverno functions the mutate corpus uses (`regex_replace_all`,
//! `parse_yaml`, `to_string`), and Kyverno's substitution rules (innermost
//! `{{ }}` first; a string that is one variable keeps the value's type).

use std::sync::LazyLock;

use jmespath::functions::{ArgumentType, CustomFunction, Signature};
use jmespath::{
    Context, ErrorReason, Expression, JmespathError, Rcvar, Runtime, RuntimeError, Variable,
};
use serde_json::Value;

fn runtime_error(ctx: &Context<'_>, message: String) -> JmespathError {
    JmespathError::from_ctx(
        ctx,
        ErrorReason::Runtime(RuntimeError::InvalidType {
            expected: message,
            actual: String::new(),
            position: 0,
        }),
    )
}

fn text_of(v: &Variable) -> String {
    match v {
        Variable::String(s) => s.clone(),
        other => serde_json::to_value(other)
            .map(|j| j.to_string())
            .unwrap_or_default(),
    }
}

/// A JSON value as a JMESPath value.
pub fn to_var(value: Value) -> Rcvar {
    Rcvar::new(Variable::try_from(value).unwrap_or(Variable::Null))
}

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut rt = Runtime::new();
    rt.register_builtin_functions();
    let string_or_number = ArgumentType::Union(vec![ArgumentType::String, ArgumentType::Number]);
    rt.register_function(
        "regex_replace_all",
        Box::new(CustomFunction::new(
            Signature::new(
                vec![
                    ArgumentType::String,
                    string_or_number.clone(),
                    string_or_number,
                ],
                None,
            ),
            Box::new(|args, ctx| {
                let (Some(re), Some(src), Some(with)) = (args.first(), args.get(1), args.get(2))
                else {
                    return Err(runtime_error(ctx, "three arguments".to_owned()));
                };
                let re = regex::Regex::new(&text_of(re))
                    .map_err(|e| runtime_error(ctx, format!("a valid regular expression ({e})")))?;
                let (src, with) = (text_of(src), text_of(with));
                let out = re.replace_all(&src, with.as_str()).into_owned();
                Ok(Rcvar::new(Variable::String(out)))
            }),
        )),
    );
    rt.register_function(
        "parse_yaml",
        Box::new(CustomFunction::new(
            Signature::new(vec![ArgumentType::String], None),
            Box::new(|args, ctx| {
                let text = args.first().map(|a| text_of(a)).unwrap_or_default();
                match palisade_core::yaml::parse_stream(&text).into_iter().next() {
                    Some(Ok(doc)) => Ok(to_var(doc.root.to_json())),
                    Some(Err(e)) => Err(runtime_error(ctx, format!("YAML ({})", e.message))),
                    None => Ok(Rcvar::new(Variable::Null)),
                }
            }),
        )),
    );
    rt.register_function(
        "to_string",
        Box::new(CustomFunction::new(
            Signature::new(vec![ArgumentType::Any], None),
            Box::new(|args, _| {
                Ok(Rcvar::new(Variable::String(
                    args.first().map(|a| text_of(a)).unwrap_or_default(),
                )))
            }),
        )),
    );
    rt
});

/// The deepest bracket nesting an expression may have: the `jmespath`
/// parser recurses per level, so deeper input could exhaust the stack.
const MAX_NESTING: usize = 64;

/// Refuses expressions nested deeper than [`MAX_NESTING`].
fn bounded(expression: &str) -> Result<(), String> {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in expression.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "JMESPath nested {deepest} deep (at most {MAX_NESTING})"
        ));
    }
    Ok(())
}

/// The runtime with Kyverno's functions.
pub fn runtime() -> &'static Runtime {
    &RUNTIME
}

/// Compiles `expression` (trimmed) with Kyverno's functions.
pub fn compile(expression: &str) -> Result<Expression<'static>, String> {
    bounded(expression)?;
    let runtime: &'static Runtime = &RUNTIME;
    runtime
        .compile(expression.trim())
        .map_err(|e| format!("JMESPath `{}`: {}", expression.trim(), e.reason))
}

/// Checks that `expression` compiles.
pub fn check(expression: &str) -> Result<(), String> {
    compile(expression).map(|_| ())
}

/// Evaluates `expression` against `data`.
pub fn search(expression: &str, data: &Value) -> Result<Value, String> {
    let expr = compile(expression)?;
    let result = expr
        .search(data)
        .map_err(|e| format!("JMESPath `{}`: {}", expression.trim(), e.reason))?;
    serde_json::to_value(&*result).map_err(|e| e.to_string())
}

/// The innermost `{{ ... }}` of `text`: (start of `{{`, end after `}}`).
fn innermost(text: &str) -> Option<(usize, usize)> {
    let close = text.find("}}")?;
    let open = text.get(..close)?.rfind("{{")?;
    Some((open, close + 2))
}

/// Checks every expression of a template (nested variables are replaced
/// by a placeholder string before the outer expression is compiled).
pub fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text.to_owned();
    for _ in 0..64 {
        let Some((open, end)) = innermost(&rest) else {
            return Ok(());
        };
        let inner = rest.get(open + 2..end - 2).unwrap_or("");
        check(inner)?;
        rest.replace_range(open..end, "x");
    }
    Err(format!("too many variables in `{text}`"))
}

/// How the error of a variable that resolved to null starts.
pub const UNRESOLVED: &str = "variable `";

/// How a variable that resolves to null is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// It is an error (patches: Kyverno fails the rule).
    Error,
    /// It becomes null (conditions).
    Null,
}

/// Resolves the `{{ }}` variables of one string in `ctx`.
pub fn substitute_str(text: &str, ctx: &Value, missing: Missing) -> Result<Value, String> {
    let mut rest = text.to_owned();
    for _ in 0..64 {
        let Some((open, end)) = innermost(&rest) else {
            return Ok(Value::String(rest));
        };
        let inner = rest.get(open + 2..end - 2).unwrap_or("").to_owned();
        let value = search(&inner, ctx)?;
        if value.is_null() && missing == Missing::Error {
            return Err(format!("{UNRESOLVED}{}` not resolved", inner.trim()));
        }
        if open == 0 && end == rest.len() {
            return Ok(value);
        }
        let as_text = match value {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        rest.replace_range(open..end, &as_text);
    }
    Err(format!("too many variables in `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_variables_resolve_innermost_first() {
        let ctx =
            json!({"element": {"name": "c"}, "images": {"containers": {"c": {"path": "nginx"}}}});
        assert_eq!(
            substitute_str(
                "r.io/{{ images.containers.\"{{element.name}}\".path }}",
                &ctx,
                Missing::Error
            )
            .unwrap(),
            json!("r.io/nginx")
        );
    }

    #[test]
    fn a_lone_variable_keeps_its_type() {
        let ctx = json!({"a": [1, 2]});
        assert_eq!(
            substitute_str("{{ length(a) }}", &ctx, Missing::Error).unwrap(),
            json!(2)
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(check(&deep).unwrap_err().contains("nested 100000 deep"));
        assert!(check(&format!("{}a{}", "(".repeat(60), ")".repeat(60))).is_ok());
    }

    #[test]
    fn kyverno_functions() {
        let ctx = json!({"i": "docker.io/nginx:1"});
        assert_eq!(
            search("regex_replace_all('^docker.io/(.*)$', i, 'r.io/$1')", &ctx).unwrap(),
            json!("r.io/nginx:1")
        );
        assert_eq!(search("parse_yaml('a: 1').a", &ctx).unwrap(), json!(1));
    }
}
