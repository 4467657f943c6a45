//! Why an upload did not happen, sorted by what to do about it.

use thiserror::Error;

use super::s3_response::shown;
use crate::store::StoreError;

/// A failed upload. Whatever the failure, every row stays in the buffer.
#[derive(Debug, Error)]
pub enum UploadError {
    /// The target refuses us until someone edits the config (HTTP 403, InvalidAccessKeyId,
    /// SignatureDoesNotMatch, NoSuchBucket, no credentials). Retried slowly. The message names
    /// the S3 error code and the keys to check, never a credential.
    #[error("{0}")]
    Config(String),
    /// S3 says the Pi's clock is wrong (RequestTimeTooSkewed): uploads wait for a good clock.
    #[error("S3 rejected the request time (RequestTimeTooSkewed): the Pi's clock is wrong")]
    ClockSkew,
    /// Worth retrying soon: timeouts, 5xx, SlowDown, DNS and connection errors, a full disk
    /// on a directory target.
    #[error("{0}")]
    Transient(String),
    /// The local buffer failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UploadError {
    /// A stable short name for counters and once-per-kind logging.
    pub fn kind(&self) -> &'static str {
        match self {
            UploadError::Config(_) => "config",
            UploadError::ClockSkew => "clock-skew",
            UploadError::Transient(_) => "transient",
            UploadError::Store(_) => "store",
        }
    }

    /// Classifies an S3 error response by status and `<Code>`; the message carries the code
    /// and S3's `<Message>`, escaped and cut short (the body is untrusted).
    pub fn from_s3_response(status: u16, body: &str) -> UploadError {
        let code = error_code(body).unwrap_or("");
        let mut described = if code.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("{code} (HTTP {status})")
        };
        if let Some(message) = element(body, "Message") {
            described.push_str(&format!(" {}", shown(message.as_bytes())));
        }
        match code {
            "RequestTimeTooSkewed" => UploadError::ClockSkew,
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" => UploadError::Config(format!(
                "S3 refused the credentials: {described}; check s3.access_key_id and \
                 s3.secret_access_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
            )),
            "NoSuchBucket" => UploadError::Config(format!(
                "S3 has no such bucket: {described}; check s3.bucket, s3.region and s3.endpoint"
            )),
            "SlowDown" => UploadError::Transient(format!("S3 asks to slow down: {described}")),
            _ if status == 403 => UploadError::Config(format!(
                "S3 denied the upload: {described}; the credentials need s3:PutObject on this \
                 household's prefix"
            )),
            _ => UploadError::Transient(format!("S3 answered {described}")),
        }
    }
}

/// The `<Code>` of an S3 XML error body, if it is a plain name. Only the code and the
/// `<Message>` are kept: the rest of the body can echo the access key id and the request.
fn error_code(body: &str) -> Option<&str> {
    let code = element(body, "Code")?;
    code.chars()
        .all(|c| c.is_ascii_alphanumeric())
        .then_some(code)
}

/// The trimmed text of the first `<name>` element of `body` (S3's error documents are flat).
pub(super) fn element<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{name}>"))?;
    Some(body[start..end].trim()).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>m</Message>\
             <AWSAccessKeyId>AKIDSECRETISH</AWSAccessKeyId></Error>"
        )
    }

    #[test]
    fn classification() {
        let kind = |status, code: &str| UploadError::from_s3_response(status, &body(code)).kind();
        assert_eq!(kind(403, "SignatureDoesNotMatch"), "config");
        assert_eq!(kind(403, "InvalidAccessKeyId"), "config");
        assert_eq!(kind(403, "AccessDenied"), "config");
        assert_eq!(kind(404, "NoSuchBucket"), "config");
        assert_eq!(kind(403, "RequestTimeTooSkewed"), "clock-skew");
        assert_eq!(kind(503, "SlowDown"), "transient");
        assert_eq!(kind(500, "InternalError"), "transient");
        assert_eq!(
            UploadError::from_s3_response(502, "<html>").kind(),
            "transient"
        );
    }

    #[test]
    fn messages_carry_the_code_but_not_the_body() {
        let error = UploadError::from_s3_response(403, &body("SignatureDoesNotMatch"));
        let text = error.to_string();
        assert!(text.contains("SignatureDoesNotMatch"), "{text}");
        assert!(!text.contains("AKIDSECRETISH"), "{text}");
    }
}
