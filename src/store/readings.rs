//! Storing readings and reading them back.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use rust_decimal::Decimal;

use super::error::{SqlResultExt, StoreError};
use super::schema;
use super::Store;
use crate::reading::{ClockStamp, Reading, StoredReading};

/// The columns [`RawRow::from_row`] expects, in its order.
const COLUMNS: &str = "seq, meter, time_ms, meter_time, demand_kw, delivered_kwh, received_kwh, \
     price, currency, rate_label, tier, clock_synced, boot_id, monotonic_ms, uploaded";

/// `seq` (?1) is always given: the next above the buffer's high-water mark
/// ([`schema::high_water`]; a new buffer has no AUTOINCREMENT to keep it), or for a batched
/// commit the seq the journal recorded.
const INSERT: &str = "INSERT INTO readings (seq, meter, time_ms, meter_time, demand_kw, \
     delivered_kwh, received_kwh, price, currency, rate_label, tier, clock_synced, boot_id, \
     monotonic_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
     RETURNING seq";

impl Store {
    /// Inserts one reading in its own transaction, durably; returns its seq.
    ///
    /// When this returns `Ok`, the reading is on the card (`synchronous = FULL`). `time` is
    /// stored to the millisecond and `meter_time` to the second (the precision of the output
    /// and of the EAGLE); finer parts are dropped.
    ///
    /// An explicit transaction, not an autocommit `INSERT … RETURNING`: SQLite runs its
    /// automatic WAL checkpoint only after a statement that ran to its end, which a `RETURNING`
    /// read through its row is not, so autocommit inserts would let the WAL grow unchecked.
    pub fn insert(&mut self, reading: &Reading) -> Result<i64, StoreError> {
        let path = self.path.as_path();
        let tx = super::write_transaction(&mut self.conn, path)?;
        let seq = insert(&tx, path, None, reading)?;
        tx.commit().at(path)?;
        Ok(seq)
    }

    /// Stores `readings` (all or none) and returns their seqs.
    ///
    /// Without batched commits (see [`Store::commit_every`]) they are committed in one
    /// transaction: one fsync for the lot, e.g. readings that waited in memory while the card
    /// was full. With them, they are appended to the journal (in the kernel, safe from the
    /// process's death, when this returns) and committed with the others by
    /// [`Store::commit_if_due`] once the interval is up.
    pub fn insert_all(&mut self, readings: &[Reading]) -> Result<Vec<i64>, StoreError> {
        if self.batch.is_some() {
            return self.journal_all(readings);
        }
        let path = self.path.as_path();
        let tx = super::write_transaction(&mut self.conn, path)?;
        let seqs = readings
            .iter()
            .map(|reading| insert(&tx, path, None, reading))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().at(path)?;
        Ok(seqs)
    }

    /// The reading with the highest seq (the daemon restores its dedupe state from it after a restart).
    pub fn latest(&self) -> Result<Option<StoredReading>, StoreError> {
        latest(&self.conn, &self.path)
    }

    /// The first reading of `meter` taken at or after `start` that has a summation (delivered
    /// or received): where the household page counts today's kWh from.
    ///
    /// No index covers `time_ms` alone, so this scans the table (a month of readings in well
    /// under a second on a Pi); the page asks once per day, not per reading.
    pub fn first_summation_since(
        &self,
        meter: &str,
        start: DateTime<Utc>,
    ) -> Result<Option<StoredReading>, StoreError> {
        let mut rows = select_rows(
            &self.conn,
            &self.path,
            "WHERE meter = ?1 AND time_ms >= ?2 \
             AND (delivered_kwh IS NOT NULL OR received_kwh IS NOT NULL) \
             ORDER BY time_ms, seq LIMIT 1",
            params![meter, start.timestamp_millis()],
        )?;
        Ok(rows.pop())
    }

    /// The most recent non-null delivered_kwh stored for `meter` (for the EAGLE-reboot "summation 0" rule).
    ///
    /// Scans back from the newest row until one matches, which is immediate in normal use.
    pub fn last_delivered(&self, meter: &str) -> Result<Option<Decimal>, StoreError> {
        let path = self.path.as_path();
        let found: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, delivered_kwh FROM readings \
                 WHERE meter = ?1 AND delivered_kwh IS NOT NULL ORDER BY seq DESC LIMIT 1",
            )
            .at(path)?
            .query_row([meter], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .at(path)?;
        found
            .map(|(seq, text)| decimal(path, seq, "delivered_kwh", text))
            .transpose()
    }

    /// Up to `limit` readings with seq > `after`, in seq order (demo output, tests, later the uploader).
    pub fn readings_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredReading>, StoreError> {
        // SQLite's LIMIT is an i64; a larger limit means "all", which i64::MAX also does.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        select_rows(
            &self.conn,
            &self.path,
            "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, limit],
        )
    }
}

/// The rows a `WHERE … ORDER BY …` clause selects, decoded.
pub(crate) fn select_rows(
    conn: &Connection,
    path: &Path,
    clause: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredReading>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM readings {clause}"))
        .at(path)?;
    let raws = stmt
        .query_map(params, RawRow::from_row)
        .at(path)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .at(path)?;
    raws.into_iter().map(|raw| raw.decode(path)).collect()
}

