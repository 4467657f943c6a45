//! One HTTP exchange with the EAGLE: `POST /cgi-bin/post_manager` with Basic auth.
//!
//! Over https the EAGLE's certificate is pinned by its SHA-256 ([`super::certificate`]). No
//! redirect is ever followed, so the credentials only go to the configured host. One redirect
//! is understood instead: http → https (EAGLE 3 units of 2026 redirect every http request to
//! https on their access-point address, 192.168.7.1, which is not on the home's LAN). It means
//! the EAGLE speaks https, so the client asks the *configured* host over https from then on,
//! at the port the redirect names (443 when it names none; the configured port is the http
//! one and says nothing about https).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;
use reqwest::{StatusCode, Url};

use super::certificate::{Fingerprint, PinSource, PinnedVerifier};
use super::error::EagleError;
use crate::config::{EagleSettings, Secret};
use crate::terminal;

/// A real reply is about 11 kB; anything far larger is a fault, not data worth buffering.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// The API path on every EAGLE.
const POST_MANAGER: &str = "/cgi-bin/post_manager";

/// A `Location` is shown in errors at most this long (it comes from the device).
const MAX_LOCATION_CHARS: usize = 200;

/// Sends request bodies to one EAGLE and returns the reply text.
#[derive(Debug)]
pub struct Transport {
    http: reqwest::Client,
    verifier: Arc<PinnedVerifier>,
    /// The configured base URL (`http://host[:port]` or `https://…`).
    base_url: String,
    /// Set once the EAGLE redirected http to https.
    upgrade: Mutex<Option<Upgrade>>,
    cloud_id: String,
    /// `Basic base64(cloud_id:install_code)`, marked sensitive, made once rather than per poll.
    authorization: HeaderValue,
    timeout: Duration,
}

/// The switch to https after an http → https redirect.
#[derive(Debug, Clone)]
struct Upgrade {
    /// The `Location` the EAGLE named, made safe to print.
    location: String,
    /// `https://configured-host[:port]`.
    https_base: String,
    /// Whether an exchange over https has worked: until then its errors name the redirect.
    confirmed: bool,
}

/// A reply that is not an error.
enum Answer {
    /// A 2xx reply's text.
    Body(String),
    /// A 3xx reply.
    Redirect { status: u16, location: String },
}

impl Transport {
    /// Builds the HTTP client for the configured EAGLE. `remembered` is the certificate
    /// fingerprint kept in the buffer by an earlier run; `eagle.certificate_sha256` wins over it.
    pub fn new(
        settings: &EagleSettings,
        remembered: Option<Fingerprint>,
    ) -> Result<Transport, EagleError> {
        let pinned = settings
            .certificate_sha256
            .map(|pin| (pin, PinSource::Config))
            .or(remembered.map(|pin| (pin, PinSource::Buffer)));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Arc::new(PinnedVerifier::new(Arc::clone(&provider), pinned));
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EagleError::Transport(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            // The whole exchange, body included: a slow-drip reply must not hold a poll forever.
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // The EAGLE is on the LAN: a proxy from the environment would only get in the way.
            .no_proxy()
            // Credentials go to the configured host only; the https upgrade is done by hand.
            .redirect(reqwest::redirect::Policy::none())
            // Every https connection is pinned: there is no other TLS configuration.
            .use_preconfigured_tls(tls)
            .build()
            .map_err(|e| EagleError::Transport(e.to_string()))?;
        Ok(Transport {
            http,
            verifier,
            base_url: settings.base_url.clone(),
            upgrade: Mutex::new(None),
            cloud_id: settings.cloud_id.clone(),
            authorization: basic_authorization(&settings.cloud_id, &settings.install_code)?,
            timeout: settings.timeout,
        })
    }

    /// The URL requests go to now (no credentials in it): https after an upgrade.
    pub fn url(&self) -> String {
        let base = self
            .upgrade()
            .map_or_else(|| self.base_url.clone(), |u| u.https_base);
        format!("{base}{POST_MANAGER}")
    }

    /// The certificate accepted (or expected) over https and where its fingerprint came from;
    /// `None` before the first https handshake when nothing was pinned.
    pub fn certificate(&self) -> Option<(Fingerprint, PinSource)> {
        self.verifier.pinned()
    }

    /// The pinned fingerprint, once a handshake has met a certificate with it.
    pub fn accepted_certificate(&self) -> Option<Fingerprint> {
        self.verifier.accepted()
    }

    /// POSTs `body` and returns the reply text of a 2xx answer.
    pub async fn post(&self, body: String) -> Result<String, EagleError> {
        let upgraded = self.upgrade().is_some();
        let url = self.url();
        // Shared, not copied, for the request sent again after an http → https redirect.
        let body = Bytes::from(body);
        let answer = if upgraded {
            self.exchange(&url, body).await
        } else {
            match self.exchange(&url, body.clone()).await {
                Ok(Answer::Redirect { status, location }) => {
                    let Some(https_base) = self.https_upgrade(&url, &location) else {
                        return Err(self.redirect_error(&url, status, &location));
                    };
                    self.upgrade_to(&url, &location, https_base);
                    self.exchange(&self.url(), body).await
                }
                other => other,
            }
        };
        let result = match answer {
            Ok(Answer::Body(text)) => Ok(text),
            Ok(Answer::Redirect { status, location }) => {
                Err(self.redirect_error(&self.url(), status, &location))
            }
            Err(error) => Err(error),
        };
        self.after_upgrade(result)
    }

    /// One request to `url`, no redirect followed.
    async fn exchange(&self, url: &str, body: Bytes) -> Result<Answer, EagleError> {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify(url, e))?;
        match response.status() {
            status if status.is_success() => {}
            status if status.is_redirection() => {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default();
                return Ok(Answer::Redirect {
                    status: status.as_u16(),
                    location,
                });
            }
            StatusCode::UNAUTHORIZED => {
                return Err(EagleError::Unauthorized {
                    cloud_id: self.cloud_id.clone(),
                })
            }
            StatusCode::SERVICE_UNAVAILABLE => return Err(EagleError::Busy),
            status => return Err(EagleError::Status(status.as_u16())),
        }
        let announced = response.content_length().unwrap_or(0);
        if announced > MAX_REPLY_BYTES as u64 {
            return Err(EagleError::TooLarge(MAX_REPLY_BYTES));
        }
        let mut response = response;
        // Sized once from Content-Length (bounded just above), not grown chunk by chunk.
        let mut bytes = Vec::with_capacity(announced as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(url, e))? {
            if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(EagleError::TooLarge(MAX_REPLY_BYTES));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Answer::Body(decode_text(bytes)))
    }

