//! The report behind `rainforest-logger status`.

use std::io::ErrorKind;

use chrono::{DateTime, Utc};

use super::counter::Counter;
use super::error::{SqlResultExt, StoreError};
use super::events::{self, EventSummary};
use super::header::wal_path;
use super::readings;
use super::schema::high_water;
use super::Store;
use crate::reading::StoredReading;

/// Everything `rainforest-logger status` prints, taken from one consistent snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// Readings in the buffer (uploaded rows stay until retention prunes them), those still
    /// in the journal included.
    pub readings_stored: u64,
    /// Of those, the readings still only in the journal: a running daemon commits them to
    /// SQLite within `storage.commit_interval`.
    pub journaled: u64,
    /// Readings not yet confirmed uploaded (the journaled ones included).
    pub pending_upload: u64,
    /// Time of the oldest pending reading, if any.
    pub first_pending: Option<DateTime<Utc>>,
    /// The reading with the highest seq, committed or journaled.
    pub last_reading: Option<StoredReading>,
    /// When the last upload was confirmed (the [`Counter::Upload`] counter), if ever.
    pub last_upload: Option<DateTime<Utc>>,
    /// Every event counter, sorted by name.
    pub events: Vec<EventSummary>,
    /// The counter whose message is the most recent of all (the last error).
    pub last_error: Option<EventSummary>,
    /// Bytes the buffer occupies on the card: the database file plus its write-ahead log.
    pub file_size: u64,
}

impl StatusReport {
    /// When the meter was last seen not reporting, if it still is: the EAGLE answered without
    /// values at least `silence` after the last stored reading (or with none stored yet), the
    /// rule the LED follows. Counters reach the buffer once a minute, with the next commit
    /// (`storage.commit_interval`), so this can lag the LED by up to a minute plus that.
    pub fn meter_not_reporting(&self, silence: std::time::Duration) -> Option<DateTime<Utc>> {
        let seen = Counter::NoValues.find(&self.events)?.last_at;
        let silence = chrono::Duration::from_std(silence).ok()?;
        match &self.last_reading {
            Some(last) if seen - last.reading.time < silence => None,
            _ => Some(seen),
        }
    }
}

impl Store {
    /// Everything `rainforest-logger status` prints.
    ///
    /// Counting rows scans the readings table, which is fine for an occasional command but not
    /// for a per-poll call. Readings in the journal count too, so that `status` does not lag a
    /// running daemon by a commit interval: the journal is read (without its lock, writing
    /// nothing) before the snapshot, so a commit in between is seen in SQLite, not missed.
    pub fn status(&self) -> Result<StatusReport, StoreError> {
        let path = self.path.as_path();
        let journaled = self.journaled()?;
        // One read transaction: the daemon may insert between the queries otherwise.
        let tx = self.conn.unchecked_transaction().at(path)?;
        let (stored, pending, first_pending_ms): (i64, i64, Option<i64>) = tx
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE uploaded = 0), \
                 min(time_ms) FILTER (WHERE uploaded = 0) FROM readings",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .at(path)?;
        // count(*) is never negative; the conversion only satisfies the type system.
        let readings_stored = stored.unsigned_abs();
        let pending_upload = pending.unsigned_abs();
        let first_pending = first_pending_ms
            .map(|ms| {
                DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| StoreError::Damaged {
                    path: path.to_path_buf(),
                    detail: format!("oldest pending time_ms {ms} is out of range"),
                })
            })
            .transpose()?;
        let mut last_reading = readings::latest(&tx, path)?;
        let events = events::all(&tx, path)?;
        let mark = high_water(&tx, path)?;
        tx.commit().at(path)?;
        let journaled: Vec<_> = journaled
            .into_iter()
            .filter(|(seq, _)| *seq > mark)
            .collect();
        let first_journaled = journaled.iter().map(|(_, r)| r.time).min();
        let first_pending = first_pending.into_iter().chain(first_journaled).min();
        if let Some((seq, reading)) = journaled.last() {
            last_reading = Some(StoredReading {
                seq: *seq,
                reading: reading.clone(),
                uploaded: false,
            });
        }
        let in_journal = journaled.len() as u64;

        let last_upload = Counter::Upload.find(&events).map(|e| e.last_at);
        let last_error = events
            .iter()
            .filter(|e| e.last_message.is_some())
            .max_by_key(|e| e.last_message_at)
            .cloned();
        Ok(StatusReport {
            readings_stored: readings_stored + in_journal,
            journaled: in_journal,
            pending_upload: pending_upload + in_journal,
            first_pending,
            last_reading,
            last_upload,
            events,
            last_error,
            file_size: self.file_size()?,
        })
    }

    /// Size of the database file plus its WAL (absent WAL counts as 0).
    fn file_size(&self) -> Result<u64, StoreError> {
        let size = |p: &std::path::Path| match std::fs::metadata(p) {
            Ok(meta) => Ok(meta.len()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(0),
            Err(source) => Err(StoreError::Io {
                path: p.to_path_buf(),
                source,
            }),
        };
        Ok(size(&self.path)? + size(&wal_path(&self.path))?)
    }
}
