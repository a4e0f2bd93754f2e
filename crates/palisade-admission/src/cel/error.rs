//! Errors of the CEL engine: an expression that does not compile, and one
//! that cannot be evaluated.

use palisade_core::Location;

/// An expression that does not parse or type-check (a syntax error, an
/// unknown variable or function, a type error), or whose `messageExpression`
/// or validation has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}`{field}`{}: {reason}", at(.location), inside(*.line, *.column))]
#[diagnostic(
    code(palisade::admission::cel::compile),
    help(
        "expressions are CEL as Kubernetes runs it: https://kubernetes.io/docs/reference/using-api/cel/"
    )
)]
pub struct CompileError {
    /// The file (and line of the document or field) the expression is in.
    pub location: Option<Location>,
    /// The field holding the expression (`spec.validations[0].expression`).
    pub field: String,
    /// The line within the expression, from 1 (0 when the entry itself is
    /// malformed, not its expression).
    pub line: u32,
    /// The column within that line, from 1 (0 with `line` 0).
    pub column: u32,
    /// What is wrong.
    pub reason: String,
}

impl CompileError {
    /// A malformed entry at `field` (not its expression: line and column 0).
    pub fn malformed(location: Option<Location>, field: &str, reason: String) -> CompileError {
        CompileError {
            location,
            field: field.to_owned(),
            line: 0,
            column: 0,
            reason,
        }
    }

    /// The message without the leading location, for errors that put the
    /// location first themselves.
    pub fn without_location(&self) -> String {
        CompileError {
            location: None,
            ..self.clone()
        }
        .to_string()
    }
}

/// An expression that failed while evaluating (a missing field, a wrong
/// type, a cost-limit breach).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{field}`: {reason}")]
#[diagnostic(code(palisade::admission::cel::evaluation))]
pub struct EvalError {
    /// The field holding the expression.
    pub field: String,
    /// What went wrong.
    pub reason: String,
}

/// `, line L column C of the expression`, or nothing for line 0.
fn inside(line: u32, column: u32) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(", line {line} column {column} of the expression")
    }
}

/// `file:line:column: ` or nothing: the start of an error message that
/// puts its location first.
pub(crate) fn at(location: &Option<Location>) -> String {
    location
        .as_ref()
        .map(|l| format!("{l}: "))
        .unwrap_or_default()
}
