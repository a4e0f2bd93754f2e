//! HTTPS serving shared by Palisade's admission webhook (`palisade admission
//! serve`) and console (`palisade console`): rustls on the `ring` provider
//! with a certificate reloaded without restart ([`CertStore`]), the accept
//! loop with handshake deadlines and graceful shutdown ([`accept_loop`]),
//! SIGTERM/ctrl-c ([`ShutdownSignal`]) and development certificates
//! ([`dev_cert`]).
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod dev_cert;
mod error;
mod serve;
mod shutdown;
mod tls;

pub use error::{BindError, TlsError};
pub use serve::{HANDSHAKE_TIMEOUT, accept_loop};
pub use shutdown::ShutdownSignal;
pub use tls::CertStore;
