//! Batched commits: the daemon keeps its readings in the journal (`journal.rs`) as they are
//! taken, makes them durable on the card once per `storage.commit_interval`, and commits them to
//! SQLite once per upload period (README, "The local buffer and the SD card").
//!
//! Three steps, each cheaper for the card than the next:
//! - **journaled**: each reading is one `write(2)` to the journal, in the kernel when it
//!   returns, so the process may die at any moment without losing one;
//! - **durable** (a *sync*, every commit interval): the records journaled since the last sync
//!   are written to the card's window file (`PATH.window`, written full of zeros once, then
//!   over in place) in one write and one `fdatasync`. When the journal is itself on the card
//!   (no `storage.journal_dir`), it is its own window and the sync is its `fdatasync`;
//! - **in SQLite** (a *fold*): once the upload period of the oldest waiting reading has ended
//!   (the uploader reads SQLite), or `storage.database_interval` after it was journaled, or
//!   when the window fills, or at a clean stop, the waiting readings are committed in one
//!   transaction and the journal and the window are emptied. A SQLite commit writes its WAL
//!   frames, the WAL index and ext4's journal (about 40 KiB on the card, docs/benchmarks.md);
//!   a sync writes one or two blocks.
//!
//! Seqs are given when a reading is journaled, continuing from the buffer's high-water mark
//! (`schema::high_water`, which never goes down, even when pruning empties the table). Folds
//! insert in seq order, all or none, so after any crash every journaled seq at or below the mark
//! is committed and every one above it is not: replay (the window, then the journal) inserts
//! exactly those above, and no reading is stored twice, no seq reused.
//!
//! Counters ride on the fold, except those that carry a message (an error, a drop): those are
//! committed at the next sync, so `status` and the heartbeat show a problem within an interval.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::error::{SqlResultExt, StoreError};
use super::events::{self, EventDelta};
use super::journal::{self, journal_path, window_path, Journal, CARD_FILE_BYTES};
use super::readings::insert;
use super::schema::high_water;
use super::Store;
use crate::reading::Reading;

/// A fold is due once the journal holds this much, whatever the time: the window file
/// ([`CARD_FILE_BYTES`]) must not fill, or it would grow and change metadata after all.
const FOLD_BYTES: u64 = CARD_FILE_BYTES * 3 / 4;

/// When the daemon's readings are made durable and folded into SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// How often what was journaled is made durable on the card (`storage.commit_interval`);
    /// zero: each reading as it is journaled.
    pub sync_every: Duration,
    /// How long readings and counters wait, at most, for the fold (`storage.database_interval`).
    pub fold_every: Duration,
    /// The upload period (`s3.batch_period`): the end of the one holding the oldest waiting
    /// reading brings a fold, so that the uploader, which reads SQLite, finds it whole.
    pub upload_period: Duration,
}

/// The daemon's batching state.
#[derive(Debug)]
pub(crate) struct Batch {
    journal: Journal,
    /// The card's copy of the journal, when the journal is elsewhere (`storage.journal_dir`);
    /// `None`: the journal is on the card, its own window.
    window: Option<Journal>,
    /// Records journaled since the last sync, in the journal's format (for the window; with
    /// the journal on the card, only whether its own `fdatasync` is due).
    unsynced: Vec<u8>,
    /// Journaled, not yet in SQLite, in seq order.
    pending: Vec<(i64, Reading)>,
    /// Counter increments waiting to ride on the next fold (see [`Store::record_events`]).
    events: Vec<EventDelta>,
    next_seq: i64,
    timing: Batching,
    last_sync: Instant,
    /// When the oldest reading or counter now waiting for a fold arrived.
    waiting_since: Option<Instant>,
}

