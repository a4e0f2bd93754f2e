//! A development CA and a server certificate signed by it (`palisade
//! admission cert`, the console's `--demo` and tests). Use cert-manager or
//! your own PKI in production.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// Generation failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot make the certificates: {reason}")]
#[diagnostic(
    code(palisade::webhook::cert),
    help("`--dns` takes DNS names (`webhook.ns.svc`) or IP addresses")
)]
pub struct GenerateError {
    /// What went wrong.
    pub reason: String,
}

/// The three PEM files.
#[derive(Debug)]
pub struct DevCertificates {
    /// The CA certificate (`ca.crt`).
    pub ca_cert: String,
    /// The server certificate (`tls.crt`).
    pub server_cert: String,
    /// The server key (`tls.key`, PKCS#8).
    pub server_key: String,
}

/// Makes a CA (ECDSA P-256) and a server certificate for `names` signed by it.
pub fn generate(names: &[String], days: u32) -> Result<DevCertificates, GenerateError> {
    let fail = |e: rcgen::Error| GenerateError {
        reason: e.to_string(),
    };
    let now = OffsetDateTime::now_utc();
    let not_before = now - Duration::hours(1);

    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.distinguished_name = name("palisade development CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = not_before;
    ca.not_after = now + Duration::days(i64::from(days) * 10);
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;

    let key = KeyPair::generate().map_err(fail)?;
    let mut server = CertificateParams::new(names.to_vec()).map_err(fail)?;
    server.distinguished_name = name(names.first().map_or("palisade-webhook", String::as_str));
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.not_before = not_before;
    server.not_after = now + Duration::days(i64::from(days));
    let server_cert = server.signed_by(&key, &ca_cert, &ca_key).map_err(fail)?;

    Ok(DevCertificates {
        ca_cert: ca_cert.pem(),
        server_cert: server_cert.pem(),
        server_key: key.serialize_pem(),
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "palisade");
    name
}
