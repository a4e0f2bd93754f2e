//! The start of a server: its certificate read, the TLS acceptor made, the
//! socket bound.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::error::{BindError, TlsError};
use crate::tls::CertStore;

/// Why an HTTPS server could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum StartError {
    /// The certificate or key could not be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Tls(#[from] TlsError),
    /// The listening socket could not be opened.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Bind(#[from] BindError),
}

/// A server ready to accept ([`crate::accept_loop`]) over TLS.
#[expect(
    missing_debug_implementations,
    reason = "tokio-rustls's acceptor has no Debug"
)]
pub struct TlsListener {
    /// The served certificate, to reload when its files change.
    pub certs: Arc<CertStore>,
    /// The TLS side of every connection.
    pub acceptor: TlsAcceptor,
    /// The bound socket.
    pub listener: TcpListener,
    /// The address bound (port 0 picks a free one).
    pub addr: SocketAddr,
}

/// Reads the certificate chain and key, and binds `addr`.
pub async fn listen(cert: &Path, key: &Path, addr: SocketAddr) -> Result<TlsListener, StartError> {
    let certs = Arc::new(CertStore::open(cert, key)?);
    let acceptor = TlsAcceptor::from(Arc::new(certs.server_config()?));
    let bind_error = |source| BindError { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    Ok(TlsListener {
        certs,
        acceptor,
        listener,
        addr,
    })
}

impl TlsListener {
    /// Serves `router` in the background until [`Serving::stop`].
    pub fn serve(self, router: Router, shutdown_timeout: Duration) -> Serving {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(crate::serve::accept_loop(
            self.listener,
            self.acceptor,
            router,
            stopped,
            shutdown_timeout,
        ));
        Serving { stop, task }
    }
}

/// An accept loop serving in the background ([`TlsListener::serve`]).
#[derive(Debug)]
pub struct Serving {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Serving {
    /// Stops accepting connections and waits until the open ones have
    /// finished (or the shutdown timeout passed).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
