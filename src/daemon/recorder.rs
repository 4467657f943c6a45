//! Turning meter samples into stored readings: dedupe, the EAGLE-reboot zero, and a small
//! in-memory queue that holds readings while the database cannot be written.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::clock::Clock;
use crate::eagle::MeterSample;
use crate::reading::{Reading, StoredReading};
use crate::store::{Counter, EventDelta, SharedStore, Store, StoreError};

/// Readings kept in memory while the database refuses writes: about 17 hours at 6 s.
pub const MAX_WAITING: usize = 10_000;

/// Bytes those readings may take: [`MAX_WAITING`] ordinary readings (a few hundred bytes
/// each) fit, while readings bloated by an EAGLE's overlong texts cannot exhaust a Pi's memory.
pub const MAX_WAITING_BYTES: usize = 4 << 20;

/// What became of one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The reply carried no demand and no summation ([`MeterSample::has_values`]): nothing
    /// was stored, and it is not a reference for dedupe either.
    NoValues,
    /// The EAGLE served the reading already recorded (LastContact did not advance).
    Repeat,
    /// A new reading; `stored` lists the rows committed by this call (the new reading and
    /// any that had been waiting), `waiting` how many are still only in memory.
    New {
        /// Rows committed now, in seq order.
        stored: Vec<StoredReading>,
        /// Readings still waiting for the database.
        waiting: usize,
        /// A delivered summation of 0 after a non-zero one was left out (EAGLE reboot).
        omitted_zero: bool,
        /// The meter's clock went backwards relative to the last reading.
        meter_time_backwards: bool,
        /// Readings dropped because the in-memory queue was full.
        dropped: usize,
    },
}

/// Decides which samples are new readings and writes them to the buffer.
pub struct Recorder {
    store: SharedStore,
    clock: Arc<dyn Clock>,
    last: Option<(String, DateTime<Utc>)>,
    last_delivered: HashMap<String, Decimal>,
    waiting: VecDeque<Reading>,
    waiting_bytes: usize,
    /// Readings dropped from the full queue and not yet counted in the buffer: they never got
    /// a seq, so this count, once in `dropped_rows`, is the only trace of them.
    dropped_uncounted: u64,
    last_store_error: Option<StoreError>,
    /// Readings journaled but not yet committed (batched commits), as of the last call.
    uncommitted: usize,
    /// When the store's next batched commit is due, as of the last call ([`Store::next_commit_at`]).
    next_commit_at: Option<Instant>,
}

