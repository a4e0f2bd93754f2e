//! The `{{ }}` variables of mutate rules, compiled once at load: every
//! JMESPath expression of a rule is parsed when the policy loads, and
//! evaluation runs on a [`Scope`] that holds the rule's variables
//! (`request`, `images`, `element`, `context` entries) already in the
//! `jmespath` crate's own value type, so an evaluation neither parses nor
//! converts the object again.
//!
//! Substitution follows Kyverno: a string that is one variable keeps the
//! value's type; variables inside text are written as text (null as
//! nothing, strings as they are, anything else as JSON); nested variables
//! (`{{ a."{{ b }}" }}`) resolve innermost first (those are the one case
//! still parsed at evaluation, since the outer text depends on the inner
//! value).

use std::fmt;
use std::sync::Arc;

use jmespath::{Expression, Rcvar, Variable};
use serde_json::Value;

use super::jmes::{self, Missing, UNRESOLVED, to_var};

/// A compiled JMESPath expression.
#[derive(Clone)]
pub struct Expr {
    compiled: Expression<'static>,
}

impl Expr {
    /// Compiles `expression` (bounded nesting, Kyverno's functions).
    pub fn new(expression: &str) -> Result<Expr, String> {
        Ok(Expr {
            compiled: jmes::compile(expression)?,
        })
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        self.compiled.as_str()
    }

    /// Searches `data` as it is: `Expression::search` would serialize a
    /// `Rcvar` into a new value first (the crate only avoids that with a
    /// nightly-only feature), which cost a copy of the whole scope per
    /// expression.
    fn search(&self, data: &Rcvar) -> Result<Rcvar, String> {
        let mut ctx = jmespath::Context::new(self.as_str(), jmes::runtime());
        jmespath::interpret(data, self.compiled.as_ast(), &mut ctx)
            .map_err(|e| format!("JMESPath `{}`: {}", self.as_str(), e.reason))
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({:?})", self.as_str())
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A piece of a string with variables.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Plain(String),
    Var(Expr),
}

/// A string, compiled.
#[derive(Debug, Clone, PartialEq)]
enum Text {
    /// No variables.
    Plain(String),
    /// Exactly one variable: its value keeps its type.
    Whole(Expr),
    /// Text and variables: the result is a string.
    Parts(Vec<Part>),
    /// Nested variables: resolved innermost first at evaluation.
    Nested(String),
}

impl Text {
    fn new(text: &str) -> Result<Text, String> {
        if !text.contains("{{") {
            return Ok(Text::Plain(text.to_owned()));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            let Some(close) = rest.find("}}") else {
                break;
            };
            if close < open {
                // A `}}` before the next `{{`: plain text up to it.
                parts.push(Part::Plain(rest.get(..close + 2).unwrap_or("").to_owned()));
                rest = rest.get(close + 2..).unwrap_or("");
                continue;
            }
            let inner = rest.get(open + 2..close).unwrap_or("");
            if inner.contains("{{") {
                jmes::check_template(text)?;
                return Ok(Text::Nested(text.to_owned()));
            }
            if open > 0 {
                parts.push(Part::Plain(rest.get(..open).unwrap_or("").to_owned()));
            }
            parts.push(Part::Var(Expr::new(inner)?));
            rest = rest.get(close + 2..).unwrap_or("");
        }
        if !rest.is_empty() {
            parts.push(Part::Plain(rest.to_owned()));
        }
        Ok(match parts.as_slice() {
            [Part::Var(e)] => Text::Whole(e.clone()),
            _ => Text::Parts(parts),
        })
    }

    fn eval(&self, scope: &Scope, missing: Missing) -> Result<Value, String> {
        match self {
            Text::Plain(s) => Ok(Value::String(s.clone())),
            Text::Whole(e) => to_value(&scope.variable(e, missing)?),
            Text::Parts(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Plain(s) => out.push_str(s),
                        Part::Var(e) => match to_value(&scope.variable(e, missing)?)? {
                            Value::String(s) => out.push_str(&s),
                            Value::Null => {}
                            other => out.push_str(&other.to_string()),
                        },
                    }
                }
                Ok(Value::String(out))
            }
            Text::Nested(text) => jmes::substitute_str(text, &scope.to_value()?, missing),
        }
    }

    fn eval_key(&self, scope: &Scope, missing: Missing) -> Result<String, String> {
        Ok(match self.eval(scope, missing)? {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }
}

/// A value (patch, condition key or value, `context` value) with `{{ }}`
/// variables as written, and its compiled form.
#[derive(Clone)]
pub struct Template {
    source: Value,
    compiled: Compiled,
}

#[derive(Debug, Clone, PartialEq)]
enum Compiled {
    /// No variables anywhere below.
    Literal,
    Text(Text),
    Array(Vec<Compiled>),
    Object(Vec<(Text, Compiled)>),
}

fn has_variables(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(items) => items.iter().any(has_variables),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains("{{") || has_variables(v)),
        _ => false,
    }
}

