//! The queries behind the heartbeat's completeness: readings per hour, and the meter's own
//! update times. Both scan the recent rows only (by `time_ms`), once per upload cycle.

use std::collections::BTreeMap;

use super::error::{SqlResultExt, StoreError};
use super::schema::high_water;
use super::Store;

const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Readings stored per UTC hour from `from_ms` on: hour start (Unix ms) → count. Readings
    /// still in the journal count too (they reach SQLite once their upload period ends), read
    /// before the snapshot as [`Store::status`] reads them, so none is counted twice.
    pub fn readings_per_hour(&self, from_ms: i64) -> Result<BTreeMap<i64, u64>, StoreError> {
        let path = self.path.as_path();
        let journaled = self.journaled()?;
        let tx = self.conn.unchecked_transaction().at(path)?;
        let mut hourly = {
            let mut statement = tx
                .prepare_cached(
                    "SELECT time_ms / ?2 * ?2, count(*) FROM readings WHERE time_ms >= ?1 \
                     GROUP BY 1",
                )
                .at(path)?;
            let rows = statement
                .query_map([from_ms, HOUR_MS], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                })
                .at(path)?;
            rows.map(|row| row.map(|(hour, n)| (hour, n.unsigned_abs())))
                .collect::<Result<BTreeMap<_, _>, _>>()
                .at(path)?
        };
        let mark = high_water(&tx, path)?;
        tx.commit().at(path)?;
        for (_, reading) in journaled.iter().filter(|(seq, _)| *seq > mark) {
            let time_ms = reading.time.timestamp_millis();
            if time_ms >= from_ms {
                *hourly
                    .entry(time_ms.div_euclid(HOUR_MS) * HOUR_MS)
                    .or_default() += 1;
            }
        }
        Ok(hourly)
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
