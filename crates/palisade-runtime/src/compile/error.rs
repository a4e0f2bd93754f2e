//! Why a condition could not be compiled: one error kind per failure, each
//! with its position in the condition text.

use crate::ast::Pos;
use crate::fields::{FieldType, ResolveError};

/// A condition could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum CompileError {
    /// A field name is not in the schema, or its argument is wrong.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Field(#[from] FieldError),
    /// An operator does not apply to the field's type.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Operator(#[from] OperatorError),
    /// A value cannot be read as the field's type.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Value(#[from] ValueError),
    /// A macro reference is left (macros are expanded by the loader).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Macro(#[from] MacroError),
    /// A construct this compiler does not support.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsupported(#[from] UnsupportedError),
}

impl CompileError {
    /// Where in the condition text the error is.
    pub fn pos(&self) -> Pos {
        match self {
            CompileError::Field(e) => e.pos,
            CompileError::Operator(e) => e.pos,
            CompileError::Value(e) => e.pos,
            CompileError::Macro(e) => e.pos,
            CompileError::Unsupported(e) => e.pos,
        }
    }
}

/// A field could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{source} at {pos}")]
#[diagnostic(
    code(palisade::runtime::compile::field),
    help("`palisade runtime fields` lists every field")
)]
pub struct FieldError {
    /// What is wrong.
    pub source: ResolveError,
    /// Where.
    pub pos: Pos,
}

/// An operator does not apply to a field's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("operator `{op}` is not supported on {ty} field `{field}` at {pos}")]
#[diagnostic(
    code(palisade::runtime::compile::operator),
    help("`palisade runtime fields` shows each field's type")
)]
pub struct OperatorError {
    /// The operator.
    pub op: String,
    /// The field.
    pub field: String,
    /// Its type.
    pub ty: FieldType,
    /// Where.
    pub pos: Pos,
}

/// A value does not fit a field's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{value}` is not a valid {expected} for field `{field}` at {pos}")]
#[diagnostic(
    code(palisade::runtime::compile::value),
    help("write a value of the field's type")
)]
pub struct ValueError {
    /// The value.
    pub value: String,
    /// What was expected.
    pub expected: String,
    /// The field.
    pub field: String,
    /// Where.
    pub pos: Pos,
}

/// An unexpanded macro reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("undefined macro `{name}` at {pos}")]
#[diagnostic(
    code(palisade::runtime::compile::macro_ref),
    help("define the macro in a rules file loaded before use")
)]
pub struct MacroError {
    /// The name.
    pub name: String,
    /// Where.
    pub pos: Pos,
}

/// A construct this compiler does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{what} is not supported at {pos}")]
#[diagnostic(
    code(palisade::runtime::compile::unsupported),
    help("see docs/runtime.md for the supported language")
)]
pub struct UnsupportedError {
    /// What.
    pub what: String,
    /// Where.
    pub pos: Pos,
}