impl Store {
    /// Batches as `timing` says from now on (`None`: every insert is its own commit, as
    /// `flush` writes), after committing what a previous run left in the window and the
    /// journal; returns how many readings that recovered.
    ///
    /// Without batching and the journal held by a running daemon (`flush` while it runs),
    /// nothing is recovered: the daemon commits its own readings.
    pub fn commit_every(&mut self, timing: Option<Batching>) -> Result<usize, StoreError> {
        let mut recovered = 0;
        let beside = journal_path(&self.path, None);
        let journal_on_card = beside == self.journal;
        // Left by earlier runs: a journal beside the buffer from a run without
        // `storage.journal_dir` (the config has set it since), and a window from a run with it
        // (the config has dropped it, or batching is off now). Their readings are committed
        // first, or they would be lost in the switch; the window comes before the journal,
        // which holds the same records and more unless a power cut took it.
        let window = window_path(&self.path);
        let mut kept_window = None;
        for left in [&beside, &window] {
            if left == &self.journal || !left.exists() {
                continue;
            }
            match self.replay(left) {
                Err(StoreError::JournalInUse { .. }) if timing.is_none() => return Ok(recovered),
                replayed => {
                    let (file, count) = replayed?;
                    recovered += count;
                    if left == &window && !journal_on_card && timing.is_some() {
                        kept_window = Some(file);
                    } else {
                        remove(file, left)?;
                    }
                }
            }
        }
        let path = self.journal.clone();
        if timing.is_none() && !path.exists() {
            return Ok(recovered);
        }
        let (mut journal, count) = match self.replay(&path) {
            Err(StoreError::JournalInUse { .. }) if timing.is_none() => return Ok(recovered),
            replayed => replayed?,
        };
        recovered += count;
        let Some(timing) = timing else {
            remove(journal, &path)?;
            return Ok(recovered);
        };
        let window = if journal_on_card {
            journal.prewrite(CARD_FILE_BYTES)?;
            None
        } else {
            let mut window = match kept_window {
                Some(window) => window,
                None => Journal::open(&window)?.0,
            };
            window.prewrite(CARD_FILE_BYTES)?;
            window.write_in_sectors();
            Some(window)
        };
        self.batch = Some(Batch {
            journal,
            window,
            unsynced: Vec::new(),
            pending: Vec::new(),
            events: Vec::new(),
            next_seq: high_water(&self.conn, &self.path)? + 1,
            timing,
            last_sync: Instant::now(),
            waiting_since: None,
        });
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

    /// Called on every poll tick once [`Store::next_commit_at`] has come: folds what waits
    /// into SQLite if that is due, or else makes what was journaled since the last sync
    /// durable, so the window holds when no new reading arrives; returns how many readings
    /// are journaled and not yet in SQLite.
    pub fn commit_if_due(&mut self) -> Result<usize, StoreError> {
        self.commit_if_due_at(Utc::now())
    }

    /// [`Store::commit_if_due`] with the wall clock at `now`.
    fn commit_if_due_at(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(0);
        };
        if batch.last_sync.elapsed() >= batch.timing.sync_every {
            self.sync_or_fold(now)?;
        }
        Ok(self.batch.as_ref().map_or(0, |b| b.pending.len()))
    }

    /// Folds what waits into SQLite if that is due at `now`, or else syncs it to the window.
    /// A failed fold still syncs: the readings are durable on the card until a fold succeeds.
    fn sync_or_fold(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(());
        };
        if !batch.fold_is_due(now) {
            return batch.sync();
        }
        let folded = self.commit_pending();
        if folded.is_err() {
            self.batch.as_mut().map(Batch::sync).transpose()?;
        }
        folded
    }

    /// When [`Store::commit_if_due`] will next have work: the next sync (`None` without
    /// batching). The daemon asks for it after each write, so a poll tick before then needs
    /// no trip to the store's thread: a sync or a fold only ever moves it later.
    pub fn next_commit_at(&self) -> Option<Instant> {
        self.batch
            .as_ref()
            .map(|batch| batch.last_sync + batch.timing.sync_every)
    }

    /// Folds what waits into SQLite now (shutdown), then empties the journal and the window.
    pub fn commit_pending(&mut self) -> Result<(), StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(());
        };
        batch.last_sync = Instant::now();
        if batch.pending.is_empty() && batch.events.is_empty() {
            return Ok(());
        }
        commit(&mut self.conn, &self.path, &batch.pending, &batch.events)?;
        batch.events.clear();
        batch.waiting_since = None;
        if batch.pending.is_empty() {
            return Ok(());
        }
        batch.pending.clear();
        batch.journal.clear();
        if let Some(window) = &mut batch.window {
            window.clear();
        }
        batch.unsynced.clear();
        Ok(())
    }

    /// The readings journaled and not yet committed, in seq order: this process's own (with
    /// batching on), or else those in the journal file (a daemon's, read while it runs), or
    /// without one (a power cut took it, and no daemon has started since) in the window.
    /// Those in a file may include some committed already (the daemon empties it after its
    /// commit returns): the caller keeps the seqs above its snapshot's high-water mark.
    pub(crate) fn journaled(&self) -> Result<Vec<(i64, Reading)>, StoreError> {
        match &self.batch {
            Some(batch) => Ok(batch.pending.clone()),
            None if self.journal.exists() => journal::peek(&self.journal),
            None => journal::peek(&window_path(&self.path)),
        }
    }

    /// With batching on, keeps counter increments for the next fold, which one with a message
    /// (a problem) brings forward to the next sync (`false`: batching is off, the caller
    /// commits them itself). Counters written apart cost the card a commit of their own, one
    /// page and one fsync, each time.
    pub(crate) fn defer_events(&mut self, events: &[EventDelta]) -> Result<bool, StoreError> {
        let Some(batch) = &mut self.batch else {
            return Ok(false);
        };
        if !events.is_empty() {
            batch.waiting_since.get_or_insert_with(Instant::now);
        }
        batch.events.extend_from_slice(events);
        Ok(true)
    }

    /// [`Store::insert_all`] with batching on: journal only. The caller syncs and folds with
    /// [`Store::commit_if_due`], separately, so that a failed commit is reported as such and
    /// never as a failed insert (which would journal the readings a second time).
    pub(crate) fn journal_all(&mut self, readings: &[Reading]) -> Result<Vec<i64>, StoreError> {
        let batch = self.batch.as_mut().expect("called with batching on");
        let numbered: Vec<(i64, Reading)> =
            (batch.next_seq..).zip(readings.iter().cloned()).collect();
        let records = journal::records(&numbered);
        batch.journal.append(&records)?;
        batch.unsynced.extend_from_slice(&records);
        batch.next_seq += numbered.len() as i64;
        batch.waiting_since.get_or_insert_with(Instant::now);
        let seqs = numbered.iter().map(|(seq, _)| *seq).collect();
        batch.pending.extend(numbered);
        if batch.timing.sync_every.is_zero() {
            // Durable before this returns (in SQLite too with `database_interval = "0s"`). A
            // failure is the next tick's to retry and report (the records stay unsynced, or
            // pending): failing here would journal them again.
            if let Err(error) = self.sync_or_fold(Utc::now()) {
                log::debug!("{error} (retried at the next tick)");
            }
        }
        Ok(seqs)
    }
}

