//! Why the webhook server could not start or keep running.

use palisade_https::StartError;

/// The webhook server could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServeError {
    /// The certificate, the key or the socket could not be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Https(#[from] StartError),
    /// The first policy set did not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policies(#[from] PolicyLoadFailed),
    /// The first inventory did not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Inventory(#[from] InventoryLoadFailed),
    /// The async runtime could not start.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Runtime(#[from] RuntimeError),
    /// Forwarding to the console (`--console`) could not start.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Console(#[from] palisade_console::forward::ForwardError),
}

/// The first policy set did not load.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("policies did not load ({count} error(s)):\n{messages}")]
#[diagnostic(
    code(palisade::webhook::policies),
    help("fix the files named above; at startup there is no previous policy set to keep serving")
)]
pub struct PolicyLoadFailed {
    /// How many errors.
    pub count: usize,
    /// Every error, one a line.
    pub messages: String,
}

/// The first inventory did not load.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("inventory did not load ({count} error(s)):\n{messages}")]
#[diagnostic(
    code(palisade::webhook::inventory),
    help(
        "fix the files named above; every inventory object needs `apiVersion`, `kind` and `metadata.name`"
    )
)]
pub struct InventoryLoadFailed {
    /// How many errors.
    pub count: usize,
    /// Every error, one a line.
    pub messages: String,
}

/// The async runtime could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot start the async runtime: {source}")]
#[diagnostic(code(palisade::webhook::runtime))]
pub struct RuntimeError {
    /// The system's error.
    pub source: std::io::Error,
}
