//! PUTs to S3 or an S3-compatible store over rustls: rust-s3 builds and signs each request
//! (SigV4, `Content-MD5`), our own HTTP client sends it.
//!
//! rust-s3 0.38 sends through a `reqwest::Client` it builds itself with reqwest's default
//! policy of following up to ten redirects, and offers no way to change that; on top of it, its
//! `fail-on-err` path reads an error body whole and fails a stored object whose ETag is not
//! UTF-8. So the signed request is taken from rust-s3 and sent by a client that follows no
//! redirect, and the answer is judged by `s3_response`.

use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderMap;
use s3::command::Command;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::request::tokio_backend::ReqwestRequest;
use s3::request::Request as _;
use s3::{Bucket, Region};

use super::error::UploadError;
use super::s3_response;
use super::sink::ObjectSink;
use crate::config::{Endpoint, S3Settings};

/// One PUT may take this long; an hour's object is tens of kilobytes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A bucket, with the household's static credentials.
#[derive(Debug)]
pub struct S3Sink {
    bucket: Box<Bucket>,
    http: reqwest::Client,
}

impl S3Sink {
    /// The bucket of `settings`. Credentials must be set (file or environment): the logger
    /// never falls back to instance metadata or profiles, which a Pi does not have.
    pub fn new(settings: &S3Settings) -> Result<S3Sink, UploadError> {
        let (Some(access_key), Some(secret_key)) =
            (&settings.access_key_id, &settings.secret_access_key)
        else {
            return Err(UploadError::Config(
                "no S3 credentials: set s3.access_key_id and s3.secret_access_key in the config \
                 (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                    .into(),
            ));
        };
        let credentials = Credentials::new(
            Some(access_key.expose()),
            Some(secret_key.expose()),
            None,
            None,
            None,
        )
        .map_err(|e| UploadError::Config(format!("S3 credentials: {e}")))?;
        let region = match &settings.endpoint {
            Endpoint::Custom(url) => Region::Custom {
                region: settings.region.clone(),
                endpoint: url.clone(),
            },
            _ => aws_region(&settings.region)?,
        };
        let mut bucket = Bucket::new(&settings.bucket, region, credentials)
            .map_err(|e| UploadError::Config(format!("s3 bucket: {e}")))?;
        if settings.path_style {
            bucket.set_path_style();
        }
        bucket.set_request_timeout(Some(REQUEST_TIMEOUT));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| UploadError::Config(format!("S3 client: {e}")))?;
        Ok(S3Sink { bucket, http })
    }

    /// A warning for an `http://` endpoint that is sent credentials: the readings and the
    /// request signatures cross the network in plain text (the secret key itself never does).
    /// Accepted, for a local MinIO or a test server; said at `check-config` and at start-up.
    pub fn plaintext_warning(settings: &S3Settings) -> Option<String> {
        let Endpoint::Custom(url) = &settings.endpoint else {
            return None;
        };
        let plain = url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        (plain && settings.access_key_id.is_some()).then(|| {
            format!(
                "s3.endpoint {url:?} is plain http: the readings, the access key id and the \
                 request signatures cross the network unencrypted; use https:// unless this \
                 is a local store on a trusted network"
            )
        })
    }

    /// The underlying bucket (the `fleet` command reads heartbeats through it).
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }
}

/// Amazon S3's endpoint for the AWS region `name`. Not rust-s3's `Region::from_str`, which
/// turns a name it does not list into a custom endpoint of that name (`http://host:port`
/// would become the upload host) and maps some names to other providers (`nyc3`): here the
/// name only ever fills the AWS host pattern, and one that is not a DNS label is refused.
fn aws_region(name: &str) -> Result<Region, UploadError> {
    let label = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !label {
        return Err(UploadError::Config(format!(
            "s3.region: {name:?} is not an AWS region name"
        )));
    }
    let domain = if name.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Ok(Region::Custom {
        region: name.to_string(),
        endpoint: format!("https://s3.{name}.{domain}"),
    })
}

