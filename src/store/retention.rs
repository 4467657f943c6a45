//! Keeping the buffer within its limits: uploaded rows older than `storage.retention` go, and
//! above `storage.max_size` the oldest rows go, uploaded ones first; pending rows deleted for
//! the size limit are readings lost, counted ([`Counter::DroppedPending`]) and said loudly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::counter::Counter;
use super::error::{SqlResultExt, StoreError};
use super::events::EventDelta;
use super::Store;

/// Rows deleted per statement while pruning, so one prune never holds the write lock long.
const PRUNE_CHUNK: i64 = 2_000;

/// Pruning by size brings the buffer down to this share of `storage.max_size`, so it does not
/// prune a few rows on every cycle.
const PRUNE_TARGET_PERCENT: u64 = 90;

/// The buffer's limits (`storage.retention`, `storage.max_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Uploaded rows older than this are deleted.
    pub retention: Duration,
    /// Bytes the database may use.
    pub max_size: u64,
}

/// What a size-driven prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows already uploaded (no data lost).
    pub uploaded: u64,
    /// Rows never uploaded: readings lost to the size limit.
    pub pending: u64,
}

/// What one [`Store::keep_within`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kept {
    /// Uploaded rows older than the retention.
    pub expired: u64,
    /// Rows removed for the size limit.
    pub pruned: Pruned,
}

impl Store {
    /// Retention first (uploaded rows only), then the size limit (uploaded rows, then —
    /// logged and counted — pending ones), as of `now`. The count of dropped pending rows is
    /// written at once, not with the minute's counters: lost readings must be on record even
    /// if the power goes next.
    pub fn keep_within(&mut self, limits: Limits, now: DateTime<Utc>) -> Result<Kept, StoreError> {
        let retention_ms = i64::try_from(limits.retention.as_millis()).unwrap_or(i64::MAX);
        let expired =
            self.prune_uploaded_before(now.timestamp_millis().saturating_sub(retention_ms))?;
        let pruned = if self.used_bytes()? > limits.max_size {
            self.prune_to_size(limits.max_size / 100 * PRUNE_TARGET_PERCENT)?
        } else {
            Pruned::default()
        };
        if pruned.pending > 0 {
            self.record_events(&[EventDelta {
                name: Counter::DroppedPending.as_str().into_owned(),
                count: pruned.pending,
                last_message: Some(format!(
                    "dropped {} pending reading(s) to stay under storage.max_size",
                    pruned.pending
                )),
                at: now,
            }])?;
        }
        let kept = Kept { expired, pruned };
        kept.log();
        Ok(kept)
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

impl Kept {
    /// Says what went: uploaded rows quietly, readings never uploaded as an error.
    fn log(&self) {
        if self.expired > 0 {
            log::info!(
                "pruned {} uploaded reading(s) older than storage.retention",
                self.expired
            );
        }
        if self.pruned.uploaded > 0 {
            log::warn!(
                "buffer reached storage.max_size: pruned the {} oldest uploaded reading(s)",
                self.pruned.uploaded
            );
        }
        if self.pruned.pending > 0 {
            log::error!(
                "buffer reached storage.max_size with uploads failing: DROPPED the {} oldest \
                 reading(s) that were never uploaded",
                self.pruned.pending
            );
        }
    }
}