impl Batch {
    /// Whether what waits goes into SQLite now rather than to the window: the upload period
    /// of the oldest waiting reading has ended by the wall clock at `now` (the uploader reads
    /// SQLite), or it has waited `fold_every`, or the window is filling up, or a counter
    /// carries a problem to show.
    fn fold_is_due(&self, now: DateTime<Utc>) -> bool {
        let Some(since) = self.waiting_since else {
            return false;
        };
        let period = self.timing.upload_period.as_millis().max(1);
        let period_ms = i64::try_from(period).unwrap_or(i64::MAX);
        let period_ended = self.pending.first().is_some_and(|(_, oldest)| {
            oldest.time.timestamp_millis().div_euclid(period_ms)
                < now.timestamp_millis().div_euclid(period_ms)
        });
        period_ended
            || since.elapsed() >= self.timing.fold_every
            || self.journal.len() >= FOLD_BYTES
            || self.events.iter().any(|e| e.last_message.is_some())
    }

    /// Makes the records journaled since the last sync durable on the card: written to the
    /// window in one write, then `fdatasync` (the journal's own, when it is on the card).
    fn sync(&mut self) -> Result<(), StoreError> {
        self.last_sync = Instant::now();
        if self.unsynced.is_empty() {
            return Ok(());
        }
        match &mut self.window {
            Some(window) => window.append_durably(&self.unsynced)?,
            None => self.journal.sync()?,
        }
        self.unsynced.clear();
        Ok(())
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

    /// The buffer at `path`, syncing and folding every `interval`.
    fn batching(path: &std::path::Path, interval: Duration) -> Store {
        let mut store = Store::open(path).unwrap();
        store.commit_every(Some(every(interval, interval))).unwrap();
        store
    }

    /// Syncs every `sync`, folds after `fold` and at the end of each hour.
    fn every(sync: Duration, fold: Duration) -> Batching {
        Batching {
            sync_every: sync,
            fold_every: fold,
            upload_period: Duration::from_secs(3600),
        }
    }

    /// The buffer at `path` with its journal in `run` (as on /run), syncing every `interval`
    /// and folding every hour.
    fn batching_off_card(
        path: &std::path::Path,
        run: &std::path::Path,
        interval: Duration,
    ) -> Store {
        let mut store = Store::open_with_journal_dir(path, Some(run)).unwrap();
        store
            .commit_every(Some(every(interval, Duration::from_secs(3600))))
            .unwrap();
        store
    }

    /// 00:00:00 UTC on 15 November 2023, the first whole hour after the time of [`reading`]s
    /// (22:13:20 the day before).
    fn hour_after_readings() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_006_400, 0).unwrap()
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
        killed
            .append(&journal::records(&[(1, reading(1)), (2, reading(2))]))
            .unwrap();
        drop(killed);
        let run = dir.path().join("run");
        let mut store = Store::open_with_journal_dir(&path, Some(&run)).unwrap();
        let interval = Duration::from_secs(60);
        assert_eq!(
            store.commit_every(Some(every(interval, interval))).unwrap(),
            2
        );
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
        let minute = Duration::from_secs(60);
        let error = store.commit_every(Some(every(minute, minute))).unwrap_err();
        assert!(matches!(error, StoreError::Journal { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&journal_dir.display().to_string())
                && message.contains("storage.journal_dir"),
            "{message}"
        );
    }

