//! The self-signed certificate of a simulated EAGLE 3, made at start-up as the device makes
//! its own: a fresh key each time, so two simulators never share a certificate (a restarted
//! or replaced EAGLE presents a new one).

use std::io;
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use sha2::{Digest, Sha256};

/// A TLS acceptor presenting a new self-signed certificate.
#[derive(Clone)]
pub(crate) struct SelfSigned {
    pub acceptor: TlsAcceptor,
    /// The certificate's SHA-256 as 64 lowercase hex digits (what `openssl x509 -fingerprint
    /// -sha256` shows, without the colons).
    pub fingerprint: String,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SelfSigned({})", self.fingerprint)
    }
}

impl SelfSigned {
    /// A new key and certificate. Like the real device's, the certificate names no host on
    /// the home's LAN (only the access-point address), so a host-name check would fail.
    pub(crate) fn generate() -> io::Result<SelfSigned> {
        let certified = rcgen::generate_simple_self_signed(vec!["192.168.7.1".to_string()])
            .map_err(io::Error::other)?;
        let der = certified.cert.der().clone();
        let fingerprint = Sha256::digest(der.as_ref())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![der], key)
            .map_err(io::Error::other)?;
        Ok(SelfSigned {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            fingerprint,
        })
    }
}