    /// `https://configured-host[:port]` when `location` (absolute, or relative to `url`) is an
    /// https URL and `url` is http; `None` for any other redirect.
    fn https_upgrade(&self, url: &str, location: &str) -> Option<String> {
        let asked = Url::parse(url).ok()?;
        let target = asked.join(location).ok()?;
        if asked.scheme() != "http" || target.scheme() != "https" {
            return None;
        }
        let mut https = Url::parse(&self.base_url).ok()?;
        https.set_scheme("https").ok()?;
        // `port()` is `None` for https's default port: 443 then, as the redirect means.
        https.set_port(target.port()).ok()?;
        Some(https.as_str().trim_end_matches('/').to_string())
    }

    fn upgrade_to(&self, url: &str, location: &str, https_base: String) {
        let location = printable_location(location);
        log::warn!(
            "the EAGLE at {url} redirects http to https (Location: {location}): polling \
             {https_base}{POST_MANAGER} instead; set eagle.host = \"{https_base}\" to skip the \
             redirect"
        );
        *self.lock_upgrade() = Some(Upgrade {
            location,
            https_base,
            confirmed: false,
        });
    }

    /// Until an exchange over https has worked, its errors say how https came to be tried.
    fn after_upgrade(&self, result: Result<String, EagleError>) -> Result<String, EagleError> {
        let mut upgrade = self.lock_upgrade();
        let Some(upgrade) = upgrade.as_mut().filter(|u| !u.confirmed) else {
            return result;
        };
        match result {
            Ok(text) => {
                upgrade.confirmed = true;
                Ok(text)
            }
            Err(error) => Err(EagleError::AfterUpgrade {
                error: Box::new(error),
                http_url: format!("{}{POST_MANAGER}", self.base_url),
                location: upgrade.location.clone(),
                https_url: format!("{}{POST_MANAGER}", upgrade.https_base),
                https_base: upgrade.https_base.clone(),
            }),
        }
    }

    fn redirect_error(&self, url: &str, status: u16, location: &str) -> EagleError {
        EagleError::Redirect {
            url: url.to_string(),
            status,
            location: printable_location(location),
        }
    }

    fn upgrade(&self) -> Option<Upgrade> {
        self.lock_upgrade().clone()
    }

