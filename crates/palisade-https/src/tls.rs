//! TLS for the webhook and the console: rustls (TLS 1.2 and 1.3, `ring` provider) with the
//! certificate and key read from PEM files and swapped atomically when the
//! files change, so a renewed certificate (cert-manager, a rotated Secret)
//! is served without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// The served certificate, replaceable while the server runs.
#[derive(Debug)]
pub struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
    /// The files' (modification time, size) when last read.
    seen: Mutex<[Stamp; 2]>,
}

/// A file's version as far as polling can tell.
type Stamp = Option<(Option<SystemTime>, u64)>;

fn stamp(path: &Path) -> Stamp {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok(), metadata.len()))
}

impl CertStore {
    /// Reads the certificate chain and key for the first time.
    pub fn open(cert_path: &Path, key_path: &Path) -> Result<CertStore, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let seen = Mutex::new([stamp(cert_path), stamp(key_path)]);
        let key = read_certified_key(cert_path, key_path, &provider)?;
        Ok(CertStore {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            provider,
            current: ArcSwap::from_pointee(key),
            seen,
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

    /// Reads the files again when either changed (modification time or
    /// size) since last read: `None` when neither did, else what
    /// [`CertStore::reload`] gave. Servers call it on a timer, so a renewed
    /// certificate (cert-manager, a rotated Secret) is served without a
    /// restart; a pair that does not load yet (the key written after the
    /// certificate) is tried again once the files change again.
    pub fn reload_if_changed(&self) -> Option<Result<(), TlsError>> {
        let now = [stamp(&self.cert_path), stamp(&self.key_path)];
        {
            let mut seen = match self.seen.lock() {
                Ok(s) => s,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *seen == now {
                return None;
            }
            *seen = now;
        }
        Some(self.reload())
    }

    /// A rustls server configuration serving this store's certificate over
    /// HTTP/1.1, with session resumption.
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
        // Stateless session tickets (keys rotated every 6 hours): an API
        // server reconnecting resumes its session without a full handshake,
        // and no per-client state is kept. TLS 1.2 clients without tickets
        // resume through the default in-memory session cache.
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| TlsError {
            path: self.cert_path.clone(),
            reason: format!("cannot make TLS session ticket keys: {e}"),
        })?;
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
    let fail = |path: &Path, reason: String| TlsError {
        path: path.to_path_buf(),
        reason,
    };
    let cert_error = |reason| fail(cert_path, reason);
    let key_error = |reason| fail(key_path, reason);
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};

    /// Moves what `from` has to write into `to`; whether there was anything.
    fn pump<A, B>(
        from: &mut rustls::ConnectionCommon<A>,
        to: &mut rustls::ConnectionCommon<B>,
    ) -> bool {
        let mut bytes = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut bytes).unwrap();
        }
        let mut records = &bytes[..];
        while !records.is_empty() {
            to.read_tls(&mut records).unwrap();
            to.process_new_packets().unwrap();
        }
        !bytes.is_empty()
    }

    /// Moves TLS records between the two ends until neither has more.
    fn exchange(client: &mut ClientConnection, server: &mut ServerConnection) {
        while pump(client, server) | pump(server, client) {}
    }

    #[test]
    fn a_changed_pair_is_reloaded_once_and_a_bad_one_keeps_the_old() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let write = |certs: &crate::dev_cert::DevCertificates| {
            std::fs::write(dir.join("tls.crt"), &certs.server_cert).unwrap();
            std::fs::write(dir.join("tls.key"), &certs.server_key).unwrap();
        };
        let first = crate::dev_cert::generate(&["a.test".to_owned()], 1).unwrap();
        write(&first);
        let store = CertStore::open(&dir.join("tls.crt"), &dir.join("tls.key")).unwrap();
        let served = || store.current.load_full().cert[0].clone();
        let before = served();
        assert!(store.reload_if_changed().is_none(), "nothing changed");
        // A new pair (a different size: longer names) is picked up, once.
        let second = crate::dev_cert::generate(&["a-much-longer-name.test".to_owned()], 1).unwrap();
        write(&second);
        assert!(matches!(store.reload_if_changed(), Some(Ok(()))));
        assert_ne!(served(), before);
        assert!(store.reload_if_changed().is_none());
        // A key that does not fit: an error, the second pair still served.
        let after = served();
        std::fs::write(dir.join("tls.key"), format!("{}\n", first.server_key)).unwrap();
        assert!(matches!(store.reload_if_changed(), Some(Err(_))));
        assert_eq!(served(), after);
    }

    #[test]
    fn a_returning_client_resumes_its_session() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let certs = crate::dev_cert::generate(&["palisade.test".to_owned()], 1).unwrap();
        std::fs::write(dir.join("tls.crt"), &certs.server_cert).unwrap();
        std::fs::write(dir.join("tls.key"), &certs.server_key).unwrap();
        let store = Arc::new(CertStore::open(&dir.join("tls.crt"), &dir.join("tls.key")).unwrap());
        let server_config = Arc::new(store.server_config().unwrap());
        assert!(server_config.ticketer.enabled());
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(certs.ca_cert.as_bytes()).unwrap())
            .unwrap();
        let client_config = Arc::new(
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        );
        let mut kinds = Vec::new();
        for _ in 0..2 {
            let mut client = ClientConnection::new(
                Arc::clone(&client_config),
                "palisade.test".try_into().unwrap(),
            )
            .unwrap();
            let mut server = ServerConnection::new(Arc::clone(&server_config)).unwrap();
            exchange(&mut client, &mut server);
            assert!(!client.is_handshaking() && !server.is_handshaking());
            assert_eq!(server.alpn_protocol(), None);
            kinds.push(server.handshake_kind());
        }
        assert_eq!(
            kinds,
            [
                Some(rustls::HandshakeKind::Full),
                Some(rustls::HandshakeKind::Resumed)
            ]
        );
    }
}