    /// With batching on, counters ride on the fold into SQLite instead of a commit (a page and
    /// an fsync) of their own; one with a message (a problem) goes at the next sync instead.
    #[test]
    fn counters_wait_for_the_fold_and_problems_for_the_next_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let counted = || Store::open(&path).unwrap().status().unwrap().events.len();
        let mut store = Store::open(&path).unwrap();
        let interval = Duration::from_millis(100);
        store
            .commit_every(Some(every(interval, Duration::from_secs(3600))))
            .unwrap();
        let delta = |name: &str, message: Option<&str>| EventDelta {
            name: name.into(),
            count: 1,
            last_message: message.map(String::from),
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        store.record_events(&[delta("poll.repeat", None)]).unwrap();
        std::thread::sleep(interval);
        let readings_hour = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        store.commit_if_due_at(readings_hour).unwrap();
        assert_eq!(counted(), 0, "a plain count waits for the fold");
        store
            .record_events(&[delta("eagle.no_values", Some("no values"))])
            .unwrap();
        assert_eq!(counted(), 0, "not committed on their own");
        std::thread::sleep(interval);
        store.commit_if_due_at(readings_hour).unwrap();
        assert_eq!(
            counted(),
            2,
            "a problem is committed at the next sync, with the rest"
        );
    }