    fn lock_upgrade(&self) -> std::sync::MutexGuard<'_, Option<Upgrade>> {
        self.upgrade.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn classify(&self, url: &str, error: reqwest::Error) -> EagleError {
        if let Some((presented, (expected, pinned_by))) = self.verifier.take_refused() {
            return EagleError::CertificateChanged {
                url: url.to_string(),
                presented,
                expected,
                pinned_by,
            };
        }
        let error = error.without_url();
        if error.is_timeout() {
            EagleError::Timeout(self.timeout)
        } else if error.is_connect() {
            EagleError::Connect {
                url: url.to_string(),
                detail: root_cause(&error),
            }
        } else {
            EagleError::Transport(root_cause(&error))
        }
    }
}

/// The `Authorization` header of HTTP Basic auth (RFC 7617), as `reqwest`'s `basic_auth`
/// builds it, marked sensitive so it is never shown in a debug print.
fn basic_authorization(cloud_id: &str, install_code: &Secret) -> Result<HeaderValue, EagleError> {
    use base64::Engine;
    let credentials = format!("{cloud_id}:{}", install_code.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut header = HeaderValue::try_from(format!("Basic {encoded}"))
        .map_err(|e| EagleError::Transport(e.to_string()))?;
    header.set_sensitive(true);
    Ok(header)
}

/// A device-supplied `Location`, safe to print and of bounded length.
fn printable_location(location: &str) -> String {
    if location.is_empty() {
        return "(no Location)".to_string();
    }
    let cut: String = location.chars().take(MAX_LOCATION_CHARS).collect();
    let ellipsis = if cut.len() < location.len() {
        "…"
    } else {
        ""
    };
    format!("{}{ellipsis}", terminal::sanitize(&cut))
}

/// The innermost error message ("Connection refused (os error 111)"), which says the most.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The manual declares code page 1252; in practice replies are ASCII. Bytes that are not
/// UTF-8 are read as Latin-1 so no reply is rejected for one odd character in a message text.
fn decode_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => err.into_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_bytes_read_as_latin1() {
        assert_eq!(
            decode_text(b"<Value>caf\xe9</Value>".to_vec()),
            "<Value>café</Value>"
        );
        assert_eq!(decode_text(b"plain".to_vec()), "plain");
    }

    fn transport(base_url: &str) -> Transport {
        let settings = EagleSettings {
            base_url: base_url.to_string(),
            cloud_id: "0123ab".into(),
            install_code: Secret::new("0123456789abcdef"),
            api: crate::config::ApiKind::Auto,
            meter: None,
            poll_interval: Duration::from_secs(6),
            timeout: Duration::from_secs(1),
            certificate_sha256: None,
        };
        Transport::new(&settings, None).unwrap()
    }

    #[test]
    fn the_authorization_header_is_rfc_7617_basic_and_sensitive() {
        // RFC 7617 (section 2) gives this example: user "Aladdin", password "open sesame".
        let header = basic_authorization("Aladdin", &Secret::new("open sesame")).unwrap();
        assert_eq!(header, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(header.is_sensitive());
        assert!(!format!("{:?}", transport("http://eagle")).contains("MDEyM2Fi"));
    }

    #[test]
    fn only_http_to_https_is_an_upgrade_to_the_configured_host() {
        let t = transport("http://eagle-0123ab.local:8080");
        let url = t.url();
        let upgrade = |location| t.https_upgrade(&url, location);
        // The field's redirect: the access point's address, default port.
        assert_eq!(
            upgrade("https://192.168.7.1/cgi-bin/post_manager").as_deref(),
            Some("https://eagle-0123ab.local")
        );
        assert_eq!(
            upgrade("https://192.168.7.1:8443/").as_deref(),
            Some("https://eagle-0123ab.local:8443")
        );
        assert_eq!(upgrade("http://192.168.7.1/cgi-bin/post_manager"), None);
        assert_eq!(upgrade("/elsewhere"), None);
        assert_eq!(upgrade("ftp://eagle/"), None);
        assert_eq!(upgrade(""), None);
        let v6 = transport("http://[fd00::1]");
        assert_eq!(
            v6.https_upgrade(&v6.url(), "https://192.168.7.1/")
                .as_deref(),
            Some("https://[fd00::1]")
        );
        let https = transport("https://eagle");
        assert_eq!(https.https_upgrade(&https.url(), "https://other/"), None);
    }

    #[test]
    fn locations_are_printed_escaped_and_bounded() {
        assert_eq!(
            printable_location("http://x/\x1b]0;owned\x07"),
            "http://x/\\u{1b}]0;owned\\u{7}"
        );
        let long = format!("http://x/{}", "a".repeat(500));
        let shown = printable_location(&long);
        assert_eq!(shown.chars().count(), MAX_LOCATION_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(printable_location(""), "(no Location)");
    }
}