fn compile(v: &Value) -> Result<Compiled, String> {
    if !has_variables(v) {
        return Ok(Compiled::Literal);
    }
    Ok(match v {
        Value::String(s) => Compiled::Text(Text::new(s)?),
        Value::Array(items) => {
            Compiled::Array(items.iter().map(compile).collect::<Result<_, _>>()?)
        }
        Value::Object(m) => Compiled::Object(
            m.iter()
                .map(|(k, v)| Ok((Text::new(k)?, compile(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        _ => Compiled::Literal,
    })
}

fn eval(c: &Compiled, source: &Value, scope: &Scope, missing: Missing) -> Result<Value, String> {
    Ok(match (c, source) {
        (Compiled::Text(t), _) => t.eval(scope, missing)?,
        (Compiled::Array(items), Value::Array(sources)) => Value::Array(
            items
                .iter()
                .zip(sources)
                .map(|(c, s)| eval(c, s, scope, missing))
                .collect::<Result<_, _>>()?,
        ),
        (Compiled::Object(entries), Value::Object(sources)) => Value::Object(
            entries
                .iter()
                .zip(sources.values())
                .map(|((k, c), s)| Ok((k.eval_key(scope, missing)?, eval(c, s, scope, missing)?)))
                .collect::<Result<_, String>>()?,
        ),
        _ => source.clone(),
    })
}

impl Template {
    /// Compiles every `{{ }}` variable of `source`.
    pub fn new(source: Value) -> Result<Template, String> {
        let compiled = compile(&source)?;
        Ok(Template { source, compiled })
    }

    /// The value as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// The value with its variables resolved in `scope`.
    pub(crate) fn eval(&self, scope: &Scope, missing: Missing) -> Result<Value, String> {
        eval(&self.compiled, &self.source, scope, missing)
    }
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// A JMESPath expression as a `foreach` list or a `context` entry's
/// `jmesPath` writes it: plain (compiled at load) or with `{{ }}` variables
/// whose result is the expression to search with (a result that is not a
/// string is the value itself).
#[derive(Clone, PartialEq)]
pub struct Query {
    source: String,
    compiled: QueryForm,
}

#[derive(Debug, Clone, PartialEq)]
enum QueryForm {
    Plain(Expr),
    Template(Text),
}

impl Query {
    /// Compiles the expression (or the template that yields it).
    pub fn new(source: &str) -> Result<Query, String> {
        let compiled = if source.contains("{{") {
            QueryForm::Template(Text::new(source.trim())?)
        } else {
            QueryForm::Plain(Expr::new(source)?)
        };
        Ok(Query {
            source: source.to_owned(),
            compiled,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Searches `data`, the query's own variables resolved in `scope`.
    pub(crate) fn search(&self, scope: &Scope, data: &Rcvar) -> Result<Rcvar, String> {
        match &self.compiled {
            QueryForm::Plain(e) => e.search(data),
            QueryForm::Template(t) => match t.eval(scope, Missing::Null)? {
                Value::String(expr) => Expr::new(&expr)?.search(data),
                other => Ok(to_var(other)),
            },
        }
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

/// The variables one evaluation sees, as one JMESPath object; cloning is
/// cheap (shared values), setting a name copies only the path to it.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    root: Rcvar,
}

/// A JSON value (borrowed) as a JMESPath value.
pub(crate) fn to_var_ref(value: &Value) -> Rcvar {
    Rcvar::new(Variable::try_from(value).unwrap_or(Variable::Null))
}

/// A JMESPath value as JSON.
pub(crate) fn to_value(var: &Rcvar) -> Result<Value, String> {
    serde_json::to_value(&**var).map_err(|e| e.to_string())
}

/// `new` as a JMESPath value, sharing every part that is equal in `old`
/// (whose value is `old_var`): after a patch only the changed path is
/// converted again.
pub(crate) fn to_var_reusing(new: &Value, old: &Value, old_var: &Rcvar) -> Rcvar {
    if new == old {
        return old_var.clone();
    }
    match (new, old, &**old_var) {
        (Value::Object(n), Value::Object(o), Variable::Object(vars)) => {
            Rcvar::new(Variable::Object(
                n.iter()
                    .map(|(k, v)| {
                        let var = match (o.get(k), vars.get(k)) {
                            (Some(was), Some(var)) => to_var_reusing(v, was, var),
                            _ => to_var_ref(v),
                        };
                        (k.clone(), var)
                    })
                    .collect(),
            ))
        }
        (Value::Array(n), Value::Array(o), Variable::Array(vars))
            if n.len() == o.len() && o.len() == vars.len() =>
        {
            Rcvar::new(Variable::Array(
                n.iter()
                    .zip(o)
                    .zip(vars)
                    .map(|((v, was), var)| to_var_reusing(v, was, var))
                    .collect(),
            ))
        }
        _ => to_var_ref(new),
    }
}

impl Scope {
    /// The value at the dotted `name`, when set.
    pub fn get(&self, name: &str) -> Option<&Rcvar> {
        let mut at = &self.root;
        for part in name.split('.') {
            match &**at {
                Variable::Object(map) => at = map.get(part)?,
                _ => return None,
            }
        }
        Some(at)
    }

    /// Replaces `request.object` (which holds `old`) with `new`, converting
    /// only what changed.
    pub fn replace_object(&mut self, old: &Value, new: &Value) {
        let var = match self.get("request.object") {
            Some(var) => to_var_reusing(new, old, var),
            None => to_var_ref(new),
        };
        self.set("request.object", var);
    }

    /// The scope holding `ctx` (an object).
    pub fn new(ctx: &Value) -> Scope {
        Scope {
            root: to_var_ref(ctx),
        }
    }

    /// The whole scope as JSON (for nested variables).
    pub fn to_value(&self) -> Result<Value, String> {
        to_value(&self.root)
    }

    /// The scope itself, to search.
    pub fn root(&self) -> &Rcvar {
        &self.root
    }

    /// The value of one variable; null is an error with
    /// [`Missing::Error`].
    fn variable(&self, e: &Expr, missing: Missing) -> Result<Rcvar, String> {
        let value = e.search(&self.root)?;
        if value.is_null() && missing == Missing::Error {
            return Err(format!("{UNRESOLVED}{}` not resolved", e.as_str()));
        }
        Ok(value)
    }

    /// Sets `value` at the dotted `name` (`request.object`, `element`),
    /// creating objects on the way.
    pub fn set(&mut self, name: &str, value: Rcvar) {
        set_dotted(&mut self.root, name, value);
    }

    /// Whether the dotted `name` is set (even to null).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn set_dotted(at: &mut Rcvar, name: &str, value: Rcvar) {
    let (head, rest) = match name.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (name, None),
    };
    let node = Arc::make_mut(at);
    if !matches!(node, Variable::Object(_)) {
        *node = Variable::Object(Default::default());
    }
    let Variable::Object(map) = node else {
        return;
    };
    match rest {
        None => {
            map.insert(head.to_owned(), value);
        }
        Some(rest) => {
            let slot = map
                .entry(head.to_owned())
                .or_insert_with(|| Rcvar::new(Variable::Null));
            set_dotted(slot, rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval_str(text: &str, ctx: &Value) -> Result<Value, String> {
        Template::new(json!(text))?.eval(&Scope::new(ctx), Missing::Error)
    }

    #[test]
    fn compiled_templates_agree_with_substitution() {
        let ctx = json!({"a": [1, 2], "s": "x", "n": null, "o": {"k": "v"},
            "element": {"name": "c"}, "images": {"containers": {"c": {"path": "nginx"}}}});
        for text in [
            "{{ length(a) }}",
            "pre-{{ s }}-{{ a }}-post",
            "{{s}}{{s}}",
            "r.io/{{ images.containers.\"{{element.name}}\".path }}",
            "{{ o }}",
            "plain",
        ] {
            assert_eq!(
                eval_str(text, &ctx),
                jmes::substitute_str(text, &ctx, Missing::Error),
                "{text}"
            );
        }
        assert!(
            eval_str("{{ n }}", &ctx)
                .unwrap_err()
                .starts_with(UNRESOLVED)
        );
    }

    #[test]
    fn keys_and_nested_values_resolve() {
        let ctx = json!({"k": "name", "v": 3});
        let t = Template::new(json!({"{{ k }}": ["{{ v }}", {"x": "{{ k }}"}], "lit": 1})).unwrap();
        assert_eq!(
            t.eval(&Scope::new(&ctx), Missing::Error).unwrap(),
            json!({"name": [3, {"x": "name"}], "lit": 1})
        );
    }

    #[test]
    fn setting_a_name_copies_only_its_path() {
        let mut scope = Scope::new(&json!({"request": {"object": {"a": 1}, "name": "p"}}));
        let before = scope.clone();
        scope.set("request.object", to_var(json!({"a": 2})));
        scope.set("element", to_var(json!("e")));
        assert!(scope.has("request.name") && scope.has("element"));
        assert!(!before.has("element"));
        assert_eq!(
            scope.to_value().unwrap(),
            json!({"request": {"object": {"a": 2}, "name": "p"}, "element": "e"})
        );
        // Replacing the object shares what did not change.
        let old = json!({"a": {"x": [1, 2]}, "b": {"y": 1}});
        let new = json!({"a": {"x": [1, 2]}, "b": {"y": 2}, "c": 3});
        let mut scope = Scope::new(&json!({"request": {"object": old}}));
        let a_before = scope.get("request.object.a").unwrap().clone();
        scope.replace_object(&old, &new);
        assert!(Arc::ptr_eq(
            &a_before,
            scope.get("request.object.a").unwrap()
        ));
        assert_eq!(to_value(scope.get("request.object").unwrap()).unwrap(), new);
    }
}
