//! Opening the buffer safely, and the connection settings that make each reading durable.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::{SqlResultExt, StoreError};
use super::header::{self, FileState};
use super::journal::journal_path;
use super::schema::{self, APPLICATION_ID, SCHEMA_VERSION};
use super::Store;

/// How long a statement waits for another connection's lock before failing.
///
/// The `status` command reads while the daemon writes; WAL lets both proceed, and the rare
/// waits (a checkpoint, a migration) last milliseconds. Five seconds is ample and still fails
/// visibly if something holds the file for real.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens (creating if absent, and creating the parent directory) the buffer at `path`.
    ///
    /// An existing file is refused, without writing to it, if it is not a SQLite database
    /// ([`StoreError::NotADatabase`]), belongs to another program ([`StoreError::Foreign`]), was
    /// written by a newer build ([`StoreError::TooNew`]) or is damaged ([`StoreError::Damaged`]);
    /// a missing or empty file with a WAL beside it is refused too ([`StoreError::OrphanWal`]).
    /// An empty file or empty SQLite database is claimed as a new buffer.
    ///
    /// Damage is looked for cheaply: the header must match the file's length, and SQLite must
    /// read the schema and the newest readings page. A full `PRAGMA quick_check` is not run:
    /// it reads every page, which on a 1 GiB buffer on an SD card takes tens of seconds at every
    /// daemon start and every `status`. Damage deeper in the file surfaces as
    /// [`StoreError::Damaged`] from the query that meets it.
    ///
    /// The readings journal is the one beside the buffer; [`Store::open_with_journal_dir`]
    /// for another place.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_journal_dir(path, None)
    }

    /// [`Store::open`], with the readings journal in `journal_dir` (`storage.journal_dir`;
    /// `None` = beside the buffer): the one the daemon writes, `status` counts and the next
    /// start replays. Nothing is created there until the journal is written.
    pub fn open_with_journal_dir(
        path: &Path,
        journal_dir: Option<&Path>,
    ) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        match header::check(path)? {
            FileState::Database => inspect(path)?,
            FileState::Absent => create_private(path)?,
            FileState::Empty => {}
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).at(path)?;
        let wal = configure(&conn, path)?;
        restrict_modes(path);
        schema::migrate(&mut conn, path)?;
        // Walk to the newest readings page now, so damage there is reported at startup
        // rather than by the first `latest()`.
        conn.query_row("SELECT max(seq) FROM readings", [], |_| Ok(()))
            .at(path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            journal: journal_path(path, journal_dir),
            batch: None,
            wal,
        })
    }
}

/// Page size of a new buffer (see [`configure`]).
const NEW_PAGE_SIZE: i64 = 1024;

/// Mode of the buffer and its `-wal` and `-shm` files: the readings are the household's, and
/// the state directory's own mode should not be their only protection.
const PRIVATE_MODE: u32 = 0o600;

/// Creates the empty buffer file with [`PRIVATE_MODE`] whatever the umask, so SQLite (which
/// gives a new `-wal` and `-shm` the mode of the database) never creates anything wider.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io_err = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path)
        .map_err(io_err)?;
    // The umask may have narrowed the mode further, never widened it; set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE))
        .map_err(io_err)
}

/// Brings the buffer and its `-wal` and `-shm` files to [`PRIVATE_MODE`]: a buffer created by
/// an older build, or copied in, may be world-readable. A failure (not the owner) is logged,
/// not fatal: the readings are still safe to write.
fn restrict_modes(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for file in [
        path.to_path_buf(),
        header::wal_path(path),
        header::shm_path(path),
    ] {
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.permissions().mode() & 0o777 == PRIVATE_MODE {
            continue;
        }
        let private = std::fs::Permissions::from_mode(PRIVATE_MODE);
        if let Err(e) = std::fs::set_permissions(&file, private) {
            log::warn!(
                "{}: cannot make it private (mode 0600): {e}",
                file.display()
            );
        }
    }
}

/// Decides, through a read-only connection, whether an existing SQLite file may be used.
///
/// Read-only, because a read-write connection that is the last to close a WAL-mode file
/// checkpoints it, which would write into a file we are about to refuse. (On a WAL-mode file
/// SQLite may still create empty `-wal` and `-shm` files beside it: bookkeeping, not data.)
fn inspect(path: &Path) -> Result<(), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).at(path)?;
    conn.busy_timeout(BUSY_TIMEOUT).at(path)?;
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .at(path)?;
    // Reading the schema makes SQLite parse it: damage there shows up now, before any
    // read-write connection exists.
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .at(path)?;
    if application_id == APPLICATION_ID {
        schema::checked_version(&conn, path, SCHEMA_VERSION)?;
        return Ok(());
    }
    let user_version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .at(path)?;
    if application_id == 0 && objects == 0 && user_version == 0 {
        return Ok(()); // an empty database: nothing of anyone's to lose
    }
    Err(StoreError::Foreign {
        path: path.to_path_buf(),
        application_id,
    })
}

