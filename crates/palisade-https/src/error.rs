//! Why an HTTPS server could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The certificate or key could not be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot use `{}`: {reason}", path.display())]
#[diagnostic(
    code(palisade::https::tls),
    help(
        "give a PEM certificate chain with `--tls-cert` and its PEM private key with `--tls-key`; `palisade admission cert --dns NAME` makes a development pair"
    )
)]
pub struct TlsError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// The listening socket could not be opened.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot listen on `{addr}`: {source}")]
#[diagnostic(
    code(palisade::https::bind),
    help("check that the address is local and the port free (port 0 picks a free one)")
)]
pub struct BindError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// The system's error.
    pub source: std::io::Error,
}
