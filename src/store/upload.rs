//! The queries of the upload engine: pending periods, the rows of one period, marking rows
//! uploaded, correcting times taken before NTP sync, and pruning.

use chrono::Utc;
use rusqlite::params;

use super::error::{SqlResultExt, StoreError};
use super::events::{self, EventDelta};
use super::readings::select_rows;
use super::status::UPLOAD_EVENT;
use super::Store;
use crate::reading::StoredReading;

/// Rows deleted per statement while pruning, so one prune never holds the write lock long.
const PRUNE_CHUNK: i64 = 2_000;

/// What a size-driven prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows already uploaded (no data lost).
    pub uploaded: u64,
    /// Rows never uploaded: readings lost to the size limit.
    pub pending: u64,
}

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
    pub fn mark_uploaded(&mut self, seqs: &[i64]) -> Result<usize, StoreError> {
        let path = self.path.as_path();
        let tx = self.conn.transaction().at(path)?;
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
            name: UPLOAD_EVENT.to_string(),
            count: 1,
            last_message: None,
            at: Utc::now(),
        };
        events::add(&tx, path, &[event])?;
        tx.commit().at(path)?;
        Ok(changed)
    }

    /// Rebuilds `time` for rows taken in this boot before the clock was synchronized:
    /// `time = now_wall - (now_boot_ms - monotonic_ms)`. Each row is corrected once.
    pub fn correct_unsynced_times(
        &mut self,
        boot_id: &str,
        now_wall_ms: i64,
        now_boot_ms: i64,
    ) -> Result<usize, StoreError> {
        let path = self.path.as_path();
        self.conn
            .execute(
                "UPDATE readings SET time_ms = ?2 - (?3 - monotonic_ms), time_corrected = 1 \
                 WHERE clock_synced = 0 AND time_corrected = 0 AND uploaded = 0 AND boot_id = ?1",
                params![boot_id, now_wall_ms, now_boot_ms],
            )
            .at(path)
    }

    /// Deletes uploaded rows older than `before_ms` (retention). Returns how many.
    pub fn prune_uploaded_before(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let deleted = self.delete_oldest(1, Some(before_ms))?;
            total += deleted;
            if deleted < PRUNE_CHUNK as u64 {
                return Ok(total);
            }
        }
    }

    /// Bytes of the database in use (pages minus free pages): deleting rows frees pages for
    /// reuse without shrinking the file, so this, not the file size, is what a limit compares.
    pub fn used_bytes(&self) -> Result<u64, StoreError> {
        let path = self.path.as_path();
        let used: i64 = self
            .conn
            .query_row(
                "SELECT (page_count - freelist_count) * page_size \
                 FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
                [],
                |row| row.get(0),
            )
            .at(path)?;
        Ok(used.unsigned_abs())
    }

    /// Deletes rows until the database uses at most `target_bytes`: the oldest uploaded rows
    /// first, and only when none are left, the oldest pending rows.
    pub fn prune_to_size(&mut self, target_bytes: u64) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        for uploaded in [1, 0] {
            while self.used_bytes()? > target_bytes {
                let deleted = self.delete_oldest(uploaded, None)?;
                if deleted == 0 {
                    break;
                }
                if uploaded == 1 {
                    pruned.uploaded += deleted;
                } else {
                    pruned.pending += deleted;
                }
            }
        }
        Ok(pruned)
    }

    /// Deletes up to [`PRUNE_CHUNK`] of the oldest rows with the given `uploaded` value
    /// (and older than `before_ms`, if given).
    fn delete_oldest(&mut self, uploaded: i64, before_ms: Option<i64>) -> Result<u64, StoreError> {
        let path = self.path.as_path();
        let deleted = self
            .conn
            .execute(
                "DELETE FROM readings WHERE seq IN (SELECT seq FROM readings \
                 WHERE uploaded = ?1 AND time_ms < ?2 ORDER BY time_ms LIMIT ?3)",
                params![uploaded, before_ms.unwrap_or(i64::MAX), PRUNE_CHUNK],
            )
            .at(path)?;
        Ok(deleted as u64)
    }
}
