//! One HTTP exchange with the EAGLE: `POST /cgi-bin/post_manager` with Basic auth.

use std::time::Duration;

use reqwest::StatusCode;

use super::error::EagleError;
use crate::config::{EagleSettings, Secret};

/// A real reply is about 11 kB; anything far larger is a fault, not data worth buffering.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Sends request bodies to one EAGLE and returns the reply text.
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    url: String,
    cloud_id: String,
    install_code: Secret,
    timeout: Duration,
}

impl Transport {
    /// Builds the HTTP client for the configured EAGLE.
    pub fn new(settings: &EagleSettings) -> Result<Transport, EagleError> {
        let http = reqwest::Client::builder()
            // The whole exchange, body included: a slow-drip reply must not hold a poll forever.
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // The EAGLE is on the LAN: a proxy from the environment would only get in the way.
            .no_proxy()
            .build()
            .map_err(|e| EagleError::Transport(e.to_string()))?;
        Ok(Transport {
            http,
            url: format!("{}/cgi-bin/post_manager", settings.base_url),
            cloud_id: settings.cloud_id.clone(),
            install_code: settings.install_code.clone(),
            timeout: settings.timeout,
        })
    }

    /// The URL requests go to (no credentials in it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` and returns the reply text of a 2xx answer.
    pub async fn post(&self, body: String) -> Result<String, EagleError> {
        let response = self
            .http
            .post(&self.url)
            .basic_auth(&self.cloud_id, Some(self.install_code.expose()))
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        match response.status() {
            status if status.is_success() => {}
            StatusCode::UNAUTHORIZED => {
                return Err(EagleError::Unauthorized {
                    cloud_id: self.cloud_id.clone(),
                })
            }
            StatusCode::SERVICE_UNAVAILABLE => return Err(EagleError::Busy),
            status => return Err(EagleError::Status(status.as_u16())),
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_REPLY_BYTES as u64)
        {
            return Err(EagleError::TooLarge(MAX_REPLY_BYTES));
        }
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(EagleError::TooLarge(MAX_REPLY_BYTES));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(decode_text(bytes))
    }

    fn classify(&self, error: reqwest::Error) -> EagleError {
        let error = error.without_url();
        if error.is_timeout() {
            EagleError::Timeout(self.timeout)
        } else if error.is_connect() {
            EagleError::Connect {
                url: self.url.clone(),
                detail: root_cause(&error),
            }
        } else {
            EagleError::Transport(root_cause(&error))
        }
    }
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
}
