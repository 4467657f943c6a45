//! The upload engine: complete batch periods with pending rows go to the target oldest first,
//! one object per period, and rows are marked uploaded only after the target confirmed them.
//!
//! A cycle is a small state machine, in the style of bytebeamio/uplink's serializer: one
//! method per [`State`] does that state's step and returns the next, and [`Uploader::cycle`]
//! drives it until the cycle rests; [`Uploader::run`] drives cycles. After the uploads, the
//! store keeps itself within `storage.retention` and `storage.max_size`, and the heartbeat is
//! written. A failure leaves every row pending and schedules a retry with backoff.
//!
//! ```text
//!   WaitingForClock ─synced─▶ Idle ─a period is due─▶ Building ─▶ Putting ─▶ Marking ─▶ Idle
//!         │ not synced          │ nothing due            any failure ─▶ Backoff ─▶ Rested
//!         ▼                     ▼
//!       Held                  Rested ─▶ prune, heartbeat
//! ```
//!
//! The uploader's parts, its outer API and the chores around cycles (heartbeat, counters) are
//! in `uploader.rs`. Time comes only from the injected clock (wall) and tokio's [`Instant`]
//! (monotonic).

use chrono::{DateTime, Utc};
use log::Level;
use tokio::time::Instant;

use super::error::UploadError;
use super::object::build_object;
use super::period::Period;
use super::report::{CycleReport, ObjectReport, UploadEvent};
use super::sink::ObjectSink;
use super::uploader::Uploader;
use crate::store::Counter;

/// Where a cycle is.
enum State {
    /// Uploads wait for a synchronized clock; once it is, readings taken before the sync get
    /// their time corrected.
    WaitingForClock,
    /// Looking for the oldest period that is due.
    Idle,
    /// Reading a period's rows and building its object.
    Building(Period),
    /// Writing the object to the target.
    Putting(Object),
    /// Marking the object's pending rows uploaded (the target confirmed it).
    Marking(ObjectReport, Vec<i64>),
    /// A step failed: everything stays pending and a retry is scheduled.
    Backoff(UploadError),
    /// The clock is not synchronized: nothing else happens this cycle (pruning with a wrong
    /// clock could delete what retention means to keep).
    Held,
    /// Nothing more to upload this cycle (or it failed and the retry is scheduled).
    Rested,
}

/// One period's object, built and not yet confirmed.
struct Object {
    key: String,
    bytes: Vec<u8>,
    /// Rows in it (the whole period, including rows uploaded before).
    rows: usize,
    /// Seqs of its rows that are not yet uploaded.
    pending: Vec<i64>,
}

/// What one cycle carries from state to state.
struct Pass {
    /// Every row pending when the cycle began goes, due or not.
    flush: bool,
    /// With `flush`: the highest seq when the cycle began.
    through: Option<i64>,
    /// The cycle's wall time, read after the clock was found synchronized.
    now: DateTime<Utc>,
    report: CycleReport,
}

impl<S: ObjectSink> Uploader<S> {
    /// One pass: uploads every period that is due, prunes, writes the heartbeat.
    ///
    /// With `flush`, every row pending when the cycle begins is uploaded at once, without
    /// waiting for the fleet delay or a pending retry, the open period included: its object
    /// goes to the key the complete period will have, which the period's own upload later
    /// overwrites with a superset (as for late rows), so no period ever gets a second key.
    pub async fn cycle(&mut self, flush: bool) -> CycleReport {
        let now = self.clock.now();
        let mut pass = Pass {
            flush,
            through: None,
            now,
            report: CycleReport::default(),
        };
        if !flush && self.retry_at.is_some_and(|at| Instant::now() < at) {
            return pass.report;
        }
        let mut state = State::WaitingForClock;
        loop {
            state = match state {
                State::WaitingForClock => self.wait_for_clock(&mut pass).await,
                State::Idle => self.idle(&pass).await,
                State::Building(period) => self.build(period).await,
                State::Putting(object) => self.put(object).await,
                State::Marking(object, pending) => self.mark(object, pending, &mut pass).await,
                State::Backoff(error) => self.back_off(error, &mut pass),
                State::Held => return pass.report,
                State::Rested => break,
            };
        }
        self.rest(pass).await
    }

    async fn wait_for_clock(&mut self, pass: &mut Pass) -> State {
        let stamp = self.clock.stamp();
        if self.policy.require_sync && !stamp.synced {
            pass.report.waiting_for_clock = true;
            self.status
                .send_modify(|s| s.wait_for_clock(Instant::now()));
            let message = "uploads wait for the clock to be synchronized (NTP)";
            self.problems
                .report(Level::Info, Counter::WaitingForClock, message);
            return State::Held;
        }
        self.status.send_modify(|s| s.waiting_for_clock = false);
        // After the stamp: read before it, a sync in between would pair a stale time with it.
        pass.now = self.clock.now();
        let now = pass.now;
        let flush = pass.flush;
        let ready = self
            .store
            .call(move |store| {
                if stamp.synced {
                    store.correct_times(&stamp, now)?;
                }
                flush.then(|| store.last_seq()).transpose()
            })
            .await;
        match ready {
            Ok(last_seq) => {
                pass.through = last_seq.map(|seq| seq.unwrap_or(0));
                State::Idle
            }
            Err(error) => State::Backoff(error.into()),
        }
    }

