//! SIP over TLS (RFC 3261 §26.2; RFC 5630 for `sips:`): rustls configuration for both ends.
//!
//! - **Client** (connections we open): the server's certificate is verified against the
//!   system's trusted roots (on Debian, the `ca-certificates` package, read by
//!   rustls-native-certs; `SSL_CERT_FILE`/`SSL_CERT_DIR` override it) plus any CA files the
//!   user gave. The name checked is the destination's IP address: the engine resolves
//!   nothing, so a SIP URI's host is an IP by the time it reaches the driver, and rustls
//!   matches IP addresses against the certificate's IP subjectAltNames.
//!   [`TlsConfig::dangerous_skip_verify`] accepts any certificate (handshake signatures are
//!   still checked, so the session is encrypted, just not authenticated).
//! - **Server** (connections peers open to us): only with a certificate and key (PEM). We
//!   accept TLS on a dedicated listener — by default the SIP port + 1, RFC 3263's 5061 for
//!   5060 — and also on the SIP port itself, told apart from plain SIP over TCP by the first
//!   byte (a TLS handshake record starts with 0x16, a SIP message with a letter or CRLF).
//!   The second is needed because our Contact and Via name the SIP port with
//!   `;transport=tls` (the engine's choice), so in-dialog requests come to that port.
//!
//! Only TLS 1.2 and 1.3 (all rustls offers), with the ring provider.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme,
};

/// TLS settings of the driver (`DriverConfig::tls`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// Our certificate chain (PEM), leaf first. With [`TlsConfig::key`], we accept TLS.
    pub cert: Option<PathBuf>,
    /// The private key of [`TlsConfig::cert`] (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// Extra trusted CA certificates (PEM files), besides the system's roots.
    pub ca: Vec<PathBuf>,
    /// Where the dedicated TLS listener binds. `None`: the SIP address with port + 1.
    pub listen: Option<SocketAddr>,
    /// Accept any server certificate (no authentication). Logged once as a warning.
    pub dangerous_skip_verify: bool,
}

impl TlsConfig {
    /// True when the user gave any setting that only matters for accepting TLS.
    pub fn wants_server(&self) -> bool {
        self.cert.is_some() || self.key.is_some() || self.listen.is_some()
    }
}

/// A TLS setting that cannot be used: the file and what is wrong, in one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}")]
pub struct TlsSetupError {
    /// What is wrong, naming the file or setting.
    pub what: String,
}

fn setup_error(what: String) -> TlsSetupError {
    TlsSetupError { what }
}

/// The rustls crypto provider used everywhere (ring; see Cargo.toml).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file; an error when none can be read.
fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| setup_error(format!("{what} {}: {e}", path.display())))?;
    let certs = iter
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setup_error(format!("{what} {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(setup_error(format!(
            "{what} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        )));
    }
    Ok(certs)
}

/// The server side: `None` without a certificate and key.
pub fn server_config(cfg: &TlsConfig) -> Result<Option<Arc<ServerConfig>>, TlsSetupError> {
    let (cert, key) = match (&cfg.cert, &cfg.key) {
        (Some(c), Some(k)) => (c, k),
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(setup_error(
                "a TLS certificate was given without its private key (--tls-key)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(setup_error(
                "a TLS private key was given without its certificate (--tls-cert)".into(),
            ))
        }
    };
    let chain = read_certs(cert, "TLS certificate")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => setup_error(format!(
            "TLS private key {}: no PEM private key (-----BEGIN PRIVATE KEY-----) in it",
            key.display()
        )),
        e => setup_error(format!("TLS private key {}: {e}", key.display())),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| setup_error(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            setup_error(format!(
                "TLS certificate {} and key {}: {e}",
                cert.display(),
                cfg.key.as_deref().unwrap_or(Path::new("")).display()
            ))
        })?;
    Ok(Some(Arc::new(config)))
}

