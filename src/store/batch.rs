//! Batched commits: the daemon commits its readings to SQLite once per
//! `storage.commit_interval` instead of once per reading, and keeps the readings in between in
//! the journal (`journal.rs`), so the card sees one fsync per interval and the process may die
//! at any moment without losing one (README, "The local buffer and the SD card").
//!
//! Seqs are given when a reading is journaled, continuing from the buffer's high-water mark
//! (AUTOINCREMENT's `sqlite_sequence`, which never goes down, even when pruning empties the
//! table). Commits insert in seq order, all or none, so after any crash every journaled seq at
//! or below the mark is committed and every one above it is not: replay inserts exactly those
//! above, and no reading is stored twice, no seq reused.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::{SqlResultExt, StoreError};
use super::journal::{journal_path, Journal};
use super::readings::insert;
use super::Store;
use crate::reading::Reading;

/// The daemon's batching state.
#[derive(Debug)]
pub(crate) struct Batch {
    journal: Journal,
    /// Journaled, not yet committed, in seq order.
    pending: Vec<(i64, Reading)>,
    next_seq: i64,
    interval: Duration,
    last_commit: Instant,
}

impl Store {
    /// Commits every `interval` from now on (`Duration::ZERO`: every insert is its own
    /// commit, as before), after committing what a previous run left in the journal; returns
    /// how many readings that recovered.
    ///
    /// With `Duration::ZERO` and the journal held by a running daemon (`flush` while it runs),
    /// nothing is recovered: the daemon commits its own readings.
    pub fn commit_every(&mut self, interval: Duration) -> Result<usize, StoreError> {
        let path = journal_path(&self.path);
        if interval.is_zero() && !path.exists() {
            return Ok(0);
        }
        let (mut journal, recovered) = match Journal::open(&self.path) {
            Err(StoreError::JournalInUse { .. }) if interval.is_zero() => return Ok(0),
            opened => opened?,
        };
        if recovered.torn_bytes > 0 {
            log::warn!(
                "{}: ignored {} bytes of a torn last record (the process or the power stopped \
                 mid-write)",
                path.display(),
                recovered.torn_bytes
            );
        }
        let mark = high_water(&self.conn, &self.path)?;
        let fresh: Vec<_> = recovered
            .readings
            .into_iter()
            .filter(|(seq, _)| *seq > mark)
            .collect();
        commit(&mut self.conn, &self.path, &fresh)?;
        journal.clear()?;
        if !fresh.is_empty() {
            log::info!(
                "{}: committed {} readings journaled before the last stop",
                path.display(),
                fresh.len()
            );
        }
        if interval.is_zero() {
            drop(journal);
            std::fs::remove_file(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        } else {
            self.batch = Some(Batch {
                journal,
                pending: Vec::new(),
                next_seq: high_water(&self.conn, &self.path)? + 1,
                interval,
                last_commit: Instant::now(),
            });
        }
        Ok(fresh.len())
    }

    /// Commits the journaled readings if the interval is up (called on every poll tick, so
    /// the window holds when no new reading arrives); returns how many are still uncommitted.
    pub fn commit_if_due(&mut self) -> Result<usize, StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(0);
        };
        if !batch.pending.is_empty() && batch.last_commit.elapsed() >= batch.interval {
            self.commit_pending()?;
        }
        Ok(self.batch.as_ref().map_or(0, |b| b.pending.len()))
    }

    /// Commits the journaled readings now (shutdown), then empties the journal.
    pub fn commit_pending(&mut self) -> Result<(), StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(());
        };
        batch.last_commit = Instant::now();
        if batch.pending.is_empty() {
            return Ok(());
        }
        commit(&mut self.conn, &self.path, &batch.pending)?;
        batch.pending.clear();
        batch.journal.clear()
    }

    /// [`Store::insert_all`] with batching on: journal only. The caller commits with
    /// [`Store::commit_if_due`], separately, so that a failed commit is reported as such and
    /// never as a failed insert (which would journal the readings a second time).
    pub(crate) fn journal_all(&mut self, readings: &[Reading]) -> Result<Vec<i64>, StoreError> {
        let batch = self.batch.as_mut().expect("called with batching on");
        let numbered: Vec<(i64, Reading)> =
            (batch.next_seq..).zip(readings.iter().cloned()).collect();
        batch.journal.append(&numbered)?;
        batch.next_seq += numbered.len() as i64;
        let seqs = numbered.iter().map(|(seq, _)| *seq).collect();
        batch.pending.extend(numbered);
        Ok(seqs)
    }
}

