//! Writes objects into a local directory (`s3.endpoint = "file:///dir"`): the same keys and
//! bytes as S3, for `demo`, boot tests and homes whose data leaves on a USB stick.

use std::path::{Path, PathBuf};

use super::error::UploadError;
use super::sink::ObjectSink;
use crate::durable;

/// A directory standing in for a bucket.
#[derive(Debug, Clone)]
pub struct DirSink {
    root: PathBuf,
}

impl DirSink {
    /// Objects go under `root` (created as needed).
    pub fn new(root: &Path) -> DirSink {
        DirSink {
            root: root.to_path_buf(),
        }
    }

    /// The directory standing in for the bucket.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes atomically: a temporary file in the same directory, fsync, rename over the key,
    /// fsync the directory. A reader sees the old object or the new one, never half of one.
    fn write(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.root.join(key);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        // 0600: what the temporary file got before; objects are the household's readings.
        durable::replace_file(&path, dir, bytes, 0o600)
    }
}

impl ObjectSink for DirSink {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        _content_type: &'static str,
    ) -> Result<(), UploadError> {
        if key.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(UploadError::Config(format!(
                "object key {key:?} is not a relative path"
            )));
        }
        let sink = self.clone();
        let key = key.to_string();
        let written = tokio::task::spawn_blocking(move || sink.write(&key, &bytes))
            .await
            .map_err(|e| UploadError::Transient(format!("directory write interrupted: {e}")))?;
        written.map_err(|e| {
            UploadError::Transient(format!("cannot write into {}: {e}", self.root.display()))
        })
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_keys_as_paths_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let sink = DirSink::new(dir.path());
        sink.put("a/b/c.gz", b"one".to_vec(), "x").await.unwrap();
        sink.put("a/b/c.gz", b"two".to_vec(), "x").await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b/c.gz")).unwrap(), b"two");
        // No temporary files left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1
        );
        assert!(sink.put("../escape", b"x".to_vec(), "x").await.is_err());
    }
}