    /// Between folds the readings are durable in the window (one write and one `fdatasync` a
    /// sync), not in SQLite; the first sync after the upload period of the oldest has ended
    /// folds them into SQLite and empties the window and the journal.
    #[test]
    fn readings_are_synced_to_the_window_and_folded_once_their_hour_has_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let run = dir.path().join("run");
        let interval = Duration::from_millis(50);
        let mut store = batching_off_card(&path, &run, interval);
        let window = window_path(&path);
        assert_eq!(
            std::fs::metadata(&window).unwrap().len(),
            CARD_FILE_BYTES,
            "written full once"
        );
        store.insert_all(&[reading(1), reading(2)]).unwrap();
        assert!(journal::peek(&window).unwrap().is_empty(), "not synced yet");
        std::thread::sleep(interval);
        let same_hour = reading(1).time + chrono::Duration::minutes(30);
        assert_eq!(store.commit_if_due_at(same_hour).unwrap(), 2);
        assert_eq!(journal::peek(&window).unwrap().len(), 2, "synced");
        assert!(
            seqs(&store).is_empty(),
            "not in SQLite before the hour ends"
        );
        store.insert_all(&[reading(3)]).unwrap();
        std::thread::sleep(interval);
        assert_eq!(store.commit_if_due_at(hour_after_readings()).unwrap(), 0);
        assert_eq!(seqs(&store), vec![1, 2, 3], "folded");
        assert_eq!(std::fs::metadata(&window).unwrap().len(), CARD_FILE_BYTES);
        store.insert_all(&[reading(4)]).unwrap();
        std::thread::sleep(interval);
        store.commit_if_due_at(hour_after_readings()).unwrap();
        assert_eq!(seqs(&store), vec![1, 2, 3, 4]);
    }

    /// With the journal off the card (on /run), a power cut takes the journal and keeps the
    /// window as of its last sync: the restart commits what the window holds, losing only the
    /// readings since that sync; a killed process keeps the journal, and loses nothing.
    #[test]
    fn a_power_cut_off_the_card_loses_only_the_readings_since_the_last_sync() {
        let dir = tempfile::tempdir().unwrap();
        let interval = Duration::from_millis(50);
        for power_cut in [true, false] {
            let path = dir.path().join(format!("cut-{power_cut}.db"));
            let run = dir.path().join(format!("run-{power_cut}"));
            let mut store = batching_off_card(&path, &run, interval);
            store.insert_all(&[reading(1), reading(2)]).unwrap();
            std::thread::sleep(interval);
            // A sync, not a fold: the readings' hour has not ended.
            store.commit_if_due_at(reading(1).time).unwrap();
            store.insert_all(&[reading(3)]).unwrap();
            // The process dies here (no clean stop: nothing more is written).
            std::mem::forget(store);
            let (journal, window) = (journal_path(&path, Some(&run)), window_path(&path));
            if power_cut {
                std::fs::remove_file(&journal).unwrap();
            }
            let reader = Store::open_with_journal_dir(&path, Some(&run)).unwrap();
            let expected: Vec<i64> = if power_cut { vec![1, 2] } else { vec![1, 2, 3] };
            assert_eq!(
                reader.status().unwrap().journaled,
                expected.len() as u64,
                "status counts what the next start recovers (power cut: {power_cut})"
            );
            drop(reader);
            // The forgotten store still holds the files' locks: a copy stands for the card.
            let after = dir.path().join(format!("after-{power_cut}.db"));
            for (from, to) in [(&path, &after), (&window, &window_path(&after))] {
                std::fs::copy(from, to).unwrap();
            }
            let run_after = dir.path().join(format!("run-after-{power_cut}"));
            if !power_cut {
                std::fs::create_dir(&run_after).unwrap();
                std::fs::copy(&journal, journal_path(&after, Some(&run_after))).unwrap();
            }
            let mut store = batching_off_card(&after, &run_after, interval);
            assert_eq!(seqs(&store), expected, "power cut: {power_cut}");
            let next = store.insert_all(&[reading(4)]).unwrap()[0];
            assert_eq!(next, expected.last().unwrap() + 1);
        }
    }

    /// The heartbeat's readings per hour count those still in the journal, once, before and
    /// after their fold.
    #[test]
    fn readings_per_hour_counts_journaled_readings_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = batching(&path, Duration::from_secs(3600));
        store.insert_all(&[reading(1), reading(2)]).unwrap();
        let hour = reading(1).time.timestamp_millis().div_euclid(3_600_000) * 3_600_000;
        let counted = |store: &Store| store.readings_per_hour(0).unwrap().get(&hour).copied();
        assert_eq!(counted(&store), Some(2));
        assert_eq!(
            counted(&Store::open(&path).unwrap()),
            Some(2),
            "another process"
        );
        store.commit_pending().unwrap();
        assert_eq!(counted(&store), Some(2));
        assert_eq!(counted(&Store::open(&path).unwrap()), Some(2));
    }

    /// `storage.commit_interval = "0s"`: each reading is durable in the window when its insert
    /// returns; the database still takes them at the fold.
    #[test]
    fn at_zero_each_reading_is_synced_to_the_window_as_it_is_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let run = dir.path().join("run");
        let mut store = batching_off_card(&path, &run, Duration::ZERO);
        // Taken now: their hour has not ended, so they wait for the fold.
        let taken_now = |n| Reading {
            time: Utc::now(),
            ..reading(n)
        };
        let in_window = || -> Vec<i64> {
            let records = journal::peek(&window_path(&path)).unwrap();
            records.iter().map(|(seq, _)| *seq).collect()
        };
        store.insert_all(&[taken_now(1)]).unwrap();
        assert_eq!(in_window(), vec![1]);
        store.insert_all(&[taken_now(2)]).unwrap();
        assert_eq!(in_window(), vec![1, 2]);
        assert!(seqs(&store).is_empty());
        store
            .commit_if_due_at(Utc::now() + chrono::Duration::hours(2))
            .unwrap();
        assert_eq!(seqs(&store), vec![1, 2]);
    }

    /// `flush` (batching off) commits what a stopped daemon left in the window and removes it.
    #[test]
    fn batching_off_commits_and_removes_a_window_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let run = dir.path().join("run");
        let interval = Duration::from_millis(50);
        let mut store = batching_off_card(&path, &run, interval);
        store.insert_all(&[reading(1)]).unwrap();
        std::thread::sleep(interval);
        store.commit_if_due_at(reading(1).time).unwrap();
        std::mem::forget(store);
        let after = dir.path().join("after.db");
        std::fs::copy(&path, &after).unwrap();
        std::fs::copy(window_path(&path), window_path(&after)).unwrap();
        let mut store = Store::open_with_journal_dir(&after, Some(&run)).unwrap();
        assert_eq!(store.commit_every(None).unwrap(), 1);
        assert_eq!(seqs(&store), vec![1]);
        assert!(!window_path(&after).exists());
    }
}