impl ObjectSink for S3Sink {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), UploadError> {
        let command = Command::PutObject {
            content: &bytes,
            content_type,
            custom_headers: None,
            multipart: None,
        };
        let request = ReqwestRequest::new(&self.bucket, key, command)
            .await
            .map_err(classify)?;
        // rust-s3 adds Content-MD5 to every PutObject, so S3 verifies the bytes it stored.
        let headers = request.headers().await.map_err(classify)?;
        let sent_md5 = content_md5_hex(&headers)?;
        let url = request.url().map_err(classify)?;
        let response = self
            .http
            .put(url.as_str())
            .headers(headers)
            .body(bytes)
            .send()
            .await
            .map_err(|e| UploadError::Transient(format!("cannot reach S3: {}", root_cause(&e))))?;
        s3_response::judge(response, &sent_md5).await
    }

    fn describe(&self) -> String {
        format!("s3://{}", self.bucket.name())
    }
}

/// Sorts a rust-s3 error into what to do about it.
pub fn classify(error: S3Error) -> UploadError {
    match error {
        S3Error::HttpFailWithBody(status, body) => UploadError::from_s3_response(status, &body),
        S3Error::Credentials(e) => UploadError::Config(format!("S3 credentials: {e}")),
        S3Error::Region(e) => UploadError::Config(format!("s3.region: {e}")),
        S3Error::Reqwest(e) => {
            UploadError::Transient(format!("cannot reach S3: {}", root_cause(&e)))
        }
        other => UploadError::Transient(format!("S3 request failed: {other}")),
    }
}

/// The `Content-MD5` rust-s3 put on the request, as lowercase hex (the form of an ETag).
fn content_md5_hex(headers: &HeaderMap) -> Result<String, UploadError> {
    let digest = headers
        .get("content-md5")
        .and_then(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .ok()
        })
        .filter(|d| d.len() == 16)
        .ok_or_else(|| UploadError::Transient("the PUT was built without Content-MD5".into()))?;
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The innermost cause ("Connection refused (os error 111)"), without the URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn sink(region: &str) -> Result<S3Sink, UploadError> {
        S3Sink::new(&S3Settings {
            bucket: "iseif-rainforest".into(),
            region: region.into(),
            endpoint: Endpoint::Aws,
            path_style: false,
            prefix: String::new(),
            access_key_id: Some(Secret::new("AKIAEXAMPLE")),
            secret_access_key: Some(Secret::new("secret")),
            batch_period: Duration::from_secs(3_600),
            key_template: None,
            fleet_spread: Duration::ZERO,
        })
    }

    #[test]
    fn an_aws_region_only_ever_picks_an_amazon_host() {
        let cases = [
            ("us-east-1", "iseif-rainforest.s3.us-east-1.amazonaws.com"),
            (
                "eu-central-2",
                "iseif-rainforest.s3.eu-central-2.amazonaws.com",
            ),
            // Not in rust-s3's list: it would have made "us-gov-west-1" the host.
            (
                "us-gov-west-1",
                "iseif-rainforest.s3.us-gov-west-1.amazonaws.com",
            ),
            (
                "cn-north-1",
                "iseif-rainforest.s3.cn-north-1.amazonaws.com.cn",
            ),
            // rust-s3 maps this one to DigitalOcean.
            ("nyc3", "iseif-rainforest.s3.nyc3.amazonaws.com"),
        ];
        for (region, host) in cases {
            let sink = sink(region).unwrap();
            assert_eq!(sink.bucket().host(), host, "{region}");
            assert_eq!(sink.bucket().scheme(), "https", "{region}");
            assert_eq!(sink.bucket().region().to_string(), region);
        }
        for region in ["http://127.0.0.1:9000", "evil.example", "", "US-EAST-1"] {
            let error = sink(region).unwrap_err();
            assert!(
                matches!(&error, UploadError::Config(message) if message.starts_with("s3.region: ")),
                "{region}: {error:?}"
            );
        }
    }
}
