//! Rule `preconditions`, with the small part of JMESPath that pattern
//! policies use in them: paths (`request.object.metadata.name`, quoted
//! segments `"app.kubernetes.io/part-of"`, `*` projections, `[]`, `[*]`
//! and `[N]` on lists), raw string literals (`'BACKGROUND'`) and `||`
//! defaults. Anything else is refused when the policy loads.

use serde_json::Value;

use super::scalar::wildcard_match;

/// `any` / `all` lists of conditions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    /// At least one must hold (when not empty).
    pub any: Vec<Condition>,
    /// All must hold.
    pub all: Vec<Condition>,
}

impl Conditions {
    /// `true` when the conditions hold in `context` (`{"request": ..., "images": ...}`).
    pub fn hold(&self, context: &Value) -> bool {
        (self.any.is_empty() || self.any.iter().any(|c| c.holds(context)))
            && self.all.iter().all(|c| c.holds(context))
    }
}

/// One `{key, operator, value}` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The key: a template.
    pub key: Template,
    /// The operator.
    pub operator: Operator,
    /// The value: a template or a literal.
    pub value: Template,
}

/// The condition operators supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `Equals`.
    Equals,
    /// `NotEquals`.
    NotEquals,
    /// `AnyIn` (and the deprecated `In`).
    AnyIn,
    /// `AllIn`.
    AllIn,
    /// `AnyNotIn` (and the deprecated `NotIn`).
    AnyNotIn,
    /// `AllNotIn`.
    AllNotIn,
    /// `GreaterThan`.
    GreaterThan,
    /// `GreaterThanOrEquals`.
    GreaterThanOrEquals,
    /// `LessThan`.
    LessThan,
    /// `LessThanOrEquals`.
    LessThanOrEquals,
}

impl Operator {
    /// Parses an operator name as Kyverno spells it.
    pub fn parse(name: &str) -> Option<Operator> {
        Some(match name {
            "Equals" | "Equal" => Operator::Equals,
            "NotEquals" | "NotEqual" => Operator::NotEquals,
            "AnyIn" | "In" => Operator::AnyIn,
            "AllIn" => Operator::AllIn,
            "AnyNotIn" | "NotIn" => Operator::AnyNotIn,
            "AllNotIn" => Operator::AllNotIn,
            "GreaterThan" => Operator::GreaterThan,
            "GreaterThanOrEquals" => Operator::GreaterThanOrEquals,
            "LessThan" => Operator::LessThan,
            "LessThanOrEquals" => Operator::LessThanOrEquals,
            _ => return None,
        })
    }
}

/// A value that may contain `{{ expression }}` parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A value without variables.
    Literal(Value),
    /// A string that is one expression: its value keeps its type.
    Expression(Expr),
    /// Text with expressions inside: the result is a string.
    Text(Vec<TextPart>),
}

/// A piece of a [`Template::Text`].
#[derive(Debug, Clone, PartialEq)]
pub enum TextPart {
    /// Plain text.
    Plain(String),
    /// An expression whose value is written as text.
    Expr(Expr),
}

/// A JMESPath expression of the supported subset.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A raw string literal `'text'`.
    Literal(String),
    /// A path of segments.
    Path(Vec<Segment>),
    /// `a || b`: `a` unless it is null, false or empty, else `b`.
    Or(Box<Expr>, Box<Expr>),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A field, and whether it was written in double quotes.
    Field(String, bool),
    /// `*`: every value of an object (or element of a list).
    Wildcard,
    /// `[]`: the list flattened one level, then projected.
    Flatten,
    /// `[N]`: one element of a list (negative counts from the end).
    Index(i64),
}

impl Template {
    /// Parses a condition key or value. A string with `{{ }}` is parsed as
    /// a template; the error names what is not supported.
    pub fn parse(value: &Value) -> Result<Template, String> {
        let Value::String(s) = value else {
            return Ok(Template::Literal(value.clone()));
        };
        if !s.contains("{{") {
            return Ok(Template::Literal(value.clone()));
        }
        let trimmed = s.trim();
        if let Some(inner) = trimmed
            .strip_prefix("{{")
            .and_then(|r| r.strip_suffix("}}"))
            && !inner.contains("{{")
        {
            return Ok(Template::Expression(parse_expr(inner)?));
        }
        let mut parts = Vec::new();
        let mut rest = s.as_str();
        while let Some(start) = rest.find("{{") {
            let (plain, after) = rest.split_at(start);
            if !plain.is_empty() {
                parts.push(TextPart::Plain(plain.to_owned()));
            }
            let after = after.get(2..).unwrap_or("");
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in `{s}`"))?;
            let (inner, tail) = after.split_at(end);
            parts.push(TextPart::Expr(parse_expr(inner)?));
            rest = tail.get(2..).unwrap_or("");
        }
        if !rest.is_empty() {
            parts.push(TextPart::Plain(rest.to_owned()));
        }
        Ok(Template::Text(parts))
    }

