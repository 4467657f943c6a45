//! Reading a bucket back: the in-process S3 server keeps objects as files, and a `file://`
//! target is a directory of the same keys, so one walk serves both.

use std::collections::BTreeMap;
use std::path::Path;

/// Every object under `root`, by key. Dot-files are bookkeeping (s3s-fs metadata, a
/// directory sink's temporary file left by a kill), not objects.
pub fn objects(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut found);
    }
    found
}

fn walk(base: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(base, &path, found);
            continue;
        }
        let key = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !key.split('/').any(|part| part.starts_with('.')) {
            found.insert(key, std::fs::read(&path).unwrap());
        }
    }
}

/// The NDJSON lines of one gzip'd object.
pub fn lines(key: &str, bytes: &[u8]) -> Vec<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut text)
        .unwrap_or_else(|e| panic!("{key} is not gzip'd text: {e}"));
    text.lines().map(str::to_string).collect()
}