/// Applies the durability and concurrency settings to a read-write connection; returns whether
/// the buffer is in WAL mode.
///
/// - `journal_mode = WAL`: a reading is one append to the log instead of a rollback journal
///   plus an in-place page write, and `status` can read while the daemon writes. Persistent in
///   the file. If the filesystem cannot do WAL (no shared memory), SQLite keeps the rollback
///   journal, which is just as durable; that is logged, not fatal.
/// - `synchronous = FULL`: the WAL is fsynced at every commit, so a committed reading survives
///   a power cut (NORMAL could lose the last few). With `storage.commit_interval = "0s"` that
///   is one fsync per reading; by default one per interval (`batch.rs`).
/// - `page_size = 1024` for a new buffer: a commit appends to the WAL one
///   frame per page it touched (the readings leaf, the index leaf, and on a buffer made before
///   the new layout `sqlite_sequence`; see `schema.rs`), so
///   smaller pages mean fewer bytes per commit; with commits batched (`storage.commit_interval`)
///   a commit's frames then fit in about one 4 KiB block of the card. A row is ~150 bytes, so
///   a 1 KiB page still holds several. An existing buffer keeps its page size (changing it means
///   a VACUUM that rewrites the whole file, outside WAL mode): it works as before, with the
///   batching's saving but not this one.
/// - `wal_autocheckpoint = 100` pages (100 KiB of WAL at 1 KiB pages): SQLite goes back to the
///   start of the WAL after each checkpoint, so past its first 100 frames the WAL is written
///   over in place and never changes size. A WAL that grows makes every fdatasync commit the
///   file system's journal too (its new size and blocks: about 4 blocks of 4 KiB on ext4, more
///   than the frames themselves); SQLite's default, 1000 pages, kept it growing for the first
///   3 hours after each start at one commit a minute. A checkpoint copies each page the frames
///   hold once, so checkpointing more often costs little more (`benches/card_writes.sh`).
/// - `cache_size` 512 KiB instead of SQLite's 2 MiB per connection: the poll loop touches a
///   few pages and the uploader one hour's rows (about 100 pages of 1 KiB) at a time, and the
///   daemon has two connections. Draining 30 days of backlog peaked at 14.6–15.4 MiB instead
///   of 18.5–18.7 MiB, in no more time (`cargo bench --bench backlog_drain`).
fn configure(conn: &Connection, path: &Path) -> Result<bool, StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).at(path)?;
    // Before anything is written: takes effect on a new (empty) file only, a no-op otherwise.
    conn.pragma_update(None, "page_size", NEW_PAGE_SIZE)
        .at(path)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .at(path)?;
    let wal = mode.eq_ignore_ascii_case("wal");
    if !wal {
        log::warn!(
            "{}: WAL is not available here, using journal_mode={mode}",
            path.display()
        );
    }
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
        .at(path)?;
    conn.pragma_update(None, "cache_size", CACHE_KIB).at(path)?;
    conn.pragma_update(None, "synchronous", "FULL").at(path)?;
    Ok(wal)
}

/// SQLite's page cache per connection (negative: KiB, not pages; see [`configure`]).
const CACHE_KIB: i64 = -512;

/// Frames in the WAL after which a commit checkpoints it (see [`configure`]).
const WAL_CHECKPOINT_PAGES: i64 = 100;

#[cfg(test)]
impl Store {
    /// The value of an integer `PRAGMA` on this connection (tests).
    pub(crate) fn pragma_value(&self, name: &str) -> i64 {
        self.conn
            .pragma_query_value(None, name, |row| row.get(0))
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_and_full_sync_are_in_effect() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("x.db")).unwrap();
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(store.pragma_value("synchronous"), 2, "synchronous=FULL");
    }

    fn page_size(store: &Store) -> i64 {
        store.pragma_value("page_size")
    }

    #[test]
    fn a_new_buffer_has_small_pages_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.db");
        assert_eq!(page_size(&Store::open(&new).unwrap()), NEW_PAGE_SIZE);
        assert_eq!(page_size(&Store::open(&new).unwrap()), NEW_PAGE_SIZE);

        // A buffer an older build made with 4 KiB pages, holding a row.
        let old = dir.path().join("old.db");
        let mut conn = Connection::open(&old).unwrap();
        conn.pragma_update(None, "page_size", 4096).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        schema::migrate(&mut conn, &old).unwrap();
        conn.execute(
            "INSERT INTO readings (meter, time_ms, clock_synced, boot_id, monotonic_ms) \
             VALUES ('0x0000000000000001', 1000, 0, 'b', 5)",
            [],
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&old).unwrap();
        assert_eq!(page_size(&store), 4096);
        assert_eq!(store.readings_after(0, 10).unwrap().len(), 1);
    }

    /// Past its first checkpoint the WAL is written over from its start: its size stops
    /// growing (each growth costs a file-system journal commit on the card).
    #[test]
    fn the_wal_stops_growing_after_its_first_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let mut store = Store::open(&path).unwrap();
        let wal_size = || std::fs::metadata(header::wal_path(&path)).unwrap().len();
        let mut sizes = Vec::new();
        for n in 0..600 {
            store
                .insert(&crate::store::journal::tests::reading(n))
                .unwrap();
            sizes.push(wal_size());
        }
        let frame = NEW_PAGE_SIZE as u64 + 24;
        let limit = 32 + (WAL_CHECKPOINT_PAGES as u64 + 8) * frame;
        assert!(
            sizes.iter().all(|size| *size <= limit),
            "WAL grew to {} bytes",
            sizes.iter().max().unwrap()
        );
        assert_eq!(sizes[300], sizes[599], "no growth once it has wrapped");
    }
}