/// The extra CA files, read now so that a bad file stops the start with a clear line.
pub fn extra_roots(cfg: &TlsConfig) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let mut all = Vec::new();
    for path in &cfg.ca {
        all.extend(read_certs(path, "TLS CA file")?);
    }
    Ok(all)
}

/// The client side. Reads the system's roots (done on the first TLS connection, so that
/// UDP-only runs never pay for it). An `Err` is why no server can be verified; every TLS
/// connection then fails with it.
pub fn client_config(
    extra: &[CertificateDer<'static>],
    dangerous_skip_verify: bool,
) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS: {e}"))?;
    let config = if dangerous_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!(error = %e, "reading the system's trusted certificates");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "system roots for TLS");
        for cert in extra {
            roots
                .add(cert.clone())
                .map_err(|e| format!("a --tls-ca certificate cannot be a trust anchor: {e}"))?;
        }
        if roots.is_empty() {
            return Err(
                "no trusted certificates: the system has none (Debian: apt-get install \
                        ca-certificates) and no --tls-ca was given"
                    .into(),
            );
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("TLS certificate verifier: {e}"))?;
        builder.with_webpki_verifier(verifier).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The name a server's certificate must carry: the IP we connect to (see the module docs).
pub fn server_name(peer: SocketAddr) -> ServerName<'static> {
    ServerName::IpAddress(peer.ip().into())
}

/// One line saying why a handshake with `server` failed, certificate problems first.
pub fn describe_handshake_error(server: IpAddr, e: &io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(c)) => {
            format!("certificate for {server} not trusted: {}", CertReason(c))
        }
        Some(other) => format!("TLS handshake with {server} failed: {other}"),
        None => format!("TLS handshake with {server} failed: {e}"),
    }
}

/// True when `e` is a certificate the peer sent that we did not trust.
pub fn is_certificate_error(e: &io::Error) -> bool {
    matches!(
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidCertificate(_))
    )
}

struct CertReason<'a>(&'a CertificateError);

impl fmt::Display for CertReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            CertificateError::UnknownIssuer => f.write_str(
                "issued by an authority we do not trust (trust its CA with --tls-ca FILE; \
                 --dangerous-skip-tls-verify skips the check)",
            ),
            CertificateError::NotValidForName => {
                f.write_str("the certificate does not name this address")
            }
            CertificateError::Other(other) => write!(f, "{other}"),
            other => write!(f, "{other}"),
        }
    }
}

/// `dangerous_skip_verify`: any certificate is accepted, but the handshake signatures are
/// still checked with the provider's algorithms (so the peer holds the key it presents).
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_name_the_address_and_the_fix() {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let line = describe_handshake_error("127.0.0.1".parse().unwrap(), &e);
        assert!(
            line.starts_with("certificate for 127.0.0.1 not trusted: "),
            "{line}"
        );
        assert!(line.contains("--tls-ca"), "{line}");
        assert!(is_certificate_error(&e));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(!is_certificate_error(&refused));
        assert!(describe_handshake_error("::1".parse().unwrap(), &refused)
            .starts_with("TLS handshake with ::1 failed"));
    }

    #[test]
    fn half_a_server_identity_is_refused() {
        let cfg = TlsConfig {
            cert: Some("cert.pem".into()),
            ..TlsConfig::default()
        };
        assert!(server_config(&cfg).unwrap_err().what.contains("--tls-key"));
        let cfg = TlsConfig {
            key: Some("key.pem".into()),
            ..TlsConfig::default()
        };
        assert!(server_config(&cfg).unwrap_err().what.contains("--tls-cert"));
        assert!(server_config(&TlsConfig::default()).unwrap().is_none());
    }

    #[test]
    fn missing_files_are_named() {
        let cfg = TlsConfig {
            ca: vec!["/nonexistent/ca.pem".into()],
            ..TlsConfig::default()
        };
        let e = extra_roots(&cfg).unwrap_err();
        assert!(e.what.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn the_dangerous_client_builds_without_roots() {
        assert!(client_config(&[], true).is_ok());
    }
}
