//! Reading every heartbeat object of a bucket (or `file://` directory) as untrusted input:
//! at most [`MAX_HEARTBEAT_BYTES`] of each, [`CONCURRENCY`] requests at a time, the household
//! taken from the key and the age from the store's own timestamp. Nothing a household wrote
//! can hide its object, fail the run or exhaust memory: what does not parse is kept as
//! [`Content::Broken`] with the reason.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use s3::Bucket;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::assess::escaped;
use crate::upload::{classify_s3_error, ConfiguredSink, Heartbeat, UploadError};

/// A heartbeat is about 1 KiB; anything past this is not one, and is not read further.
pub const MAX_HEARTBEAT_BYTES: u64 = 64 * 1024;

/// GETs in flight at once: enough to hide loopback or regional latency (10,000 heartbeats
/// in about 8 s on loopback, 13.5 s at 32), few enough to be polite to the server and to
/// bound memory at `CONCURRENCY × MAX_HEARTBEAT_BYTES`.
pub const CONCURRENCY: usize = 64;

/// One object found under `{prefix}status/`.
#[derive(Debug, Clone)]
pub struct StatusObject {
    /// Its key below `{prefix}` (`status/household=h-1.json`).
    pub key: String,
    /// The household named by the key, which the device's credential confines it to; `None`
    /// when the key is not `status/household={id}.json`.
    pub household: Option<String>,
    /// When the store last wrote it (S3 `LastModified`, the file's mtime).
    pub stored: Option<DateTime<Utc>>,
    /// What it holds.
    pub content: Content,
}

/// The body of a status object.
#[derive(Debug, Clone)]
pub enum Content {
    /// A heartbeat document, its text already escaped and shortened ([`escaped`]).
    Heartbeat(Box<Heartbeat>),
    /// Not one: why (too large, not JSON, unreadable).
    Broken(String),
}

/// Every status object under `{prefix}status/`, sorted by key. Errors only when the bucket
/// cannot be listed at all; a single object that cannot be read is listed as broken.
pub async fn read_status_objects(
    sink: &ConfiguredSink,
    prefix: &str,
) -> Result<Vec<StatusObject>, UploadError> {
    let status = format!("{prefix}status/");
    let mut objects = match sink {
        ConfiguredSink::Directory(dir) => {
            let root = dir.root().join(&status);
            tokio::task::spawn_blocking(move || read_directory(&root))
                .await
                .map_err(|e| UploadError::Transient(format!("reading {status}: {e}")))??
        }
        ConfiguredSink::S3(s3) => read_bucket(s3.bucket(), prefix, &status).await?,
        ConfiguredSink::Unusable(reason) => return Err(UploadError::Config(reason.clone())),
    };
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(objects)
}

/// `status/household={id}.json` → `id`.
fn household_of(key: &str) -> Option<String> {
    key.strip_prefix("status/household=")
        .and_then(|rest| rest.strip_suffix(".json"))
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .map(str::to_string)
}

fn status_object(
    key: String,
    stored: Option<DateTime<Utc>>,
    body: Result<Vec<u8>, String>,
) -> StatusObject {
    let content = match body {
        Ok(bytes) => parse(&bytes),
        Err(reason) => Content::Broken(reason),
    };
    StatusObject {
        household: household_of(&key),
        key,
        stored,
        content,
    }
}

fn parse(bytes: &[u8]) -> Content {
    if bytes.len() as u64 > MAX_HEARTBEAT_BYTES {
        return Content::Broken(too_large(bytes.len() as u64));
    }
    match serde_json::from_slice::<Heartbeat>(bytes) {
        // Escaped and shortened at once, so 10,000 households hold kilobytes each, not 64 KiB.
        Ok(heartbeat) => Content::Heartbeat(Box::new(escaped(heartbeat))),
        Err(e) => Content::Broken(format!("not a heartbeat document: {e}")),
    }
}

fn too_large(size: u64) -> String {
    format!("{size} bytes, larger than any heartbeat (limit {MAX_HEARTBEAT_BYTES}); not read")
}

/// The files of a `file://` target's status directory. Sub-directories are not objects
/// (S3 has none) and dot-files are a writer's temporaries: both are passed over.
fn read_directory(dir: &Path) -> Result<Vec<StatusObject>, UploadError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(UploadError::Transient(format!(
                "cannot list {}: {e}",
                dir.display()
            )))
        }
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() || name.starts_with('.') {
            continue;
        }
        let stored = meta.modified().ok().map(DateTime::<Utc>::from);
        let body = read_file_bounded(&entry.path(), meta.len());
        found.push(status_object(format!("status/{name}"), stored, body));
    }
    Ok(found)
}

fn read_file_bounded(path: &Path, size: u64) -> Result<Vec<u8>, String> {
    if size > MAX_HEARTBEAT_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_HEARTBEAT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(bytes)
}

/// Lists `status` (all pages), then GETs at most [`MAX_HEARTBEAT_BYTES`] of each object
/// (a range request), [`CONCURRENCY`] at a time. Objects listed as larger are not fetched.
async fn read_bucket(
    bucket: &Bucket,
    prefix: &str,
    status: &str,
) -> Result<Vec<StatusObject>, UploadError> {
    let listed = bucket
        .list(status.to_string(), None)
        .await
        .map_err(classify_s3_error)?;
    let bucket = Arc::new(bucket.clone());
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for object in listed.into_iter().flat_map(|page| page.contents) {
        let relative = object
            .key
            .strip_prefix(prefix)
            .unwrap_or(&object.key)
            .to_string();
        let stored = DateTime::parse_from_rfc3339(&object.last_modified)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        if object.size > MAX_HEARTBEAT_BYTES {
            let reason = too_large(object.size);
            tasks.spawn(async move { status_object(relative, stored, Err(reason)) });
            continue;
        }
        let (bucket, permits) = (bucket.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let body = bucket
                .get_object_range(&object.key, 0, Some(MAX_HEARTBEAT_BYTES))
                .await
                .map(|response| response.bytes().to_vec())
                .map_err(|e| format!("cannot read: {}", classify_s3_error(e)));
            status_object(relative, stored, body)
        });
    }
    let mut found = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(object) => found.push(object),
            Err(e) => return Err(UploadError::Transient(format!("reading a heartbeat: {e}"))),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn household_comes_from_the_key_only() {
        assert_eq!(
            household_of("status/household=h-1.json").as_deref(),
            Some("h-1")
        );
        assert_eq!(household_of("status/household=.json"), None);
        assert_eq!(household_of("status/household=a/b.json"), None);
        assert_eq!(household_of("status/other.txt"), None);
    }

    #[test]
    fn a_body_over_the_limit_is_broken_not_parsed() {
        let big = vec![b' '; MAX_HEARTBEAT_BYTES as usize + 1];
        assert!(matches!(parse(&big), Content::Broken(reason) if reason.contains("larger")));
        assert!(
            matches!(parse(b"{\"household\":"), Content::Broken(reason) if reason.contains("not a heartbeat"))
        );
    }
}