    /// The template's value in `context`.
    pub fn resolve(&self, context: &Value) -> Value {
        match self {
            Template::Literal(v) => v.clone(),
            Template::Expression(e) => e.eval(context),
            Template::Text(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        TextPart::Plain(s) => out.push_str(s),
                        TextPart::Expr(e) => match e.eval(context) {
                            Value::String(s) => out.push_str(&s),
                            Value::Null => {}
                            other => out.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(out)
            }
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(_) => true,
    }
}

impl Expr {
    /// Evaluates the expression against `context`.
    pub fn eval(&self, context: &Value) -> Value {
        match self {
            Expr::Literal(s) => Value::String(s.clone()),
            Expr::Or(a, b) => {
                let left = a.eval(context);
                if truthy(&left) { left } else { b.eval(context) }
            }
            Expr::Path(segments) => eval_path(context, segments),
        }
    }
}

fn eval_path(value: &Value, segments: &[Segment]) -> Value {
    let Some((first, rest)) = segments.split_first() else {
        return value.clone();
    };
    match first {
        Segment::Field(name, _) => match value.get(name) {
            Some(v) => eval_path(v, rest),
            None => Value::Null,
        },
        Segment::Index(i) => {
            let Value::Array(items) = value else {
                return Value::Null;
            };
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let at = if *i < 0 { len + i } else { *i };
            match usize::try_from(at).ok().and_then(|at| items.get(at)) {
                Some(v) => eval_path(v, rest),
                None => Value::Null,
            }
        }
        Segment::Flatten => {
            let Value::Array(items) = value else {
                return Value::Null;
            };
            let flat: Vec<&Value> = items
                .iter()
                .flat_map(|v| match v {
                    Value::Array(inner) => inner.iter().collect::<Vec<_>>(),
                    other => vec![other],
                })
                .collect();
            Value::Array(
                flat.into_iter()
                    .map(|v| eval_path(v, rest))
                    .filter(|v| !v.is_null())
                    .collect(),
            )
        }
        Segment::Wildcard => {
            let items: Vec<&Value> = match value {
                Value::Object(m) => m.values().collect(),
                Value::Array(a) => a.iter().collect(),
                _ => return Value::Null,
            };
            Value::Array(
                items
                    .into_iter()
                    .map(|v| eval_path(v, rest))
                    .filter(|v| !v.is_null())
                    .collect(),
            )
        }
    }
}

/// Parses the supported JMESPath subset.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let unsupported = || format!("JMESPath expression `{}` is not supported", text.trim());
    let mut alternatives = Vec::new();
    for part in split_top_level_or(text) {
        alternatives.push(parse_primary(part.trim()).ok_or_else(unsupported)?);
    }
    let mut iter = alternatives.into_iter().rev();
    let last = iter.next().ok_or_else(unsupported)?;
    Ok(iter.fold(last, |acc, e| Expr::Or(Box::new(e), Box::new(acc))))
}

/// Splits at `||` outside quotes.
fn split_top_level_or(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0usize;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0usize;
    while let Some(&(pos, c)) = bytes.get(i) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == '|' && bytes.get(i + 1).is_some_and(|&(_, n)| n == '|') => {
                parts.push(text.get(start..pos).unwrap_or(""));
                start = pos + 2;
                i += 1;
            }
            None => {}
        }
        i += 1;
    }
    parts.push(text.get(start..).unwrap_or(""));
    parts
}

fn parse_primary(text: &str) -> Option<Expr> {
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return (!inner.contains('\'')).then(|| Expr::Literal(inner.to_owned()));
    }
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"')?;
            segments.push(Segment::Field(after.get(..end)?.to_owned(), true));
            rest = after.get(end + 1..)?;
        } else if let Some(after) = rest.strip_prefix('*') {
            segments.push(Segment::Wildcard);
            rest = after;
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            segments.push(Segment::Field(rest.get(..end)?.to_owned(), false));
            rest = rest.get(end..)?;
        }
        // Bracket suffixes: `[]`, `[*]`, `[N]`.
        while let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = after.get(..end)?.trim();
            segments.push(match inner {
                "" => Segment::Flatten,
                "*" => Segment::Wildcard,
                n => Segment::Index(n.parse().ok()?),
            });
            rest = after.get(end + 1..)?;
        }
        if rest.is_empty() {
            return Some(Expr::Path(segments));
        }
        rest = rest.strip_prefix('.')?;
    }
}

