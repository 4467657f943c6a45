//! Readings taken before the clock was synchronized get their time rebuilt from the
//! boot-relative clock they also recorded, before anything is uploaded.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::error::{SqlResultExt, StoreError};
use super::Store;
use crate::reading::ClockStamp;

impl Store {
    /// Corrects, from a synchronized clock's `stamp` taken at `now`, every pending reading
    /// taken in the same boot before the sync, and logs how many. Meant for every upload
    /// cycle, not once: a reading stamped unsynced may be committed just after the first
    /// synced cycle ran (the poll loop writes on its own task), and only pending rows are
    /// looked at, which the `(uploaded, time_ms)` index finds at once.
    pub fn correct_times(
        &mut self,
        stamp: &ClockStamp,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let boot_ms = i64::try_from(stamp.monotonic_ms).unwrap_or(i64::MAX);
        let corrected =
            self.correct_unsynced_times(&stamp.boot_id, now.timestamp_millis(), boot_ms)?;
        if corrected > 0 {
            log::info!(
                "clock synchronized: corrected the time of {corrected} reading(s) taken before \
                 the sync"
            );
        }
        Ok(corrected)
    }

    /// Rebuilds `time` for rows taken in this boot before the clock was synchronized:
    /// `time = now_wall - (now_boot_ms - monotonic_ms)`. Each row is corrected once.
    fn correct_unsynced_times(
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
}
