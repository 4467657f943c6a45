//! Batched commits: the daemon commits its readings to SQLite once per
//! `storage.commit_interval` instead of once per reading, and keeps the readings in between in
//! the journal (`journal.rs`), so the card sees one fsync per interval and the process may die
//! at any moment without losing one (README, "The local buffer and the SD card").
//!
//! Seqs are given when a reading is journaled, continuing from the buffer's high-water mark
//! (`schema::high_water`, which never goes down, even when pruning empties the table). Commits insert in seq order, all or none, so after any crash every journaled seq at
//! or below the mark is committed and every one above it is not: replay inserts exactly those
//! above, and no reading is stored twice, no seq reused.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::{SqlResultExt, StoreError};
use super::events::{self, EventDelta};
use super::journal::{self, journal_path, Journal};
use super::readings::insert;
use super::schema::high_water;
use super::Store;
use crate::reading::Reading;

/// The daemon's batching state.
#[derive(Debug)]
pub(crate) struct Batch {
    journal: Journal,
    /// Journaled, not yet committed, in seq order.
    pending: Vec<(i64, Reading)>,
    /// Counter increments waiting to ride on the next commit (see [`Store::record_events`]).
    events: Vec<EventDelta>,
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
        let mut recovered = 0;
        // A journal left beside the buffer by a run without `storage.journal_dir` (the config
        // has set it since, and that run was killed): its readings are committed first and
        // the file removed, or they would be lost in the switch.
        let beside = journal_path(&self.path, None);
        if beside != self.journal && beside.exists() {
            match self.replay(&beside) {
                Err(StoreError::JournalInUse { .. }) if interval.is_zero() => {}
                replayed => {
                    let (journal, count) = replayed?;
                    recovered += count;
                    remove(journal, &beside)?;
                }
            }
        }
        let path = self.journal.clone();
        if interval.is_zero() && !path.exists() {
            return Ok(recovered);
        }
        let (journal, count) = match self.replay(&path) {
            Err(StoreError::JournalInUse { .. }) if interval.is_zero() => return Ok(recovered),
            replayed => replayed?,
        };
        recovered += count;
        if interval.is_zero() {
            remove(journal, &path)?;
        } else {
            self.batch = Some(Batch {
                journal,
                pending: Vec::new(),
                events: Vec::new(),
                next_seq: high_water(&self.conn, &self.path)? + 1,
                interval,
                last_commit: Instant::now(),
            });
        }
        Ok(recovered)
    }

    /// Opens (and locks) the journal at `path`, commits the readings it holds above the
    /// buffer's high-water mark and empties it; returns it and how many it committed.
    fn replay(&mut self, path: &Path) -> Result<(Journal, usize), StoreError> {
        let (mut journal, recovered) = Journal::open(path)?;
        // Bytes after the last record are normally older records not yet written over, and
        // sometimes a record torn by the stop: both are ignored, neither is worth a warning.
        log::debug!(
            "{}: {} bytes after the last record ignored",
            path.display(),
            recovered.stale_bytes
        );
        let mark = high_water(&self.conn, &self.path)?;
        let fresh: Vec<_> = recovered
            .readings
            .into_iter()
            .filter(|(seq, _)| *seq > mark)
            .collect();
        commit(&mut self.conn, &self.path, &fresh, &[])?;
        journal.clear();
        if !fresh.is_empty() {
            log::info!(
                "{}: committed {} readings journaled before the last stop",
                path.display(),
                fresh.len()
            );
        }
        Ok((journal, fresh.len()))
    }

    /// Commits the journaled readings if the interval is up (called on every poll tick, so
    /// the window holds when no new reading arrives); returns how many are still uncommitted.
    pub fn commit_if_due(&mut self) -> Result<usize, StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(0);
        };
        if batch.is_due() {
            self.commit_pending()?;
        }
        Ok(self.batch.as_ref().map_or(0, |b| b.pending.len()))
    }

    /// When [`Store::commit_if_due`] will next commit what waits (`None` without batching).
    /// The daemon asks for it after each write, so a poll tick before then needs no trip to
    /// the store's thread: a commit only ever moves it later.
    pub fn next_commit_at(&self) -> Option<Instant> {
        self.batch
            .as_ref()
            .map(|batch| batch.last_commit + batch.interval)
    }

    /// Commits the journaled readings now (shutdown), then empties the journal.
    pub fn commit_pending(&mut self) -> Result<(), StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(());
        };
        batch.last_commit = Instant::now();
        if batch.pending.is_empty() && batch.events.is_empty() {
            return Ok(());
        }
        commit(&mut self.conn, &self.path, &batch.pending, &batch.events)?;
        batch.events.clear();
        if batch.pending.is_empty() {
            return Ok(());
        }
        batch.pending.clear();
        batch.journal.clear();
        Ok(())
    }

    /// The readings journaled and not yet committed, in seq order: this process's own (with
    /// batching on), or else those in the journal file (a daemon's, read while it runs). Those
    /// in the file may include some committed already (the daemon empties it after its commit
    /// returns): the caller keeps the seqs above its snapshot's high-water mark.
    pub(crate) fn journaled(&self) -> Result<Vec<(i64, Reading)>, StoreError> {
        match &self.batch {
            Some(batch) => Ok(batch.pending.clone()),
            None => journal::peek(&self.journal),
        }
    }

    /// With batching on, keeps counter increments for the next commit and commits if it is
    /// due (`false`: batching is off, the caller commits them itself). Counters written apart
    /// cost the card a commit of their own, one page and one fsync, each time.
    pub(crate) fn defer_events(&mut self, events: &[EventDelta]) -> Result<bool, StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(false);
        };
        batch.events.extend_from_slice(events);
        if batch.is_due() {
            self.commit_pending()?;
        }
        Ok(true)
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

