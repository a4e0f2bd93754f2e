//! `palisade admission cert`: a development CA and a server certificate
//! signed by it, for trying the webhook (`ca.crt` goes into the webhook
//! configuration's `caBundle`; `tls.crt` and `tls.key` to `serve`). Use
//! cert-manager or your own PKI in production.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
pub use palisade_https::dev_cert::{DevCertificates, GenerateError, generate};

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade admission cert`.
#[derive(Debug, Clone, Args)]
pub struct CertArgs {
    /// A name the server is reached by (repeatable), e.g.
    /// `palisade-webhook.palisade.svc`; an IP address gives an IP SAN.
    #[arg(long, value_name = "NAME", required = true, num_args = 1..)]
    pub dns: Vec<String>,
    /// Where to write `ca.crt`, `tls.crt` and `tls.key`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// How many days the server certificate is valid (the CA: ten times as long).
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub days: u32,
}

/// The certificates could not be made or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CertError {
    /// Generation failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Generate(#[from] GenerateError),
    /// A file could not be written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] WriteError),
}

/// A file could not be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write `{}`: {source}", path.display())]
#[diagnostic(
    code(palisade::webhook::cert_write),
    help("check that `--out` is a writable directory")
)]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The system's error.
    pub source: std::io::Error,
}

/// Runs `palisade admission cert`.
pub fn run(out: &Output, args: &CertArgs) -> Exit {
    let written = generate(&args.dns, args.days)
        .map_err(CertError::from)
        .and_then(|certs| write_all(&args.out, &certs));
    match written {
        Ok(paths) => {
            for path in &paths {
                out.line(&path.display().to_string());
            }
            out.note(&format!(
                "caBundle for the ValidatingWebhookConfiguration: base64 -w0 {}",
                args.out.join("ca.crt").display()
            ));
            Exit::Ok
        }
        Err(error) => {
            out.error(&error.to_string());
            Exit::InputError
        }
    }
}

/// Writes `ca.crt`, `tls.crt` and `tls.key` (readable by the owner only)
/// into `dir`, creating it when needed.
fn write_all(dir: &Path, certs: &DevCertificates) -> Result<Vec<PathBuf>, CertError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = [
        ("ca.crt", &certs.ca_cert, false),
        ("tls.crt", &certs.server_cert, false),
        ("tls.key", &certs.server_key, true),
    ];
    let mut written = Vec::new();
    for (file, text, secret) in files {
        let path = dir.join(file);
        write_file(&path, text, secret).map_err(|source| WriteError {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_signed_by_the_ca() {
        let certs = generate(
            &["webhook.palisade.svc".to_owned(), "127.0.0.1".to_owned()],
            30,
        )
        .unwrap();
        assert!(certs.ca_cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.server_cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.server_key.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_ne!(certs.ca_cert, certs.server_cert);
    }
}