/// Inserts one row on `conn` (a connection or an open transaction), with the given seq or
/// (`None`) the next one above the high-water mark.
pub(crate) fn insert(
    conn: &Connection,
    path: &Path,
    seq: Option<i64>,
    reading: &Reading,
) -> Result<i64, StoreError> {
    let monotonic_ms =
        i64::try_from(reading.clock.monotonic_ms).map_err(|_| StoreError::OutOfRange {
            path: path.to_path_buf(),
            field: "monotonic_ms",
        })?;
    let seq = match seq {
        Some(seq) => seq,
        None => schema::high_water(conn, path)? + 1,
    };
    let text = |d: Option<Decimal>| d.map(|d| d.to_string());
    conn.prepare_cached(INSERT)
        .at(path)?
        .query_row(
            params![
                seq,
                reading.meter,
                reading.time.timestamp_millis(),
                reading.meter_time.map(|t| t.timestamp()),
                text(reading.demand_kw),
                text(reading.delivered_kwh),
                text(reading.received_kwh),
                text(reading.price),
                reading.currency,
                reading.rate_label,
                reading.tier,
                reading.clock.synced,
                reading.clock.boot_id,
                monotonic_ms,
            ],
            |row| row.get(0),
        )
        .at(path)
}

/// [`Store::latest`] on any connection, so `status` can run it inside its read transaction.
pub(crate) fn latest(conn: &Connection, path: &Path) -> Result<Option<StoredReading>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM readings ORDER BY seq DESC LIMIT 1"
    ))
    .at(path)?
    .query_row([], RawRow::from_row)
    .optional()
    .at(path)?
    .map(|raw| raw.decode(path))
    .transpose()
}

/// A row as SQLite returns it, before the checks that turn it into a [`StoredReading`].
struct RawRow {
    seq: i64,
    meter: String,
    time_ms: i64,
    meter_time: Option<i64>,
    demand_kw: Option<String>,
    delivered_kwh: Option<String>,
    received_kwh: Option<String>,
    price: Option<String>,
    currency: Option<String>,
    rate_label: Option<String>,
    tier: Option<i64>,
    clock_synced: bool,
    boot_id: String,
    monotonic_ms: i64,
    uploaded: bool,
}

impl RawRow {
    /// Reads the columns listed in [`COLUMNS`].
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            seq: row.get(0)?,
            meter: row.get(1)?,
            time_ms: row.get(2)?,
            meter_time: row.get(3)?,
            demand_kw: row.get(4)?,
            delivered_kwh: row.get(5)?,
            received_kwh: row.get(6)?,
            price: row.get(7)?,
            currency: row.get(8)?,
            rate_label: row.get(9)?,
            tier: row.get(10)?,
            clock_synced: row.get(11)?,
            boot_id: row.get(12)?,
            monotonic_ms: row.get(13)?,
            uploaded: row.get(14)?,
        })
    }

    /// Converts to the data model; a value no `insert` could have written is a [`StoreError::BadRow`].
    fn decode(self, path: &Path) -> Result<StoredReading, StoreError> {
        let seq = self.seq;
        let bad = |detail: String| StoreError::BadRow {
            path: path.to_path_buf(),
            seq,
            detail,
        };
        let dec =
            |field, text: Option<String>| text.map(|t| decimal(path, seq, field, t)).transpose();
        let time = DateTime::<Utc>::from_timestamp_millis(self.time_ms)
            .ok_or_else(|| bad(format!("time_ms {} is out of range", self.time_ms)))?;
        let meter_time = self
            .meter_time
            .map(|s| {
                DateTime::<Utc>::from_timestamp(s, 0)
                    .ok_or_else(|| bad(format!("meter_time {s} is out of range")))
            })
            .transpose()?;
        let monotonic_ms = u64::try_from(self.monotonic_ms)
            .map_err(|_| bad(format!("monotonic_ms {} is negative", self.monotonic_ms)))?;
        Ok(StoredReading {
            seq,
            reading: Reading {
                meter: self.meter,
                time,
                meter_time,
                demand_kw: dec("demand_kw", self.demand_kw)?,
                delivered_kwh: dec("delivered_kwh", self.delivered_kwh)?,
                received_kwh: dec("received_kwh", self.received_kwh)?,
                price: dec("price", self.price)?,
                currency: self.currency,
                rate_label: self.rate_label,
                tier: self.tier,
                clock: ClockStamp {
                    synced: self.clock_synced,
                    boot_id: self.boot_id,
                    monotonic_ms,
                },
            },
            uploaded: self.uploaded,
        })
    }
}

/// Parses a decimal stored as TEXT by [`Store::insert`].
fn decimal(path: &Path, seq: i64, field: &str, text: String) -> Result<Decimal, StoreError> {
    Decimal::from_str(&text).map_err(|e| StoreError::BadRow {
        path: path.to_path_buf(),
        seq,
        detail: format!("{field} {text:?} is not a decimal: {e}"),
    })
}