impl Batch {
    /// Something waits and the interval since the last commit is up.
    fn is_due(&self) -> bool {
        (!self.pending.is_empty() || !self.events.is_empty())
            && self.last_commit.elapsed() >= self.interval
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

/// Closes the (replayed, committed) journal at `path` and removes the file.
fn remove(journal: Journal, path: &Path) -> Result<(), StoreError> {
    drop(journal);
    std::fs::remove_file(path).map_err(|source| StoreError::Journal {
        path: path.to_path_buf(),
        source,
    })
}

/// Inserts `readings` with their seqs and adds `events` to the counters, in one transaction.
fn commit(
    conn: &mut Connection,
    path: &Path,
    readings: &[(i64, Reading)],
    events: &[EventDelta],
) -> Result<(), StoreError> {
    if readings.is_empty() && events.is_empty() {
        return Ok(());
    }
    let tx = super::write_transaction(conn, path)?;
    for (seq, reading) in readings {
        insert(&tx, path, Some(*seq), reading)?;
    }
    events::add(&tx, path, events)?;
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

    /// The buffer at `path`, committing every `interval`.
    fn batching(path: &std::path::Path, interval: Duration) -> Store {
        let mut store = Store::open(path).unwrap();
        store.commit_every(interval).unwrap();
        store
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
        let mut store = batching(&live, Duration::from_secs(3600));
        let first: Vec<Reading> = (1..=5).map(reading).collect();
        assert_eq!(store.insert_all(&first).unwrap(), vec![1, 2, 3, 4, 5]);
        let stale_journal = std::fs::read(journal_path(&live, None)).unwrap();
        store.commit_pending().unwrap();
        let durable = dir.path().join("durable.db");
        snapshot(&live, &durable);
        let later: Vec<Reading> = (6..=8).map(reading).collect();
        assert_eq!(store.insert_all(&later).unwrap(), vec![6, 7, 8]);
        let journal = std::fs::read(journal_path(&live, None)).unwrap();
        assert!(
            seqs(&store).len() == 5,
            "6..8 are in the uncommitted window"
        );
        // 6..8 were written over 1..3; 4 and 5 follow them, stale, in the same file.
        let written = journal.len() - journal::tests::stale_bytes(&journal);
        assert!(written < journal.len());

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
                Some(&journal[..written - 3]),
                vec![1, 2, 3, 4, 5, 6, 7],
            ),
        ];
        for (case, journal, expected) in cases {
            let after = dir.path().join(format!("{}.db", case.replace(' ', "-")));
            snapshot(&durable, &after);
            if let Some(bytes) = journal {
                std::fs::write(journal_path(&after, None), bytes).unwrap();
            }
            let mut store = batching(&after, Duration::from_secs(3600));
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
        let mut store = batching(&path, Duration::from_millis(200));
        store.insert_all(&[reading(1)]).unwrap();
        assert_eq!(store.commit_if_due().unwrap(), 1, "not due yet");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(store.commit_if_due().unwrap(), 0);
        let reader = Store::open(&path).unwrap();
        assert_eq!(seqs(&reader), vec![1]);
        assert_eq!(reader.status().unwrap().journaled, 0);
    }

    /// `status` (a second connection, as the command opens it) counts the readings a running
    /// daemon has only journaled, reads the journal without disturbing it, and does not count
    /// twice records a commit has already put in SQLite.
    #[test]
    fn status_counts_the_journal_of_a_running_daemon_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut daemon = batching(&path, Duration::from_secs(3600));
        daemon.insert_all(&[reading(1), reading(2)]).unwrap();
        daemon.commit_pending().unwrap();
        daemon
            .insert_all(&[reading(3), reading(4), reading(5)])
            .unwrap();
        let journal = std::fs::read(journal_path(&path, None)).unwrap();

        let report = Store::open(&path).unwrap().status().unwrap();
        assert_eq!(report.readings_stored, 5);
        assert_eq!(report.journaled, 3);
        assert_eq!(report.pending_upload, 5);
        let last = report.last_reading.unwrap();
        assert_eq!((last.seq, last.reading), (5, reading(5)));
        assert_eq!(
            std::fs::read(journal_path(&path, None)).unwrap(),
            journal,
            "status left the journal as it was"
        );
        // The daemon's own view (the heartbeat, the household page) says the same.
        assert_eq!(daemon.status().unwrap().readings_stored, 5);
        // Still the daemon's: it journals on, and commits.
        daemon.insert_all(&[reading(6)]).unwrap();
        daemon.commit_pending().unwrap();
        // Records a commit has put in SQLite, seen again in the journal (read between the
        // commit and the truncation), are not counted twice.
        std::fs::write(journal_path(&path, None), &journal).unwrap();
        let report = Store::open(&path).unwrap().status().unwrap();
        assert_eq!((report.readings_stored, report.journaled), (6, 0));
        assert_eq!(report.last_reading.unwrap().seq, 6);
    }

