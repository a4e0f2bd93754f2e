//! TLS for the webhook: rustls (TLS 1.2 and 1.3, `ring` provider) with the
//! certificate and key read from PEM files and swapped atomically when the
//! files change, so a renewed certificate (cert-manager, a rotated Secret)
//! is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::TlsError;

/// The served certificate, replaceable while the server runs.
#[derive(Debug)]
pub struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
}

impl CertStore {
    /// Reads the certificate chain and key for the first time.
    pub fn open(cert_path: &Path, key_path: &Path) -> Result<CertStore, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = read_certified_key(cert_path, key_path, &provider)?;
        Ok(CertStore {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            provider,
            current: ArcSwap::from_pointee(key),
        })
    }

    /// The certificate and key files.
    pub fn paths(&self) -> [&Path; 2] {
        [&self.cert_path, &self.key_path]
    }

    /// Reads the files again and serves them from the next handshake on.
    /// On error the previous certificate stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = read_certified_key(&self.cert_path, &self.key_path, &self.provider)?;
        self.current.store(Arc::new(key));
        Ok(())
    }

    /// A rustls server configuration serving this store's certificate over
    /// HTTP/1.1.
    pub fn server_config(self: &Arc<Self>) -> Result<ServerConfig, TlsError> {
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError {
                path: self.cert_path.clone(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(Arc::clone(self))));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Hands rustls the store's current certificate on every handshake.
#[derive(Debug)]
struct Resolver(Arc<CertStore>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current.load_full())
    }
}

/// Reads a PEM chain and key and checks that they belong together.
fn read_certified_key(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let cert_error = |reason: String| TlsError {
        path: cert_path.to_path_buf(),
        reason,
    };
    let key_error = |reason: String| TlsError {
        path: key_path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no PEM `CERTIFICATE` block found".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| key_error(e.to_string()))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| key_error(format!("key does not fit the certificate: {e}")))
}
