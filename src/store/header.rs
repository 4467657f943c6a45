//! Checks on the raw bytes of an existing file, before SQLite is allowed near it.
//!
//! SQLite happily "opens" any file and may write to it later (journal mode, schema); reading the
//! header ourselves guarantees a foreign or cut-short file is refused without a single write.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// The first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Length of the SQLite database header.
const HEADER_LEN: usize = 100;

/// What was found at the database path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FileState {
    /// No file: SQLite will create it.
    Absent,
    /// A zero-length file: SQLite treats it as an empty database.
    Empty,
    /// A file with a plausible SQLite header; its content still has to be inspected.
    Database,
}

/// Classifies the file at `path`, refusing anything that is not a whole SQLite database.
pub(crate) fn check(path: &Path) -> Result<FileState, StoreError> {
    let io_err = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return no_database(path, FileState::Absent),
        Err(e) => return Err(io_err(e)),
    };
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    if meta.len() == 0 {
        return no_database(path, FileState::Empty);
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    file.take(HEADER_LEN as u64)
        .read_to_end(&mut header)
        .map_err(io_err)?;
    if !header.starts_with(MAGIC) {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    let damaged = |detail| StoreError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let Ok(header) = <[u8; HEADER_LEN]>::try_from(header.as_slice()) else {
        return Err(damaged(format!(
            "the file is {} bytes, shorter than the 100-byte SQLite header",
            meta.len()
        )));
    };
    // With a non-empty WAL the main file may legitimately be shorter than the header says
    // (a checkpoint interrupted by a power cut is finished from the WAL), so only a file
    // without one can be judged by its length.
    if wal_is_empty(path).map_err(io_err)? {
        if let Some((pages, page_size)) = declared_size(&header) {
            if meta.len() < u64::from(pages) * u64::from(page_size) {
                return Err(damaged(format!(
                    "the file is {} bytes but its header describes {pages} pages of {page_size} bytes: it was cut short",
                    meta.len()
                )));
            }
        }
    }
    Ok(FileState::Database)
}

/// `state`, unless a WAL with content is waiting beside the missing or empty database.
fn no_database(path: &Path, state: FileState) -> Result<FileState, StoreError> {
    let empty = wal_is_empty(path).map_err(|source| StoreError::Io {
        path: wal_path(path),
        source,
    })?;
    if empty {
        Ok(state)
    } else {
        Err(StoreError::OrphanWal {
            path: path.to_path_buf(),
            wal: wal_path(path),
        })
    }
}

/// Path of the write-ahead log SQLite keeps next to `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// Path of the shared-memory index SQLite keeps next to `path` in WAL mode.
pub(crate) fn shm_path(path: &Path) -> PathBuf {
    let mut shm = path.as_os_str().to_owned();
    shm.push("-shm");
    PathBuf::from(shm)
}

/// Whether the WAL next to `path` is absent or empty.
fn wal_is_empty(path: &Path) -> std::io::Result<bool> {
    match std::fs::metadata(wal_path(path)) {
        Ok(meta) => Ok(meta.len() == 0),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// `(page count, page size)` from the header, when SQLite itself would trust them.
///
/// SQLite trusts the in-header page count (offset 28) only if it is non-zero and the change
/// counter (offset 24) equals the version-valid-for number (offset 92); the page size
/// (offset 16) is a power of two from 512 to 65536, with 1 meaning 65536.
fn declared_size(header: &[u8; HEADER_LEN]) -> Option<(u32, u32)> {
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n if n >= 512 && n.is_power_of_two() => u32::from(n),
        _ => return None,
    };
    let pages = be32(28);
    (pages != 0 && be32(24) == be32(92)).then_some((pages, page_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(page_size: u16, pages: u32, counter: u32, valid_for: u32) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..16].copy_from_slice(MAGIC);
        h[16..18].copy_from_slice(&page_size.to_be_bytes());
        h[24..28].copy_from_slice(&counter.to_be_bytes());
        h[28..32].copy_from_slice(&pages.to_be_bytes());
        h[92..96].copy_from_slice(&valid_for.to_be_bytes());
        h
    }

    #[test]
    fn declared_size_follows_sqlite_rules() {
        assert_eq!(declared_size(&header(4096, 7, 3, 3)), Some((7, 4096)));
        assert_eq!(declared_size(&header(1, 2, 3, 3)), Some((2, 65_536)));
        // Stale count (written by an old SQLite): not trusted.
        assert_eq!(declared_size(&header(4096, 7, 3, 2)), None);
        assert_eq!(declared_size(&header(4096, 0, 3, 3)), None);
        assert_eq!(declared_size(&header(1000, 7, 3, 3)), None);
        assert_eq!(declared_size(&header(256, 7, 3, 3)), None);
    }

    #[test]
    fn absent_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        assert_eq!(check(&path).unwrap(), FileState::Absent);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(check(&path).unwrap(), FileState::Empty);
    }

    #[test]
    fn orphan_wal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(wal_path(&path), b"frames").unwrap();
        assert!(matches!(check(&path), Err(StoreError::OrphanWal { .. })));
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(check(&path), Err(StoreError::OrphanWal { .. })));
        std::fs::write(wal_path(&path), b"").unwrap();
        assert_eq!(check(&path).unwrap(), FileState::Empty);
    }

    #[test]
    fn directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            check(dir.path()),
            Err(StoreError::NotADatabase { .. })
        ));
    }
}
