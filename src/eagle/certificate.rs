//! Certificate pinning for the EAGLE's https API.
//!
//! An EAGLE 3 serves https with a self-signed certificate that names no host on the home's LAN,
//! so neither a CA nor a host-name check can pass. Instead the client pins the SHA-256 of the
//! certificate itself: the one in `eagle.certificate_sha256`, else the one kept in the buffer
//! from an earlier run, else the first one whose handshake proves the server holds its key
//! (trust on first use), which the daemon then keeps in the buffer. A different certificate is
//! refused, never accepted silently. The handshake's signatures are still verified (with the
//! crypto provider's algorithms), so the peer must hold the private key of the pinned
//! certificate.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// The SHA-256 of a DER certificate. Shown as 64 lowercase hex digits, the form
/// `eagle.certificate_sha256` takes (which also accepts colons and upper case, as
/// `openssl x509 -fingerprint -sha256` prints it).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Text that is not 64 hex digits (colons between them allowed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 fingerprint (64 hex digits, colons allowed)")]
pub struct BadFingerprint;

impl FromStr for Fingerprint {
    type Err = BadFingerprint;

    fn from_str(text: &str) -> Result<Fingerprint, BadFingerprint> {
        let digits: Vec<u8> = text.bytes().filter(|&b| b != b':').collect();
        if digits.len() != 64 || text.starts_with(':') || text.ends_with(':') {
            return Err(BadFingerprint);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| BadFingerprint)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| BadFingerprint)?;
        }
        Ok(Fingerprint(bytes))
    }
}

/// Where the expected fingerprint came from, for the refusal message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinSource {
    /// `eagle.certificate_sha256` in the config file.
    Config,
    /// Trusted on first use by an earlier run and kept in the buffer.
    Buffer,
    /// Trusted on first use by this process.
    FirstUse,
}

impl fmt::Display for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinSource::Config => "pinned by eagle.certificate_sha256",
            PinSource::Buffer => "trusted on first use and kept in the buffer",
            PinSource::FirstUse => "trusted on first use by this process",
        })
    }
}

/// What the verifier knows: the pin, and what the latest handshake met.
#[derive(Debug, Default)]
struct PinState {
    /// The accepted fingerprint and where it came from; `None` until the first handshake
    /// when nothing was configured or kept.
    pinned: Option<(Fingerprint, PinSource)>,
    /// Whether a handshake has accepted the pinned certificate *and* its signature, so a
    /// server holding the certificate's private key has answered.
    met: bool,
    /// With nothing pinned yet: the certificate of the handshake in progress, pinned once the
    /// handshake's signature proves the server holds its key.
    candidate: Option<Fingerprint>,
    /// The fingerprint of the latest certificate refused, until the transport takes it.
    refused: Option<Fingerprint>,
}

/// A [`ServerCertVerifier`] that accepts exactly one end-entity certificate, by SHA-256.
#[derive(Debug)]
pub struct PinnedVerifier {
    provider: Arc<CryptoProvider>,
    state: Mutex<PinState>,
}

impl PinnedVerifier {
    /// A verifier expecting `pinned` (if known) and checking signatures with `provider`.
    pub fn new(
        provider: Arc<CryptoProvider>,
        pinned: Option<(Fingerprint, PinSource)>,
    ) -> PinnedVerifier {
        PinnedVerifier {
            provider,
            state: Mutex::new(PinState {
                pinned,
                met: false,
                candidate: None,
                refused: None,
            }),
        }
    }

    /// The accepted fingerprint and its source, once known.
    pub fn pinned(&self) -> Option<(Fingerprint, PinSource)> {
        self.lock().pinned
    }

    /// The pinned fingerprint, once a handshake has accepted a certificate with it.
    pub fn accepted(&self) -> Option<Fingerprint> {
        let state = self.lock();
        state.pinned.filter(|_| state.met).map(|(pin, _)| pin)
    }