impl Drop for Store {
    /// A clean stop commits what is journaled, so the next start has nothing to replay.
    fn drop(&mut self) {
        if let Err(error) = self.commit_pending() {
            log::warn!("{error} (the readings stay in the journal for the next start)");
        }
    }
}

/// The highest seq ever given in the buffer: AUTOINCREMENT's mark, or the newest row.
fn high_water(conn: &Connection, path: &std::path::Path) -> Result<i64, StoreError> {
    conn.query_row(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'readings'), 0), \
         coalesce((SELECT max(seq) FROM readings), 0))",
        [],
        |row| row.get(0),
    )
    .at(path)
}

/// Inserts `readings` with their seqs in one transaction.
fn commit(
    conn: &mut Connection,
    path: &std::path::Path,
    readings: &[(i64, Reading)],
) -> Result<(), StoreError> {
    if readings.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().at(path)?;
    for (seq, reading) in readings {
        insert(&tx, path, Some(*seq), reading)?;
    }
    tx.commit().at(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::journal::tests::reading;

    /// The buffer's files as the card holds them after the last fsync: a copy of the database
    /// and its WAL taken right after a commit returned (nothing else writes them in between).
    fn snapshot(from: &std::path::Path, to: &std::path::Path) {
        for suffix in ["", "-wal"] {
            let name = |p: &std::path::Path| format!("{}{suffix}", p.display());
            std::fs::copy(name(from), name(to)).unwrap();
        }
    }

    fn seqs(store: &Store) -> Vec<i64> {
        let rows = store.readings_after(0, 100).unwrap();
        rows.iter().map(|r| r.seq).collect()
    }

    /// A power cut keeps what was fsynced (the commits) and, of the journal, anything from
    /// nothing to the whole file, possibly torn, possibly the stale copy from before the
    /// commit's truncation reached the card. Every case loses at most the readings since the
    /// last commit, and stores none twice.
    #[test]
    fn a_power_cut_loses_only_the_readings_since_the_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let mut store = Store::open(&live).unwrap();
        store.commit_every(Duration::from_secs(3600)).unwrap();
        let first: Vec<Reading> = (1..=5).map(reading).collect();
        assert_eq!(store.insert_all(&first).unwrap(), vec![1, 2, 3, 4, 5]);
        let stale_journal = std::fs::read(journal_path(&live)).unwrap();
        store.commit_pending().unwrap();
        let durable = dir.path().join("durable.db");
        snapshot(&live, &durable);
        let later: Vec<Reading> = (6..=8).map(reading).collect();
        assert_eq!(store.insert_all(&later).unwrap(), vec![6, 7, 8]);
        let journal = std::fs::read(journal_path(&live)).unwrap();
        assert!(
            seqs(&store).len() == 5,
            "6..8 are in the uncommitted window"
        );

        // (case, the journal the card holds after the cut, the seqs expected after the restart)
        type Case<'a> = (&'a str, Option<&'a [u8]>, Vec<i64>);
        let cases: [Case<'_>; 4] = [
            ("journal lost", None, vec![1, 2, 3, 4, 5]),
            (
                "stale journal back",
                Some(&stale_journal),
                vec![1, 2, 3, 4, 5],
            ),
            ("journal kept", Some(&journal), (1..=8).collect()),
            (
                "last record torn",
                Some(&journal[..journal.len() - 3]),
                vec![1, 2, 3, 4, 5, 6, 7],
            ),
        ];
        for (case, journal, expected) in cases {
            let after = dir.path().join(format!("{}.db", case.replace(' ', "-")));
            snapshot(&durable, &after);
            if let Some(bytes) = journal {
                std::fs::write(journal_path(&after), bytes).unwrap();
            }
            let mut store = Store::open(&after).unwrap();
            store.commit_every(Duration::from_secs(3600)).unwrap();
            assert_eq!(seqs(&store), expected, "{case}");
            // The next reading continues above everything the buffer committed.
            let next = store.insert_all(&[reading(9)]).unwrap()[0];
            assert_eq!(next, expected.last().unwrap() + 1, "{case}");
        }
    }

    #[test]
    fn a_quiet_meter_still_gets_its_readings_committed_when_the_interval_is_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = Store::open(&path).unwrap();
        store.commit_every(Duration::from_millis(200)).unwrap();
        store.insert_all(&[reading(1)]).unwrap();
        assert_eq!(store.commit_if_due().unwrap(), 1, "not due yet");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(store.commit_if_due().unwrap(), 0);
        assert_eq!(seqs(&Store::open(&path).unwrap()), vec![1]);
        assert!(std::fs::read(journal_path(&path)).unwrap().is_empty());
    }
}
