//! Where objects go: an S3 bucket, or a local directory with the same keys and bytes.

use std::future::Future;

use super::dir_sink::DirSink;
use super::error::UploadError;
use super::s3_sink::S3Sink;
use crate::config::{Endpoint, S3Settings};

/// A place that stores objects by key. Only PUT: the device credential needs nothing else.
pub trait ObjectSink: Send + Sync {
    /// Stores `bytes` under `key`, replacing any object there; `Ok` only once the target
    /// confirmed it (S3 2xx, or the file renamed into place and synced).
    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), UploadError>> + Send;

    /// Where objects go, for messages (`s3://bucket` or the directory path).
    fn describe(&self) -> String;
}

/// The sink the config asks for.
#[derive(Debug)]
pub enum ConfiguredSink {
    /// An S3 or S3-compatible bucket.
    S3(S3Sink),
    /// A local directory (`file://`).
    Directory(DirSink),
    /// The config does not allow uploading (e.g. no credentials): every PUT fails with this
    /// configuration error, so the daemon still logs locally and the LED says what is wrong.
    Unusable(String),
}

impl ConfiguredSink {
    /// Builds the sink of `settings`; one that cannot work (no credentials) becomes
    /// [`ConfiguredSink::Unusable`].
    pub fn from_settings(settings: &S3Settings) -> ConfiguredSink {
        match &settings.endpoint {
            Endpoint::Directory(dir) => ConfiguredSink::Directory(DirSink::new(dir)),
            Endpoint::Aws | Endpoint::Custom(_) => match S3Sink::new(settings) {
                Ok(sink) => ConfiguredSink::S3(sink),
                Err(error) => ConfiguredSink::Unusable(error.to_string()),
            },
        }
    }
}

impl ObjectSink for ConfiguredSink {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), UploadError> {
        match self {
            ConfiguredSink::S3(sink) => sink.put(key, bytes, content_type).await,
            ConfiguredSink::Directory(sink) => sink.put(key, bytes, content_type).await,
            ConfiguredSink::Unusable(reason) => Err(UploadError::Config(reason.clone())),
        }
    }

    fn describe(&self) -> String {
        match self {
            ConfiguredSink::S3(sink) => sink.describe(),
            ConfiguredSink::Directory(sink) => sink.describe(),
            ConfiguredSink::Unusable(_) => "S3 (not configured)".to_string(),
        }
    }
}
