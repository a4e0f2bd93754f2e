//! Expressions: parsed and type-checked once into a program shared by every
//! thread, then evaluated on each request.

use std::sync::Arc;

use cel_core::{Activation, Ast, CelType, CheckErrorKind, Env, Value};
use palisade_core::Location;

use super::cluster;
use super::cost::{COST_BUDGET, estimate, nesting};
use super::error::{CompileError, EvalError};
use super::library;
use super::scope::rename_type_named_variables;
use super::select::selections_as_index;

/// The variables every admission expression sees — ValidatingAdmissionPolicy,
/// Gatekeeper `K8sNativeValidation`, Kyverno `validate.cel` and
/// ValidatingPolicy alike; `request::Inputs` holds their values.
pub const VARIABLES: [&str; 6] = [
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
];

/// The declarations expressions are checked against: the CEL standard
/// library, its extensions (strings, math, encoders, optional values), the
/// Kubernetes library and the variables of one policy format, all `dyn`.
#[derive(Debug, Clone)]
pub struct Environment {
    env: Arc<Env>,
}

impl Environment {
    /// An environment declaring `variables` (`object`, `request`, ...).
    pub fn new(variables: &[&str]) -> Environment {
        let mut env = Env::with_standard_library()
            .with_all_extensions()
            .with_extension(library::functions())
            .with_extension(cluster::functions());
        for name in variables {
            env.add_variable(*name, CelType::Dyn);
        }
        Environment { env: Arc::new(env) }
    }

    /// The environment of admission expressions: the variables of
    /// [`VARIABLES`] and `authorizer` (see [`super::library`]).
    pub fn admission() -> Environment {
        let mut variables = VARIABLES.to_vec();
        variables.push("authorizer");
        Environment::new(&variables)
    }

    /// Parses and checks `source`, the expression in `field` of the file at
    /// `location`. Errors give the line and column within the expression.
    pub fn compile(
        &self,
        source: &str,
        field: &str,
        location: Option<&Location>,
    ) -> Result<Expression, CompileError> {
        let error = |offset: usize, reason: String| {
            let (line, column) = line_column(source, offset);
            CompileError {
                location: location.cloned(),
                field: field.to_owned(),
                line,
                column,
                reason,
            }
        };
        if source.trim().is_empty() {
            return Err(error(0, "the expression is empty".into()));
        }
        let parsed = self.env.parse(source);
        if let Some(first) = parsed.errors.first() {
            return Err(error(first.span.start, first.message.clone()));
        }
        let Some(mut expr) = parsed.ast else {
            return Err(error(0, "syntax error".into()));
        };
        rename_type_named_variables(&mut expr);
        let checked = self.env.check(&expr);
        // The checker infers `dyn` poorly through type parameters
        // (`has(x) ? x : []` then `.map(c, c.image)` reports an undefined
        // field on a type variable); only errors about concrete types and
        // names are the expression's fault.
        if let Some(real) = checked.errors.iter().find(|e| is_definite(&e.kind)) {
            return Err(error(real.span.start, real.kind.to_string()));
        }
        // Checked, the program runs without the checker's reference map: the
        // crate looks every node up in it while evaluating, and for
        // admission expressions (no enums, no dotted variable names) it
        // resolves nothing the activation does not.
        selections_as_index(&mut expr);
        let ast = Ast::new_unchecked(expr, source);
        let program = self
            .env
            .program(&ast)
            .map_err(|e| error(0, e.to_string()))?;
        Ok(Expression {
            field: field.to_owned(),
            source: source.to_owned(),
            depth: nesting(ast.expr()),
            program,
        })
    }
}

/// Whether a checker error is certain whatever the `dyn` values turn out to
/// be: an unknown name, or a type error between concrete types.
fn is_definite(kind: &CheckErrorKind) -> bool {
    // Type variables print as `V#12`/`K#3`; `error` is the type of a node
    // whose checking already failed on one.
    let concrete_name = |n: &str| !n.contains('#') && !n.contains("error");
    let concrete = |t: &CelType| concrete_name(&t.display_name());
    match kind {
        CheckErrorKind::UndeclaredReference { .. } => true,
        CheckErrorKind::NoMatchingOverload { arg_types, .. } => arg_types.iter().all(concrete),
        CheckErrorKind::UndefinedField { type_name, .. } => concrete_name(type_name),
        CheckErrorKind::TypeMismatch { expected, actual } => concrete(expected) && concrete(actual),
        CheckErrorKind::NotAssignable { from, to } => concrete(from) && concrete(to),
        _ => false,
    }
}

/// 1-based line and column of byte `offset` in `source`.
fn line_column(source: &str, offset: usize) -> (u32, u32) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// One compiled expression: immutable, `Send + Sync`, shared behind `Arc`.
#[derive(Clone)]
pub struct Expression {
    field: String,
    source: String,
    depth: u32,
    program: cel_core::Program,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression")
            .field("field", &self.field)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Expression {
    /// The field it was read from.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Its text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its deepest nesting of comprehensions (see [`super::cost`]).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Evaluates it with the variables of `activation`; `nodes` is the size of
    /// the input (see [`super::cost`]). A CEL error value is an error.
    pub fn evaluate(&self, activation: &dyn Activation, nodes: u64) -> Result<Value, EvalError> {
        let cost = estimate(self.depth, nodes);
        if cost > COST_BUDGET {
            return Err(self.error(format!(
                "cost limit exceeded: {} nested comprehensions over an input of {nodes} nodes may take {cost} steps, more than the budget of {COST_BUDGET}",
                self.depth
            )));
        }
        match self.program.eval(activation) {
            Value::Error(e) => Err(self.error(e.message.clone())),
            value => Ok(value),
        }
    }

    /// Evaluates it and requires a `bool`.
    pub fn evaluate_bool(
        &self,
        activation: &dyn Activation,
        nodes: u64,
    ) -> Result<bool, EvalError> {
        match self.evaluate(activation, nodes)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.error(format!(
                "the expression must give a bool, it gave {}",
                type_name(&other)
            ))),
        }
    }

    /// An evaluation error of this expression.
    pub fn error(&self, reason: String) -> EvalError {
        EvalError {
            field: self.field.clone(),
            reason,
        }
    }
}

/// The CEL type name of a value, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Double(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Optional(_) => "optional",
        Value::Error(_) => "error",
        _ => "value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_counted_in_characters() {
        assert_eq!(line_column("abc", 1), (1, 2));
        assert_eq!(line_column("a\nbc", 3), (2, 2));
    }

    #[test]
    fn programs_are_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Expression>();
    }
}
