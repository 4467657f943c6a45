//! A damaged buffer is set aside, never deleted, and the daemon starts a new one: one bad
//! sector must not stop a home's logging until someone visits.
//!
//! Only damage does this: a file that is not SQLite at all, or a SQLite file that is corrupt or
//! cut short. A sound database that is not ours (another program's, a newer schema, a WAL
//! without its database) is still refused untouched: moving it would hide a mistake in
//! `storage.path`, or readings a newer build still has to upload.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::counter::Counter;
use super::error::StoreError;
use super::events::{self, EventDelta, EventSummary};
use super::header::{shm_path, wal_path};
use super::Store;
use crate::durable;

/// A damaged buffer moved out of the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where the damaged file is now (its `-wal` and `-shm`, if any, beside it).
    pub moved_to: PathBuf,
    /// What was wrong with it.
    pub reason: String,
}

impl Store {
    /// [`Store::open_with_journal_dir`], except that a damaged file at `path` (see the module) is renamed to
    /// `PATH.damaged-YYYYMMDDTHHMMSSZ`, with its `-wal` and `-shm`, and a new buffer is started
    /// there; the new buffer records it as [`Counter::BufferSetAside`], its message naming the file it
    /// was moved to. For the daemon only: the other
    /// commands must not move files.
    pub fn open_setting_aside_damage(
        path: &Path,
        journal_dir: Option<&Path>,
        now: DateTime<Utc>,
    ) -> Result<(Store, Option<SetAside>), StoreError> {
        let error = match Store::open_with_journal_dir(path, journal_dir) {
            Ok(store) => return Ok((store, None)),
            Err(error) if is_damage(&error, path) => error,
            Err(error) => return Err(error),
        };
        let moved_to = set_aside(path, now).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let reason = match &error {
            StoreError::Damaged { detail, .. } => detail.clone(),
            _ => "not a SQLite database".to_string(),
        };
        let mut store = Store::open_with_journal_dir(path, journal_dir)?;
        store.record_events(&[EventDelta {
            name: Counter::BufferSetAside.as_str().into_owned(),
            count: 1,
            last_message: Some(format!(
                "the damaged buffer ({reason}) was set aside as {}",
                moved_to.display()
            )),
            at: now,
        }])?;
        Ok((store, Some(SetAside { moved_to, reason })))
    }

    /// The [`Counter::BufferSetAside`] event of this buffer, if a damaged one was ever set aside for it.
    pub fn set_aside_event(&self) -> Result<Option<EventSummary>, StoreError> {
        let found = events::all(&self.conn, &self.path)?;
        Ok(Counter::BufferSetAside.find(&found).cloned())
    }
}

/// Damage, as opposed to a sound file that is not ours: a regular file that is not SQLite, or
/// a corrupt or cut-short database.
fn is_damage(error: &StoreError, path: &Path) -> bool {
    match error {
        StoreError::Damaged { .. } => true,
        StoreError::NotADatabase { .. } => path.is_file(),
        _ => false,
    }
}

/// Renames `path` (then its `-wal` and `-shm`, keeping SQLite's naming so `sqlite3` finds them
/// together) to a name no file has yet, and makes the renames durable.
fn set_aside(path: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut moved_to = suffixed(path, &format!(".damaged-{stamp}"));
    let mut n = 1;
    while moved_to.exists() || wal_path(&moved_to).exists() {
        n += 1;
        moved_to = suffixed(path, &format!(".damaged-{stamp}-{n}"));
    }
    std::fs::rename(path, &moved_to)?;
    for (from, to) in [
        (wal_path(path), wal_path(&moved_to)),
        (shm_path(path), shm_path(&moved_to)),
    ] {
        if from.exists() {
            std::fs::rename(from, to)?;
        }
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    durable::sync_dir(dir.unwrap_or(Path::new(".")))?;
    Ok(moved_to)
}

/// `path` with `suffix` appended to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap()
    }

    #[test]
    fn a_file_of_garbage_is_set_aside_with_its_wal_and_a_new_buffer_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.db");
        std::fs::write(&path, vec![0xa5; 8192]).unwrap();
        std::fs::write(wal_path(&path), b"frames").unwrap();
        let (store, set_aside) = Store::open_setting_aside_damage(&path, None, now()).unwrap();
        let set_aside = set_aside.expect("set aside");
        assert_eq!(
            set_aside.moved_to,
            dir.path().join("readings.db.damaged-20261118T110640Z")
        );
        assert_eq!(
            std::fs::read(&set_aside.moved_to).unwrap(),
            vec![0xa5; 8192]
        );
        assert_eq!(
            std::fs::read(wal_path(&set_aside.moved_to)).unwrap(),
            b"frames"
        );
        let event = store.set_aside_event().unwrap().expect("recorded");
        assert!(event
            .last_message
            .unwrap()
            .contains("readings.db.damaged-20261118T110640Z"));

        // Damaged again in the same second: another name, the first one kept.
        drop(store);
        std::fs::write(&path, vec![0x5a; 4096]).unwrap();
        let (_, again) = Store::open_setting_aside_damage(&path, None, now()).unwrap();
        assert!(again
            .unwrap()
            .moved_to
            .ends_with("readings.db.damaged-20261118T110640Z-2"));
        assert_eq!(
            std::fs::read(&set_aside.moved_to).unwrap(),
            vec![0xa5; 8192]
        );
    }

    #[test]
    fn a_sound_database_of_another_program_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE photos (x)").unwrap();
        drop(conn);
        let before = std::fs::read(&path).unwrap();
        let error = Store::open_setting_aside_damage(&path, None, now()).unwrap_err();
        assert!(matches!(error, StoreError::Foreign { .. }), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_good_buffer_is_opened_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.db");
        drop(Store::open(&path).unwrap());
        let (store, set_aside) = Store::open_setting_aside_damage(&path, None, now()).unwrap();
        assert!(set_aside.is_none());
        assert!(store.set_aside_event().unwrap().is_none());
    }
}
