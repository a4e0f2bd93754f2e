//! The facade's errors.

/// Something [`Palisade`](crate::Palisade) could not load or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PalisadeError {
    /// A file or directory could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] InputError),
    /// Falco rules did not load or compile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] RulesError),
    /// An event stream could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Events(#[from] EventsError),
}

/// A file or directory could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(
    code(palisade::input),
    help("check the file is readable YAML or JSON; its location is in the message")
)]
pub struct InputError {
    /// What went wrong, with the file (and line and column when known).
    pub message: String,
}

/// Falco rules did not load or compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("rules: {message}")]
#[diagnostic(
    code(palisade::rules),
    help("`palisade runtime validate --rules FILE` shows every problem with its position")
)]
pub struct RulesError {
    /// Every load or compile error, joined.
    pub message: String,
}

/// An event stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("events `{file}`: {message}")]
#[diagnostic(
    code(palisade::events),
    help("events are JSON lines: one object per line, Falco field names as keys")
)]
pub struct EventsError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}
