//! PUTs to S3 or an S3-compatible store with rust-s3 over rustls.

use std::time::Duration;

use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};

use super::error::UploadError;
use super::sink::ObjectSink;
use crate::config::{Endpoint, S3Settings};

/// One PUT may take this long; an hour's object is tens of kilobytes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A bucket, with the household's static credentials.
#[derive(Debug)]
pub struct S3Sink {
    bucket: Box<Bucket>,
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
        Ok(S3Sink { bucket })
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
        // rust-s3 adds Content-MD5 to every PutObject, so S3 verifies the bytes it stored.
        match self
            .bucket
            .put_object_with_content_type(key, &bytes, content_type)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(classify(error)),
        }
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
