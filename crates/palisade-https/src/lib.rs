//! HTTPS serving shared by Palisade's admission webhook (`palisade admission
//! serve`) and console (`palisade console`): rustls on the `ring` provider
//! with a certificate reloaded without restart ([`CertStore`]), the accept
//! loop with handshake deadlines and graceful shutdown ([`listen`],
//! [`accept_loop`]),
//! SIGTERM/ctrl-c ([`ShutdownSignal`]) and development certificates
//! ([`dev_cert`]).

pub mod body;
pub mod dev_cert;
mod error;
mod listen;
mod serve;
mod shutdown;
mod tls;

pub use error::{BindError, TlsError};
pub use listen::{Serving, StartError, TlsListener, listen};
pub use serve::{HANDSHAKE_TIMEOUT, accept_loop};
pub use shutdown::ShutdownSignal;
pub use tls::CertStore;