impl Recorder {
    /// A recorder that continues where the buffer left off: the last stored reading is the
    /// reference for dedupe and for the reboot-zero rule, across restarts.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Result<Recorder, StoreError> {
        let latest = store.latest()?;
        let mut last_delivered = HashMap::new();
        let mut last = None;
        if let Some(StoredReading { reading, .. }) = latest {
            if let Some(delivered) = store.last_delivered(&reading.meter)? {
                last_delivered.insert(reading.meter.clone(), delivered);
            }
            last = reading.meter_time.map(|t| (reading.meter.clone(), t));
        }
        let next_commit_at = store.next_commit_at();
        Ok(Recorder {
            store: SharedStore::new(store),
            clock,
            last,
            last_delivered,
            waiting: VecDeque::new(),
            waiting_bytes: 0,
            dropped_uncounted: 0,
            last_store_error: None,
            uncommitted: 0,
            next_commit_at,
        })
    }

    /// The shared handle to the buffer (for writing counters from the same task).
    pub fn store(&self) -> SharedStore {
        self.store.clone()
    }

    /// The last failure to write, if the latest attempt failed.
    pub fn last_store_error(&self) -> Option<&StoreError> {
        self.last_store_error.as_ref()
    }

    /// Records one sample: a reply without values and a repeat are only reported; a new
    /// reading is queued and the queue is written to the database.
    pub async fn record(&mut self, sample: MeterSample) -> Outcome {
        if !sample.has_values() {
            return Outcome::NoValues;
        }
        let mut meter_time_backwards = false;
        match &mut self.last {
            // The same meter as last time (every poll but the first): no copy of its address.
            Some((meter, time)) if *meter == sample.meter => {
                if *time == sample.meter_time {
                    return Outcome::Repeat;
                }
                meter_time_backwards = sample.meter_time < *time;
                *time = sample.meter_time;
            }
            last => *last = Some((sample.meter.clone(), sample.meter_time)),
        }
        let (reading, omitted_zero) = self.make_reading(sample);
        let dropped = self.enqueue(reading);
        let stored = self.write_waiting().await;
        Outcome::New {
            stored,
            waiting: self.waiting.len(),
            omitted_zero,
            meter_time_backwards,
            dropped,
        }
    }

    /// Retries readings that are waiting for the database (called on every tick), or else
    /// commits journaled readings whose commit interval is up, so that a meter gone quiet
    /// does not leave them uncommitted past the window.
    ///
    /// Before the commit is due, the tick does not go to the store's thread at all (two
    /// thread switches a poll saved).
    pub async fn retry_waiting(&mut self) -> Vec<StoredReading> {
        if self.waiting.is_empty() {
            if self.uncommitted > 0 && self.commit_due() {
                let committed = self.store.call(commit_if_due).await;
                self.note_commit(committed);
            }
            return Vec::new();
        }
        self.write_waiting().await
    }

    /// Whether the store's batched commit is due (always, when it does not batch), as of the
    /// last call's [`Store::next_commit_at`].
    fn commit_due(&self) -> bool {
        self.next_commit_at.is_none_or(|at| Instant::now() >= at)
    }

    /// How many readings are journaled but not yet committed (batched commits).
    pub fn uncommitted(&self) -> usize {
        self.uncommitted
    }

    /// How many readings wait in memory for the database.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// About how many bytes of memory the waiting readings take.
    pub fn waiting_bytes(&self) -> usize {
        self.waiting_bytes
    }

    fn make_reading(&mut self, sample: MeterSample) -> (Reading, bool) {
        let previous = self.last_delivered.get(&sample.meter).copied();
        // The EAGLE reads 0 for a few minutes after a reboot: not a real summation.
        let reboot_zero = sample.delivered_kwh.is_some_and(|d| d.is_zero())
            && previous.is_some_and(|p| !p.is_zero());
        let delivered_kwh = if reboot_zero {
            None
        } else {
            sample.delivered_kwh
        };
        if let Some(delivered) = delivered_kwh {
            match self.last_delivered.get_mut(&sample.meter) {
                Some(last) => *last = delivered,
                None => {
                    self.last_delivered.insert(sample.meter.clone(), delivered);
                }
            }
        }
        // The stamp first: if NTP syncs between the two reads, the reading says "unsynced"
        // and its time is rebuilt later; the other order could pair a pre-sync time with
        // "synced", which nothing would ever correct.
        let clock = self.clock.stamp();
        let reading = Reading {
            meter: sample.meter,
            time: self.clock.now(),
            meter_time: Some(sample.meter_time),
            demand_kw: sample.demand_kw,
            delivered_kwh,
            received_kwh: sample.received_kwh,
            price: sample.price,
            currency: sample.currency,
            rate_label: sample.rate_label,
            tier: sample.tier,
            clock,
        };
        (reading, reboot_zero)
    }

    /// Queues a reading; when the queue is full (by count or by bytes) the oldest are dropped
    /// (and counted, see [`Counter::QueueOverflow`]): memory on a Pi is finite, and the newest
    /// readings are worth the most.
    fn enqueue(&mut self, reading: Reading) -> usize {
        self.waiting_bytes += held_bytes(&reading);
        self.waiting.push_back(reading);
        let mut dropped = 0;
        while self.waiting.len() > MAX_WAITING || self.waiting_bytes > MAX_WAITING_BYTES {
            let Some(oldest) = self.waiting.pop_front() else {
                break;
            };
            self.waiting_bytes -= held_bytes(&oldest);
            dropped += 1;
        }
        self.dropped_uncounted += dropped as u64;
        dropped
    }

    /// Writes the waiting readings in one transaction (or journals them): all of them, or (on
    /// failure) none, and they wait for the next tick. Readings the queue dropped meanwhile are
    /// counted in the buffer first, at once rather than with the minute's counters: the buffer
    /// takes writes again, and lost readings must be on record even if the power goes next.
    /// The readings move into the store's call and, on failure, back into the queue in their
    /// order: no copy of them is made.
    async fn write_waiting(&mut self) -> Vec<StoredReading> {
        if self.dropped_uncounted > 0 {
            self.count_drops().await;
        }
        let batch: Vec<Reading> = self.waiting.drain(..).collect();
        let write = move |store: &mut Store| {
            let seqs = match store.insert_all(&batch) {
                Ok(seqs) => seqs,
                Err(error) => return Err((error, batch)),
            };
            let stored = seqs
                .into_iter()
                .zip(batch)
                .map(|(seq, reading)| StoredReading {
                    seq,
                    reading,
                    uploaded: false,
                })
                .collect::<Vec<_>>();
            // Journaled (or committed) either way: a failed commit leaves them in the
            // journal, reported, and is retried; it must not send them round again.
            Ok((stored, commit_if_due(store)))
        };
        // Until the commit is due, this only journals (no fsync): done here, not on the pool.
        let written = if self.commit_due() {
            self.store.call(write).await
        } else {
            self.store.call_brief(write).await
        };
        match written {
            Ok((stored, committed)) => {
                self.waiting_bytes = 0;
                self.note_commit(committed);
                stored
            }
            Err((error, batch)) => {
                self.waiting.extend(batch);
                self.last_store_error = Some(error);
                Vec::new()
            }
        }
    }

    /// Adds the readings dropped from the queue to [`Counter::QueueOverflow`] in the buffer; if
    /// it still refuses writes, they stay to be added with the next attempt.
    async fn count_drops(&mut self) {
        let dropped = self.dropped_uncounted;
        let event = EventDelta {
            name: Counter::QueueOverflow.as_str().into_owned(),
            count: dropped,
            last_message: Some(format!(
                "dropped {dropped} reading(s) held in memory while the buffer could not be written"
            )),
            at: self.clock.now(),
        };
        if self
            .store
            .call(move |store| store.record_events(&[event]))
            .await
            .is_ok()
        {
            self.dropped_uncounted = 0;
        }
    }

    /// Keeps the outcome of a [`Store::commit_if_due`]: the error stays until a sync or a fold
    /// succeeds (the next one then moves later, or nothing is left uncommitted), not merely
    /// until the next one is not yet due.
    fn note_commit(&mut self, (committed, next_commit_at): CommitOutcome) {
        let ran = next_commit_at != self.next_commit_at;
        self.next_commit_at = next_commit_at;
        match committed {
            Ok(left) => {
                self.uncommitted = left;
                if left == 0 || ran {
                    self.last_store_error = None;
                }
            }
            Err(error) => self.last_store_error = Some(error),
        }
    }
}

/// What [`commit_if_due`] reports: readings left uncommitted (or the commit's error), and when
/// the next commit is due.
type CommitOutcome = (Result<usize, StoreError>, Option<Instant>);

/// Commits what is journaled if the interval is up, on the store's thread.
fn commit_if_due(store: &mut Store) -> CommitOutcome {
    (store.commit_if_due(), store.next_commit_at())
}

/// Memory a queued reading holds: the struct and its strings.
fn held_bytes(reading: &Reading) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    std::mem::size_of::<Reading>()
        + reading.meter.len()
        + text(&reading.currency)
        + text(&reading.rate_label)
        + reading.clock.boot_id.len()
}