    /// A config that sets `storage.journal_dir` after a run without it was killed: the start
    /// commits what that run journaled beside the buffer, and removes that journal, before
    /// journaling in the new place.
    #[test]
    fn a_journal_left_beside_the_buffer_is_committed_when_the_journal_moves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        drop(batching(&path, Duration::from_secs(60)));
        let beside = journal_path(&path, None);
        let (mut killed, _) = Journal::open(&beside).unwrap();
        killed.append(&[(1, reading(1)), (2, reading(2))]).unwrap();
        drop(killed);
        let run = dir.path().join("run");
        let mut store = Store::open_with_journal_dir(&path, Some(&run)).unwrap();
        assert_eq!(store.commit_every(Duration::from_secs(60)).unwrap(), 2);
        assert_eq!(seqs(&store), vec![1, 2]);
        assert!(
            !beside.exists(),
            "the old journal is removed once committed"
        );
        assert_eq!(store.insert_all(&[reading(3)]).unwrap(), vec![3]);
        let moved = journal_path(&path, Some(&run));
        assert_eq!(journal::peek(&moved).unwrap(), vec![(3, reading(3))]);
    }

    /// A journal directory that cannot be made (here a file stands in its way; tests run as
    /// root, so permissions would not stop them) is refused at start-up, the message naming
    /// the path and the key to check, before any reading is taken.
    #[test]
    fn a_journal_dir_that_cannot_be_made_is_named_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let in_the_way = dir.path().join("run");
        std::fs::write(&in_the_way, "not a directory").unwrap();
        let journal_dir = in_the_way.join("rainforest-logger");
        let path = dir.path().join("r.db");
        let mut store = Store::open_with_journal_dir(&path, Some(&journal_dir)).unwrap();
        let error = store.commit_every(Duration::from_secs(60)).unwrap_err();
        assert!(matches!(error, StoreError::Journal { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&journal_dir.display().to_string())
                && message.contains("storage.journal_dir"),
            "{message}"
        );
    }

    /// With batching on, counters ride on the readings commit instead of a commit (a page and
    /// an fsync) of their own; they are committed with it, or once the interval is up.
    #[test]
    fn counters_wait_for_the_next_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let counted = || Store::open(&path).unwrap().status().unwrap().events.len();
        let mut store = batching(&path, Duration::from_millis(300));
        let delta = |name: &str| EventDelta {
            name: name.into(),
            count: 1,
            last_message: None,
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        store.insert_all(&[reading(1)]).unwrap();
        store.record_events(&[delta("repeat_poll")]).unwrap();
        assert_eq!(counted(), 0, "not committed on their own");
        store.commit_pending().unwrap();
        assert_eq!(counted(), 1, "committed with the readings");
        store.record_events(&[delta("eagle_unreachable")]).unwrap();
        assert_eq!(counted(), 1);
        std::thread::sleep(Duration::from_millis(350));
        store.record_events(&[delta("eagle_unreachable")]).unwrap();
        let events = Store::open(&path).unwrap().status().unwrap().events;
        let unreachable = events.iter().find(|e| e.name == "eagle_unreachable");
        assert_eq!(unreachable.map(|e| e.count), Some(2), "due: both committed");
    }
}
