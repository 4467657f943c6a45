//! The store's error type: every variant names the file and says what to do about it.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// Why the buffer could not be opened, read or written.
///
/// The refusals (`NotADatabase`, `Foreign`, `TooNew`, `Damaged`) are raised before anything is
/// written to the file, so the file an operator is told to look at is exactly what was found.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The parent directory of the database could not be created.
    #[error("cannot create directory {}: {source}; check storage.path and permissions", path.display())]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The existing file could not be inspected (permissions, I/O error).
    #[error("cannot read {}: {source}; check storage.path and permissions", path.display())]
    Io {
        /// The database file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The file exists, is not empty, and is not a SQLite database.
    #[error(
        "{} is not a SQLite database; left untouched. Fix storage.path if it names the wrong file; otherwise the daemon sets it aside at its next start (renamed, never deleted) and starts a new buffer",
        path.display()
    )]
    NotADatabase {
        /// The file that was refused.
        path: PathBuf,
    },

    /// The file is a SQLite database belonging to another program.
    #[error(
        "{} is a SQLite database of another program (application_id {application_id:#010x}); left untouched. Fix storage.path, or move the file aside together with any -wal and -shm files beside it",
        path.display()
    )]
    Foreign {
        /// The file that was refused.
        path: PathBuf,
        /// The `PRAGMA application_id` found in the file.
        application_id: i32,
    },

    /// The file was written by a newer rainforest-logger whose schema this build does not know.
    #[error(
        "{} has schema version {found}, this build supports up to {supported}; left untouched. Install a newer rainforest-logger (do not delete the file: it may hold readings not yet uploaded)",
        path.display()
    )]
    TooNew {
        /// The file that was refused.
        path: PathBuf,
        /// The `PRAGMA user_version` found in the file.
        found: u32,
        /// The newest schema version this build can use.
        supported: u32,
    },

    /// There is no database (or an empty one) but a write-ahead log with content beside it:
    /// the remains of a database moved away without its WAL. SQLite would delete that WAL on
    /// creating the new buffer, and with it the last transactions of the moved database.
    #[error(
        "{} has content but {} is missing or empty; move the -wal file (and any -shm) to wherever the database went, then start again",
        wal.display(),
        path.display()
    )]
    OrphanWal {
        /// The database path.
        path: PathBuf,
        /// The write-ahead log found beside it.
        wal: PathBuf,
    },

    /// The readings journal (or the directory it goes in) could not be created, read or
    /// written.
    #[error(
        "readings journal {}: {source}; check storage.journal_dir (\"\" = beside the buffer, or a directory this user may write, such as /run/rainforest-logger) and permissions",
        path.display()
    )]
    Journal {
        /// The journal file, or the directory that could not be created.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// Another process (a running daemon) holds the readings journal.
    #[error(
        "{} is in use by another rainforest-logger (the daemon): one daemon per buffer; stop it first",
        path.display()
    )]
    JournalInUse {
        /// The journal file.
        path: PathBuf,
    },

    /// SQLite reports the file as corrupt, or its header contradicts its size.
    #[error(
        "{} is damaged ({detail}); the daemon sets it aside at its next start (renamed with its -wal and -shm, never deleted) and starts a new buffer; keep the set-aside file for recovery (sqlite3 FILE .recover)",
        path.display()
    )]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },

    /// A stored row could not be decoded into a reading.
    #[error(
        "{}: row seq {seq} cannot be read ({detail}); the file was changed by something other than the logger",
        path.display()
    )]
    BadRow {
        /// The database file.
        path: PathBuf,
        /// The row's sequence number.
        seq: i64,
        /// What was wrong with it.
        detail: String,
    },

    /// A value does not fit the column it is stored in (e.g. a count above `i64::MAX`).
    #[error("{}: {field} is out of range and was not stored", path.display())]
    OutOfRange {
        /// The database file.
        path: PathBuf,
        /// The field that did not fit.
        field: &'static str,
    },

    /// Any other SQLite failure (disk full, I/O error, locked for longer than the busy timeout).
    #[error("database {}: {source}; check free space and permissions on the card", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The underlying SQLite error.
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Classifies a SQLite error: corruption gets its own variant because the remedy differs.
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Damaged {
                path: path.to_path_buf(),
                detail: source.to_string(),
            },
            _ => StoreError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// Attaches the database path to a `rusqlite` result.
pub(crate) trait SqlResultExt<T> {
    /// Converts the error with [`StoreError::sqlite`].
    fn at(self, path: &Path) -> Result<T, StoreError>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn at(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::sqlite(path, e))
    }
}
