//! The queries behind the heartbeat's completeness: readings per hour, and the meter's own
//! update times. Both scan the recent rows only (by `time_ms`), once per upload cycle.

use std::collections::BTreeMap;

use super::error::{SqlResultExt, StoreError};
use super::Store;

const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Readings stored per UTC hour from `from_ms` on: hour start (Unix ms) → count.
    pub fn readings_per_hour(&self, from_ms: i64) -> Result<BTreeMap<i64, u64>, StoreError> {
        let path = self.path.as_path();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT time_ms / ?2 * ?2, count(*) FROM readings WHERE time_ms >= ?1 GROUP BY 1",
            )
            .at(path)?;
        let rows = statement
            .query_map([from_ms, HOUR_MS], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })
            .at(path)?;
        rows.map(|row| row.map(|(hour, n)| (hour, n.unsigned_abs())))
            .collect::<Result<_, _>>()
            .at(path)
    }

    /// The distinct `meter_time` values (Unix s) of readings stored from `from_ms` on,
    /// ascending: how often the meter itself publishes.
    pub fn meter_times_since(&self, from_ms: i64) -> Result<Vec<i64>, StoreError> {
        let path = self.path.as_path();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT meter_time FROM readings \
                 WHERE time_ms >= ?1 AND meter_time IS NOT NULL ORDER BY 1",
            )
            .at(path)?;
        let rows = statement
            .query_map([from_ms], |row| row.get::<_, i64>(0))
            .at(path)?;
        rows.collect::<Result<_, _>>().at(path)
    }
}