impl Condition {
    /// `true` when the condition holds in `context`.
    pub fn holds(&self, context: &Value) -> bool {
        let key = self.key.resolve(context);
        let value = self.value.resolve(context);
        match self.operator {
            Operator::Equals => equals(&key, &value),
            Operator::NotEquals => !equals(&key, &value),
            Operator::AnyIn => as_list(&key).iter().any(|k| contained(k, &value)),
            Operator::AllIn => as_list(&key).iter().all(|k| contained(k, &value)),
            Operator::AnyNotIn => as_list(&key).iter().any(|k| !contained(k, &value)),
            Operator::AllNotIn => as_list(&key).iter().all(|k| !contained(k, &value)),
            Operator::GreaterThan => ordering(&key, &value).is_some_and(|o| o.is_gt()),
            Operator::GreaterThanOrEquals => ordering(&key, &value).is_some_and(|o| o.is_ge()),
            Operator::LessThan => ordering(&key, &value).is_some_and(|o| o.is_lt()),
            Operator::LessThanOrEquals => ordering(&key, &value).is_some_and(|o| o.is_le()),
        }
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Kyverno's equality: strings match as wildcards (the value is the
/// pattern), numbers and booleans compare by value, the rest deeply.
fn equals(key: &Value, value: &Value) -> bool {
    match (key, value) {
        (Value::String(k), Value::String(v)) => wildcard_match(v, k),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (
            Value::String(_) | Value::Number(_) | Value::Bool(_),
            Value::String(_) | Value::Number(_) | Value::Bool(_),
        ) => scalar_text(key) == scalar_text(value),
        _ => key == value,
    }
}

fn contained(key: &Value, set: &Value) -> bool {
    as_list(set).iter().any(|v| equals(key, v))
}

fn ordering(key: &Value, value: &Value) -> Option<std::cmp::Ordering> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            super::scalar::parse_quantity(s).or_else(|| super::scalar::parse_duration(s))
        }
        _ => None,
    };
    number(key)?.partial_cmp(&number(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions() {
        let ctx = json!({"request": {"operation": "CREATE", "object": {"metadata": {"labels": {"app.kubernetes.io/part-of": "x"}}}},
                         "images": {"containers": {"a": {"registry": "ghcr.io"}, "b": {"registry": "docker.io"}}}});
        let e = parse_expr("request.operation || 'BACKGROUND'").unwrap();
        assert_eq!(e.eval(&ctx), json!("CREATE"));
        assert_eq!(
            parse_expr(" request.missing || 'BACKGROUND' ")
                .unwrap()
                .eval(&ctx),
            json!("BACKGROUND")
        );
        let e = parse_expr(r#"request."object".metadata.labels."app.kubernetes.io/part-of" || ''"#)
            .unwrap();
        assert_eq!(e.eval(&ctx), json!("x"));
        let e = parse_expr("images.containers.*.registry").unwrap();
        assert_eq!(e.eval(&ctx), json!(["ghcr.io", "docker.io"]));
        assert!(parse_expr("length(request.object.spec)").is_err());
        let pod = json!({"request": {"object": {"spec": {"containers": [{"image": "a"}, {"image": "b"}]}}}});
        assert_eq!(
            parse_expr("request.object.spec.containers[].image")
                .unwrap()
                .eval(&pod),
            json!(["a", "b"])
        );
        assert_eq!(
            parse_expr("request.object.spec.containers[*].image")
                .unwrap()
                .eval(&pod),
            json!(["a", "b"])
        );
        assert_eq!(
            parse_expr("request.object.spec.containers[-1].image")
                .unwrap()
                .eval(&pod),
            json!("b")
        );
        assert!(parse_expr("request.object.spec.containers[?image=='a']").is_err());
        let c = Condition {
            key: Template::parse(&json!("{{ images.containers.*.registry }}")).unwrap(),
            operator: Operator::AnyNotIn,
            value: Template::Literal(json!(["ghcr.io", "quay.io"])),
        };
        assert!(c.holds(&ctx));
    }
}