    /// Rows committed after a flush began are left to the daemon, so a flush beside a running
    /// daemon ends.
    async fn idle(&mut self, pass: &Pass) -> State {
        let through = pass.through.unwrap_or(i64::MAX);
        let oldest = match self.store.call(move |s| s.oldest_pending_ms(through)).await {
            Ok(Some(oldest)) => oldest,
            Ok(None) => return State::Rested,
            Err(error) => return State::Backoff(error.into()),
        };
        let period = Period::containing(oldest, self.policy.batch_period);
        let due_before = self.policy.due_before(pass.now.timestamp_millis());
        if pass.flush || period.has_ended(due_before) {
            State::Building(period)
        } else {
            State::Rested
        }
    }

    /// The whole period goes (rows uploaded before included), so the object is always a
    /// superset of its last version.
    async fn build(&mut self, period: Period) -> State {
        let (start, end) = (period.start_ms(), period.end_ms());
        let rows = match self.store.call(move |s| s.period_rows(start, end)).await {
            Ok(rows) => rows,
            Err(error) => return State::Backoff(error.into()),
        };
        let pending = rows.iter().filter(|r| !r.uploaded).map(|r| r.seq).collect();
        let household = self.policy.household.clone();
        let built =
            tokio::task::spawn_blocking(move || (build_object(&household, &rows), rows.len()));
        match built.await {
            Ok((bytes, rows)) => State::Putting(Object {
                key: self.policy.keys.readings_key(&period),
                bytes,
                rows,
                pending,
            }),
            Err(e) => State::Backoff(UploadError::Transient(format!(
                "building the object failed: {e}"
            ))),
        }
    }

    async fn put(&mut self, object: Object) -> State {
        let report = ObjectReport {
            key: object.key,
            rows: object.rows,
            newly_uploaded: 0,
            bytes: object.bytes.len(),
        };
        match self
            .sink
            .put(&report.key, object.bytes, "application/gzip")
            .await
        {
            Ok(()) => State::Marking(report, object.pending),
            Err(error) => State::Backoff(error),
        }
    }

    async fn mark(
        &mut self,
        mut object: ObjectReport,
        pending: Vec<i64>,
        pass: &mut Pass,
    ) -> State {
        match self.store.call(move |s| s.mark_uploaded(&pending)).await {
            Ok(newly_uploaded) => {
                object.newly_uploaded = newly_uploaded;
                let _ = self.events.send(UploadEvent::Uploaded(object.clone()));
                pass.report.objects.push(object);
                State::Idle
            }
            Err(error) => State::Backoff(error.into()),
        }
    }

    fn back_off(&mut self, error: UploadError, pass: &mut Pass) -> State {
        let (wait, level) = match error {
            UploadError::Config(_) => (self.backoff.slowest(), Level::Error),
            _ => (self.backoff.after_failure(), Level::Warn),
        };
        self.retry_at = Some(Instant::now() + wait);
        let message = format!(
            "upload to {} failed ({error}); every reading stays buffered; next try in {}s",
            self.sink.describe(),
            wait.as_secs()
        );
        self.problems
            .report(level, Counter::UploadFailed(error.kind()), &message);
        let (kind, message) = (error.kind(), error.to_string());
        let _ = self.events.send(UploadEvent::Failed { kind, message });
        self.status
            .send_modify(|s| s.failed(Instant::now(), &error));
        pass.report.error = Some(error);
        State::Rested
    }

    /// After the uploads: the flush's count, success, the buffer's limits, the heartbeat.
    async fn rest(&mut self, mut pass: Pass) -> CycleReport {
        if let Some(through) = pass.through {
            let left = self.store.call(move |s| s.pending_through(through)).await;
            pass.report.still_pending = left.ok();
        }
        if pass.report.error.is_none() {
            self.retry_at = None;
            self.backoff.reset();
            let uploaded = !pass.report.objects.is_empty();
            self.status
                .send_modify(|s| s.succeeded(Instant::now(), uploaded));
        }
        let (limits, now) = (self.policy.limits(), pass.now);
        match self.store.call(move |s| s.keep_within(limits, now)).await {
            Ok(kept) if kept.pruned.pending > 0 => {
                self.status
                    .send_modify(|s| s.dropped_rows += kept.pruned.pending);
            }
            Ok(_) => {}
            Err(e) => {
                let message = format!("pruning the buffer failed: {e}");
                self.problems
                    .report(Level::Warn, Counter::PruneFailed, &message);
            }
        }
        // After each cycle that uploaded, and at least once a period: a PUT every 30 s would
        // cost a fleet real money for nothing.
        if !pass.report.objects.is_empty() || Instant::now() >= self.heartbeat_due {
            self.heartbeat_due = Instant::now() + self.policy.batch_period;
            self.write_heartbeat(now).await;
        }
        pass.report
    }
}
