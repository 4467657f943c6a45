//! The queries of the upload engine: pending periods, the rows of one period, marking rows
//! uploaded. (Correcting times taken before NTP sync: `time_correction.rs`; pruning:
//! `retention.rs`.)

use chrono::Utc;
use rusqlite::params;

use super::counter::Counter;
use super::error::{SqlResultExt, StoreError};
use super::events::{self, EventDelta};
use super::readings::select_rows;
use super::Store;
use crate::reading::StoredReading;

impl Store {
    /// Time (Unix ms) of the oldest row not yet uploaded among those with a seq up to
    /// `last_seq` (`i64::MAX`: all of them).
    pub fn oldest_pending_ms(&self, last_seq: i64) -> Result<Option<i64>, StoreError> {
        let path = self.path.as_path();
        self.conn
            .prepare_cached("SELECT min(time_ms) FROM readings WHERE uploaded = 0 AND seq <= ?1")
            .at(path)?
            .query_row([last_seq], |row| row.get(0))
            .at(path)
    }

    /// The highest seq in the buffer, if it holds any row.
    pub fn last_seq(&self) -> Result<Option<i64>, StoreError> {
        let path = self.path.as_path();
        self.conn
            .query_row("SELECT max(seq) FROM readings", [], |row| row.get(0))
            .at(path)
    }

    /// How many rows with a seq up to `last_seq` are not yet uploaded.
    pub fn pending_through(&self, last_seq: i64) -> Result<u64, StoreError> {
        let path = self.path.as_path();
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM readings WHERE uploaded = 0 AND seq <= ?1",
                [last_seq],
                |row| row.get(0),
            )
            .at(path)?;
        Ok(count.unsigned_abs())
    }

    /// Every row with `start_ms <= time_ms < end_ms`, uploaded or not, in seq order: the whole
    /// content of one batch period, so a re-upload is always a superset of the last one.
    pub fn period_rows(
        &self,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<StoredReading>, StoreError> {
        select_rows(
            &self.conn,
            &self.path,
            "WHERE uploaded IN (0, 1) AND time_ms >= ?1 AND time_ms < ?2 ORDER BY seq",
            params![start_ms, end_ms],
        )
    }

    /// Marks `seqs` uploaded and counts one confirmed upload, in one transaction: called only
    /// after the target confirmed the object that holds exactly these rows.
    ///
    /// The commit is not fsynced of its own (in WAL mode, `synchronous = NORMAL` for this one
    /// transaction): the next readings commit or checkpoint syncs it. A power cut before then
    /// loses only marks, and a row whose mark was lost is uploaded again into the same key
    /// with the same content, so nothing is lost or doubled. A drain, one object an hour of
    /// backlog, then pays no fsync per object: on an SD card those take tens of milliseconds.
    pub fn mark_uploaded(&mut self, seqs: &[i64]) -> Result<usize, StoreError> {
        let path = self.path.as_path();
        // Only the WAL keeps the file sound when an unsynced commit meets a power cut.
        let unsynced = self.wal;
        if unsynced {
            self.conn
                .pragma_update(None, "synchronous", "NORMAL")
                .at(path)?;
        }
        let marked = self.mark_in_one_transaction(seqs);
        if unsynced {
            self.conn
                .pragma_update(None, "synchronous", "FULL")
                .at(&self.path)?;
        }
        marked
    }

    fn mark_in_one_transaction(&mut self, seqs: &[i64]) -> Result<usize, StoreError> {
        let path = self.path.as_path();
        let tx = super::write_transaction(&mut self.conn, path)?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare_cached("UPDATE readings SET uploaded = 1 WHERE seq = ?1 AND uploaded = 0")
                .at(path)?;
            for seq in seqs {
                changed += stmt.execute([seq]).at(path)?;
            }
        }
        let event = EventDelta {
            name: Counter::Upload.as_str().into_owned(),
            count: 1,
            last_message: None,
            at: Utc::now(),
        };
        events::add(&tx, path, &[event])?;
        tx.commit().at(path)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::reading::tests::empty_reading;

    /// The unsynced mark is for the mark only: the connection's next commits are fsynced
    /// again, or a flush's readings (`flush` commits through the same kind of connection)
    /// could be lost to a power cut after it said they were stored.
    #[test]
    fn marking_leaves_the_connection_syncing_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("readings.db")).unwrap();
        let seqs = store
            .insert_all(&[
                empty_reading("0x01", Utc::now()),
                empty_reading("0x01", Utc::now()),
            ])
            .unwrap();
        assert_eq!(store.pragma_value("synchronous"), 2, "FULL before");
        assert_eq!(store.mark_uploaded(&seqs).unwrap(), 2);
        assert_eq!(store.mark_uploaded(&seqs).unwrap(), 0, "marked once");
        assert_eq!(store.pragma_value("synchronous"), 2, "FULL again after");
        assert_eq!(store.pending_through(i64::MAX).unwrap(), 0);
    }
}
