//! The local buffer: every reading is committed to SQLite on the SD card before anything else
//! happens to it, and stays there until it has been uploaded and retention prunes it.
//!
//! One [`Store`] per process holds one connection. The daemon writes through its `Store`; the
//! `status` command opens a second one on the same file, which WAL mode allows while the
//! daemon runs.
//!
//! - Opening, refusing foreign or damaged files, and the durability settings: `open.rs`;
//!   the byte-level checks made before SQLite touches a file: `header.rs`; the daemon's
//!   setting aside of a damaged buffer: `set_aside.rs`.
//! - The schema and its migrations, keyed by `PRAGMA user_version`: `schema.rs`.
//! - Readings: `readings.rs`; the daemon's batched commits, their journal and the card's
//!   window file: `batch.rs`, `journal.rs`, and the window's writes in sectors: `sectors.rs`; event counters: `events.rs`, and their names: `counter.rs`; the status
//!   report: `status.rs`; the upload engine's queries (periods, marking): `upload.rs`;
//!   correcting times taken before NTP sync: `time_correction.rs`; retention and the size
//!   limit: `retention.rs`; the EAGLE's pinned https certificate: `certificate.rs`.

mod batch;
mod certificate;
mod completeness;
mod counter;
mod error;
mod events;
mod header;
mod journal;
mod open;
mod readings;
mod retention;
mod schema;
mod sectors;
mod set_aside;
mod shared;
mod status;
mod time_correction;
mod upload;

use std::path::{Path, PathBuf};

pub use batch::Batching;
pub use counter::Counter;
pub use error::StoreError;
pub use events::{EventDelta, EventSummary};
pub use journal::journal_path;
pub use retention::{Kept, Limits, Pruned};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use set_aside::SetAside;
pub use shared::SharedStore;
pub use status::StatusReport;

/// The SQLite buffer of readings and event counters.
#[derive(Debug)]
pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
    /// The readings journal's file (see [`journal_path`]).
    journal: PathBuf,
    /// The daemon's batched commits; `None` = every insert is its own commit.
    batch: Option<batch::Batch>,
    /// Whether the buffer is in WAL mode (not where the file system has no shared memory).
    wal: bool,
}

impl Store {
    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Begins a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), waiting
/// up to the busy timeout for it. A deferred one that reads first (the high-water mark, a
/// counter) fails at once with `SQLITE_BUSY` when the daemon's other connection (the uploader)
/// committed after that read: SQLite's busy timeout does not cover the upgrade to writing.
fn write_transaction<'c>(
    conn: &'c mut rusqlite::Connection,
    path: &Path,
) -> Result<rusqlite::Transaction<'c>, StoreError> {
    use error::SqlResultExt;
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .at(path)
}
