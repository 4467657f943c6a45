//! The poll loop: one poll per tick on a fixed grid, for as long as the daemon runs.
//!
//! Ticks come from a tokio interval with `MissedTickBehavior::Skip`: polls start at
//! `start + k × interval` with no drift, the next poll never starts before the last one
//! finished (it is awaited in line), and a slow reply only costs the ticks it overlaps.

use std::future::Future;
use std::time::Duration;

use log::Level;
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::event::DaemonEvent;
use super::recorder::{Outcome, Recorder};
use super::source::MeterSource;
use crate::eagle::{EagleError, MeterSample};
use crate::problems::Problems;
use crate::store::Counter;

/// How often counters are written to the database (each write costs the SD card a page).
pub const COUNTERS_EVERY: Duration = Duration::from_secs(60);

/// The loop's parts. Built by [`super::Daemon`].
pub struct PollLoop<S> {
    pub(super) source: S,
    pub(super) recorder: Recorder,
    pub(super) interval: Duration,
    pub(super) events: broadcast::Sender<DaemonEvent>,
    pub(super) problems: Problems,
    /// The instant of the latest tick: proof of life for the systemd watchdog.
    pub(super) last_tick: watch::Sender<Instant>,
    failed_polls: u64,
}

impl<S: MeterSource> PollLoop<S> {
    /// A loop polling `source` every `interval`.
    pub fn new(
        source: S,
        recorder: Recorder,
        interval: Duration,
        events: broadcast::Sender<DaemonEvent>,
    ) -> PollLoop<S> {
        PollLoop {
            source,
            recorder,
            interval,
            events,
            problems: Problems::new(),
            last_tick: watch::Sender::new(Instant::now()),
            failed_polls: 0,
        }
    }

    /// Runs until `shutdown` completes; an in-flight poll is abandoned at shutdown (nothing
    /// of it was stored yet), a write in progress is finished first.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut counters_written = Instant::now();
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticks.tick() => {}
            }
            self.last_tick.send_replace(Instant::now());
            self.retry_waiting().await;
            let result = tokio::select! {
                _ = &mut shutdown => break,
                result = self.source.poll() => result,
            };
            match result {
                Ok(sample) => {
                    self.keep_certificate().await;
                    self.on_sample(sample).await
                }
                Err(error) => self.on_error(&error),
            }
            if counters_written.elapsed() >= COUNTERS_EVERY {
                self.write_counters().await;
                counters_written = Instant::now();
            }
        }
        self.write_counters().await;
        let waiting = self.recorder.waiting();
        if waiting > 0 {
            log::error!(
                "shutting down with {waiting} reading(s) that could not be written to the buffer"
            );
        }
    }

    async fn on_sample(&mut self, sample: MeterSample) {
        if self.failed_polls > 0 {
            log::info!(
                "the EAGLE answers again after {} failed poll(s)",
                self.failed_polls
            );
            self.failed_polls = 0;
        }
        for anomaly in &sample.anomalies {
            let message = format!("meter {}: {anomaly}", sample.meter);
            self.problems
                .report(Level::Warn, Counter::ValueAnomaly(anomaly.kind()), &message);
        }
        let meter = sample.meter.clone();
        match self.recorder.record(sample).await {
            Outcome::NoValues => {
                self.problems.report(
                    Level::Warn,
                    Counter::NoValues,
                    &format!(
                        "meter {meter}: the EAGLE answers but has no demand and no summation \
                         (the meter is not reporting to it); nothing stored"
                    ),
                );
                let _ = self.events.send(DaemonEvent::NoValues);
            }
            Outcome::Repeat => {
                self.problems.count(Counter::PollRepeat);
                let _ = self.events.send(DaemonEvent::Repeat);
            }
            Outcome::New {
                stored,
                waiting,
                omitted_zero,
                meter_time_backwards,
                dropped,
            } => {
                if omitted_zero {
                    self.problems.report(
                        Level::Info,
                        Counter::DeliveredZeroOmitted,
                        "summation delivered read 0 after a non-zero value (EAGLE restart); \
                         left out of this reading",
                    );
                }
                if meter_time_backwards {
                    self.problems.report(
                        Level::Warn,
                        Counter::MeterTimeBackwards,
                        "the EAGLE's LastContact went backwards; the reading is kept",
                    );
                }
                if dropped > 0 {
                    // Counted by the recorder, per reading and in the buffer itself, as soon
                    // as it takes writes again; here only said (once a minute at most).
                    self.problems.log(
                        Level::Error,
                        Counter::QueueOverflow,
                        &format!("{dropped} reading(s) dropped: the buffer could not be written for too long"),
                    );
                }
                self.after_write(stored, waiting);
            }
        }
    }

    async fn retry_waiting(&mut self) {
        if self.recorder.waiting() > 0 || self.recorder.uncommitted() > 0 {
            let stored = self.recorder.retry_waiting().await;
            let waiting = self.recorder.waiting();
            self.after_write(stored, waiting);
        }
    }

    fn after_write(&mut self, stored: Vec<crate::reading::StoredReading>, waiting: usize) {
        for row in stored {
            let _ = self.events.send(DaemonEvent::Stored(Box::new(row)));
        }
        // A failed commit leaves readings in the journal, not in memory: a failure too.
        let journaled = self.recorder.uncommitted();
        let failed = self.recorder.last_store_error().is_some();
        if waiting > 0 || failed {
            let detail = self
                .recorder
                .last_store_error()
                .map_or_else(|| "unknown error".to_string(), ToString::to_string);
            self.problems.report(
                Level::Error,
                Counter::StoreWriteFailed,
                &format!(
                    "cannot write to the buffer ({detail}); {waiting} reading(s) held in memory, \
                     {journaled} in the journal"
                ),
            );
            let _ = self.events.send(DaemonEvent::StorageFailed { waiting });
        }
    }

    fn on_error(&mut self, error: &EagleError) {
        self.failed_polls += 1;
        let level = if error.is_credential_error() {
            Level::Error
        } else {
            Level::Warn
        };
        self.problems
            .report(level, Counter::PollFailed(error.kind()), &error.to_string());
        let _ = self.events.send(DaemonEvent::PollFailed {
            kind: error.kind(),
            needs_config: error.is_credential_error(),
            meter_offline: error.is_meter_offline(),
        });
    }

    /// Keeps a newly trusted EAGLE certificate in the buffer, so the next start refuses any
    /// other. If the write fails, this process still holds the pin; the next start trusts
    /// on first use again.
    async fn keep_certificate(&mut self) {
        let Some(fingerprint) = self.source.newly_trusted() else {
            return;
        };
        let kept = self
            .recorder
            .store()
            .call(move |store| store.keep_eagle_certificate(&fingerprint, chrono::Utc::now()))
            .await;
        match kept {
            Ok(()) => log::info!(
                "the EAGLE's https certificate SHA-256 {fingerprint} is kept in the buffer: \
                 another certificate will be refused"
            ),
            Err(e) => log::error!(
                "could not keep the EAGLE's certificate SHA-256 {fingerprint} in the buffer: {e}"
            ),
        }
    }

    async fn write_counters(&mut self) {
        let deltas = self.problems.take();
        if deltas.is_empty() {
            return;
        }
        let written = self
            .recorder
            .store()
            .call(move |store| store.record_events(&deltas))
            .await;
        if let Err(e) = written {
            log::warn!("could not write counters to the buffer: {e}");
        }
    }
}