    /// The fingerprint of a certificate refused since the last call, with the pin it failed.
    pub fn take_refused(&self) -> Option<(Fingerprint, (Fingerprint, PinSource))> {
        let mut state = self.lock();
        let refused = state.refused.take()?;
        Some((refused, state.pinned?))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PinState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A handshake signature made with `cert`'s key checked out as `verified`: only now does
    /// the certificate count as met (and, on first use, become the pin).
    fn signed(
        &self,
        cert: &CertificateDer<'_>,
        verified: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let valid = verified?;
        let signer = Fingerprint::of(cert.as_ref());
        let mut state = self.lock();
        match state.pinned {
            Some((pinned, _)) if pinned == signer => state.met = true,
            Some(_) => {}
            None if state.candidate == Some(signer) => {
                log::info!("trusting the EAGLE's certificate SHA-256 {signer} on first use");
                state.pinned = Some((signer, PinSource::FirstUse));
                state.met = true;
            }
            None => {}
        }
        state.candidate = None;
        Ok(valid)
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity.as_ref());
        let mut state = self.lock();
        match state.pinned {
            Some((pinned, _)) if pinned == presented => Ok(ServerCertVerified::assertion()),
            Some((pinned, _)) => {
                state.refused = Some(presented);
                Err(rustls::Error::General(format!(
                    "certificate SHA-256 {presented} is not the pinned {pinned}"
                )))
            }
            None => {
                state.candidate = Some(presented);
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let verified = verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.signed(cert, verified)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let verified = verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.signed(cert, verified)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn fingerprints_parse_with_or_without_colons_and_print_plain() {
        let plain: Fingerprint = HEX.parse().unwrap();
        assert_eq!(plain.to_string(), HEX);
        let colons = HEX
            .as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).unwrap().to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(colons.parse::<Fingerprint>(), Ok(plain));
        for bad in [
            &HEX[1..],
            &format!("{HEX}0"),
            &HEX.replace('a', "g"),
            &format!(":{}", &HEX[1..]),
        ] {
            assert_eq!(bad.parse::<Fingerprint>(), Err(BadFingerprint), "{bad}");
        }
        assert_eq!("é".repeat(32).parse::<Fingerprint>(), Err(BadFingerprint));
    }

    fn verify(verifier: &PinnedVerifier, der: &[u8]) -> Result<ServerCertVerified, rustls::Error> {
        verifier.verify_server_cert(
            &CertificateDer::from(der.to_vec()),
            &[],
            &ServerName::try_from("eagle").unwrap(),
            &[],
            UnixTime::now(),
        )
    }

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// The handshake's signature check, as rustls calls it after `verify_server_cert`.
    fn sign(verifier: &PinnedVerifier, der: &[u8], valid: bool) {
        let checked = if valid {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(rustls::Error::General("bad signature".into()))
        };
        let _ = verifier.signed(&CertificateDer::from(der.to_vec()), checked);
    }

    #[test]
    fn first_use_pins_the_first_certificate_whose_signature_checks_out() {
        let verifier = PinnedVerifier::new(provider(), None);
        // Presented without the private key: not pinned.
        verify(&verifier, b"impostor").unwrap();
        sign(&verifier, b"impostor", false);
        assert_eq!((verifier.pinned(), verifier.accepted()), (None, None));

        verify(&verifier, b"first").unwrap();
        assert_eq!(verifier.accepted(), None);
        sign(&verifier, b"first", true);
        let first = Fingerprint::of(b"first");
        assert_eq!(verifier.pinned(), Some((first, PinSource::FirstUse)));
        assert_eq!(verifier.accepted(), Some(first));
        verify(&verifier, b"first").unwrap();
        assert!(verify(&verifier, b"second").is_err());
        assert_eq!(
            verifier.take_refused(),
            Some((Fingerprint::of(b"second"), (first, PinSource::FirstUse)))
        );
        assert_eq!(verifier.take_refused(), None);
    }

    #[test]
    fn a_configured_pin_refuses_even_the_first_certificate() {
        let pin = Fingerprint::of(b"expected");
        let verifier = PinnedVerifier::new(provider(), Some((pin, PinSource::Config)));
        assert!(verify(&verifier, b"other").is_err());
        assert_eq!(verifier.pinned(), Some((pin, PinSource::Config)));
        verify(&verifier, b"expected").unwrap();
        sign(&verifier, b"expected", false);
        assert_eq!(verifier.accepted(), None, "met without its key");
        verify(&verifier, b"expected").unwrap();
        sign(&verifier, b"expected", true);
        assert_eq!(verifier.accepted(), Some(pin));
    }
}
