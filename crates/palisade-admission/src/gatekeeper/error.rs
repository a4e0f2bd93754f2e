//! What can go wrong when loading Gatekeeper templates and constraints.

use palisade_core::{Location, ManifestError};

use crate::cel::error::at;

/// A Gatekeeper template or constraint could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum GatekeeperError {
    /// A file could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestError),
    /// A ConstraintTemplate is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    InvalidTemplate(#[from] InvalidTemplateError),
    /// A template's Rego does not compile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rego(#[from] RegoError),
    /// A template needs something Palisade does not support.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsupported(#[from] UnsupportedError),
    /// A constraint is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    InvalidConstraint(#[from] InvalidConstraintError),
    /// A constraint's kind has no loaded template.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NoTemplate(#[from] NoTemplateError),
    /// A template's CEL (`K8sNativeValidation`) does not compile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cel(#[from] TemplateCelError),
    /// The engine asked for (`--engine rego|cel`) is not in the template:
    /// its constraints are skipped, neither passed nor failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    EngineMissing(#[from] EngineMissingError),
}

/// A template's `K8sNativeValidation` source does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}CEL of ConstraintTemplate `{template}` does not compile: {}", at(&.error.location), .error.without_location())]
#[diagnostic(code(palisade::gatekeeper::cel))]
pub struct TemplateCelError {
    /// The template's name.
    pub template: String,
    /// The located expression error.
    pub error: crate::cel::CompileError,
}

/// A constraint whose template lacks the engine that was forced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}skipped constraint `{constraint}`: ConstraintTemplate `{template}` has no {engine} implementation", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::engine_missing),
    help("`--engine auto` runs CEL where a template has it and Rego otherwise")
)]
pub struct EngineMissingError {
    /// Where the constraint is.
    pub location: Option<Location>,
    /// The constraint's name.
    pub constraint: String,
    /// The template's name.
    pub template: String,
    /// The engine that was asked for (`Rego`, `CEL`).
    pub engine: String,
}

/// A ConstraintTemplate is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}invalid ConstraintTemplate `{template}`: {reason}", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::invalid_template),
    help(
        "a template needs `metadata.name`, `spec.crd.spec.names.kind` and a target `admission.k8s.gatekeeper.sh` with `rego` (or `code` with `engine: Rego`)"
    )
)]
pub struct InvalidTemplateError {
    /// Where the template is.
    pub location: Option<Location>,
    /// The template's name (empty when missing).
    pub template: String,
    /// What is wrong, naming the field.
    pub reason: String,
}

/// A template's Rego does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}rego of ConstraintTemplate `{template}` does not compile: {reason}", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::rego),
    help(
        "templates are Rego v0 unless `code[].source.version: v1`; the module must define `violation`"
    )
)]
pub struct RegoError {
    /// Where the template is.
    pub location: Option<Location>,
    /// The template's name.
    pub template: String,
    /// The compiler's message.
    pub reason: String,
}

/// A template needs something that is not supported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}ConstraintTemplate `{template}` is not supported: {reason}", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::unsupported),
    help(
        "Palisade runs the Rego engine of templates targeting `admission.k8s.gatekeeper.sh`, without external data"
    )
)]
pub struct UnsupportedError {
    /// Where the template is.
    pub location: Option<Location>,
    /// The template's name.
    pub template: String,
    /// What is not supported.
    pub reason: String,
}

/// A constraint is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}invalid constraint `{constraint}`: {reason}", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::invalid_constraint),
    help(
        "a constraint has `metadata.name`, optional `spec.match`, `spec.parameters` and `spec.enforcementAction` (deny, warn or dryrun)"
    )
)]
pub struct InvalidConstraintError {
    /// Where the constraint is.
    pub location: Option<Location>,
    /// The constraint's name (empty when missing).
    pub constraint: String,
    /// What is wrong, naming the field.
    pub reason: String,
}

/// A constraint's kind has no loaded template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}constraint `{constraint}` has kind `{kind}`, which no loaded ConstraintTemplate defines", at(.location))]
#[diagnostic(
    code(palisade::gatekeeper::no_template),
    help("load the ConstraintTemplate whose `spec.crd.spec.names.kind` is this kind")
)]
pub struct NoTemplateError {
    /// Where the constraint is.
    pub location: Option<Location>,
    /// The constraint's name.
    pub constraint: String,
    /// Its kind.
    pub kind: String,
}
