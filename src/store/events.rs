//! Event counters: how often something happened (a repeat poll, a failed upload) and the
//! latest message about it, kept for `status` and the heartbeat.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};

use super::error::{SqlResultExt, StoreError};
use super::Store;

/// Occurrences of one event since the last batch, to be added to its counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDelta {
    /// The counter's name ([`super::Counter::as_str`]).
    pub name: String,
    /// How many times it happened (may be 0 to record only a message).
    pub count: u64,
    /// Text of the latest occurrence, if there is something to say (usually an error).
    pub last_message: Option<String>,
    /// When the latest occurrence happened.
    pub at: DateTime<Utc>,
}

/// One counter as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// The counter's name.
    pub name: String,
    /// Total occurrences recorded.
    pub count: u64,
    /// The most recent message recorded for it (a delta without a message keeps the old one).
    pub last_message: Option<String>,
    /// When `last_message` was recorded.
    pub last_message_at: Option<DateTime<Utc>>,
    /// The latest `at` recorded for it, with or without a message.
    pub last_at: DateTime<Utc>,
}

/// Adds a delta; a message replaces the stored one unless the stored one is newer, so batches
/// applied out of order still keep the latest message. In `DO UPDATE`, bare column names are
/// the stored row's values, `excluded.` the delta's.
const UPSERT: &str = "
INSERT INTO events (name, count, last_message, message_at_ms, last_at_ms)
VALUES (?1, ?2, ?3, CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END, ?4)
ON CONFLICT (name) DO UPDATE SET
    count = count + excluded.count,
    last_message = CASE WHEN excluded.message_at_ms >= coalesce(message_at_ms, excluded.message_at_ms)
                        THEN excluded.last_message ELSE last_message END,
    message_at_ms = CASE WHEN excluded.message_at_ms >= coalesce(message_at_ms, excluded.message_at_ms)
                         THEN excluded.message_at_ms ELSE message_at_ms END,
    last_at_ms = max(last_at_ms, excluded.last_at_ms)";

impl Store {
    /// Adds counter increments and last-error text in one transaction (the daemon batches these; it does NOT call this per poll).
    ///
    /// An empty batch writes nothing. With batched commits on ([`Store::commit_every`]) they
    /// wait for the next fold into SQLite, at the latest an upload period later (one with a
    /// message, a problem, for the next sync: within a commit interval), and a killed process
    /// loses the increments that waited (statistics, not readings).
    pub fn record_events(&mut self, events: &[EventDelta]) -> Result<(), StoreError> {
        if events.is_empty() || self.defer_events(events)? {
            return Ok(());
        }
        let path = self.path.as_path();
        let tx = super::write_transaction(&mut self.conn, path)?;
        add(&tx, path, events)?;
        tx.commit().at(path)
    }
}

/// Adds `events` inside the caller's transaction (so an upload's rows and its counter commit
/// together).
pub(crate) fn add(conn: &Connection, path: &Path, events: &[EventDelta]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(UPSERT).at(path)?;
    for event in events {
        let count = i64::try_from(event.count).map_err(|_| StoreError::OutOfRange {
            path: path.to_path_buf(),
            field: "event count",
        })?;
        stmt.execute(params![
            event.name,
            count,
            event.last_message,
            event.at.timestamp_millis()
        ])
        .at(path)?;
    }
    Ok(())
}

/// Every counter, sorted by name.
pub(crate) fn all(conn: &Connection, path: &Path) -> Result<Vec<EventSummary>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, count, last_message, message_at_ms, last_at_ms FROM events ORDER BY name",
        )
        .at(path)?;
    let raws = stmt
        .query_map([], RawEvent::from_row)
        .at(path)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .at(path)?;
    raws.into_iter().map(|raw| raw.decode(path)).collect()
}

/// A counter row as SQLite returns it.
struct RawEvent {
    name: String,
    count: i64,
    last_message: Option<String>,
    message_at_ms: Option<i64>,
    last_at_ms: i64,
}

impl RawEvent {
    /// Reads the columns selected by [`all`].
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            name: row.get(0)?,
            count: row.get(1)?,
            last_message: row.get(2)?,
            message_at_ms: row.get(3)?,
            last_at_ms: row.get(4)?,
        })
    }

    /// Converts to an [`EventSummary`]; impossible values mean the file was tampered with.
    fn decode(self, path: &Path) -> Result<EventSummary, StoreError> {
        let name = self.name;
        let damaged = |detail: String| StoreError::Damaged {
            path: path.to_path_buf(),
            detail: format!("event {name:?}: {detail}"),
        };
        let time = |ms: i64| {
            DateTime::<Utc>::from_timestamp_millis(ms)
                .ok_or_else(|| damaged(format!("time {ms} ms is out of range")))
        };
        let count = u64::try_from(self.count)
            .map_err(|_| damaged(format!("count {} is negative", self.count)))?;
        let last_message_at = self.message_at_ms.map(time).transpose()?;
        let last_at = time(self.last_at_ms)?;
        Ok(EventSummary {
            name,
            count,
            last_message: self.last_message,
            last_message_at,
            last_at,
        })
    }
}
