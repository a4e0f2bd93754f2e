//! The facade's errors: one `#[non_exhaustive]` enum per failure kind,
//! variants wrapping the layer's own located error (file, line and column
//! where the input has them), all [`miette::Diagnostic`]s with a code and a
//! help line. Their text is what the CLI prints.

use std::path::PathBuf;

use palisade_admission::PolicyLoadError;
use palisade_core::ManifestError;
use palisade_runtime::event::EventParseError;
use palisade_runtime::loader::Diagnostic;
use palisade_runtime::output::RuleOutputError;
use palisade_runtime::ruleset::RuleCompileError;

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
#[non_exhaustive]
pub enum InputError {
    /// A file or directory could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadError),
    /// A manifest is not valid YAML or JSON, or not a Kubernetes object
    /// (with its file, line and column).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestError),
    /// Admission policies did not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policies(#[from] PoliciesError),
}

/// A file or directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("cannot read `{}`: {reason}", path.display())]
#[diagnostic(
    code(palisade::input::read),
    help("check that the path exists and is readable")
)]
pub struct ReadError {
    /// The path.
    pub path: PathBuf,
    /// Why it could not be read.
    pub reason: String,
}

impl ReadError {
    /// `path` could not be read because of `error`.
    pub fn new(path: impl Into<PathBuf>, error: &std::io::Error) -> ReadError {
        ReadError {
            path: path.into(),
            reason: error.to_string(),
        }
    }
}

/// Admission policies did not load: every problem, each with its file and
/// position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}", join(errors))]
#[diagnostic(
    code(palisade::input::policies),
    help("`palisade admission audit --policies DIR` shows every problem with its position")
)]
pub struct PoliciesError {
    /// Every policy that could not be loaded, in the order found.
    #[related]
    pub errors: Vec<PolicyLoadError>,
}

/// Falco rules did not load or compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum RulesError {
    /// The rules files have errors (each with file, line, column and item).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] RulesLoadError),
    /// A rule's condition does not compile.
    #[error("rules: {0}")]
    #[diagnostic(transparent)]
    Compile(#[from] RuleCompileError),
    /// A rule's output names an unknown field.
    #[error("rules: {0}")]
    #[diagnostic(transparent)]
    Output(#[from] RuleOutputError),
}

/// The rules files have errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("rules: {}", join(errors))]
#[diagnostic(
    code(palisade::rules),
    help("`palisade runtime validate --rules FILE` shows every problem with its position")
)]
pub struct RulesLoadError {
    /// Every error, in file order.
    #[related]
    pub errors: Vec<Diagnostic>,
}

/// An event stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum EventsError {
    /// The file could not be read.
    #[error("events `{}`: {reason}", path.display())]
    #[diagnostic(
        code(palisade::events::read),
        help("check that the events file exists and is readable")
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// A line is not a JSON object of fields (with its line and column).
    #[error("events `{}`: {source}", path.display())]
    #[diagnostic(
        code(palisade::events),
        help("events are JSON lines: one object per line, Falco field names as keys")
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        source: EventParseError,
    },
    /// A `.scap` capture is truncated or corrupt (the message names the
    /// byte offset of the block at fault).
    #[error("events `{}`: {message}", path.display())]
    #[diagnostic(
        code(palisade::events::capture),
        help("the capture is truncated or corrupt; libscap (sysdig, Falco) would refuse it too")
    )]
    Capture {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

/// Every error's text, joined with `; `.
fn join<E: std::fmt::Display>(errors: &[E]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
