//! The uploader: what it holds, its outer API (built from the config, run until shutdown,
//! watched by the LED), and the chores around the cycles `engine.rs` drives: the heartbeat
//! and the counters.

use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use log::Level;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::backoff::Backoff;
use super::heartbeat::{free_disk_bytes, Completeness, Heartbeat, HeartbeatFacts};
use super::led_report::LedReport;
use super::policy::UploadPolicy;
use super::report::{UploadEvent, UploadStatus};
use super::sink::{ConfiguredSink, ObjectSink};
use crate::clock::Clock;
use crate::config::Settings;
use crate::problems::Problems;
use crate::store::{Counter, SharedStore, Store, StoreError};

/// Uploads one household's buffer to one sink.
pub struct Uploader<S> {
    pub(super) sink: S,
    pub(super) store: SharedStore,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) policy: UploadPolicy,
    pub(super) backoff: Backoff,
    pub(super) retry_at: Option<Instant>,
    pub(super) problems: Problems,
    counters_written: Instant,
    pub(super) heartbeat_due: Instant,
    started: Instant,
    pub(super) status: watch::Sender<UploadStatus>,
    pub(super) events: broadcast::Sender<UploadEvent>,
    led: Option<LedReport>,
}

impl Uploader<ConfiguredSink> {
    /// The engine as configured, on its own connection to the buffer (the poll loop has one
    /// too; WAL lets them work side by side).
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store = Store::open_with_journal_dir(
            &settings.storage.path,
            settings.storage.journal_dir.as_deref(),
        )?;
        Ok(Uploader::new(
            ConfiguredSink::from_settings(&settings.s3),
            SharedStore::new(store),
            clock,
            UploadPolicy::from_settings(settings),
        ))
    }
}

impl<S: ObjectSink> Uploader<S> {
    /// An engine writing `store`'s rows to `sink`.
    pub fn new(sink: S, store: SharedStore, clock: Arc<dyn Clock>, policy: UploadPolicy) -> Self {
        Uploader {
            sink,
            store,
            clock,
            policy,
            backoff: Backoff::new(),
            retry_at: None,
            problems: Problems::new(),
            counters_written: Instant::now(),
            heartbeat_due: Instant::now(),
            started: Instant::now(),
            status: watch::channel(UploadStatus::default()).0,
            events: broadcast::channel(64).0,
            led: None,
        }
    }

    /// Follows the upload status (for the LED).
    pub fn watch_status(&self) -> watch::Receiver<UploadStatus> {
        self.status.subscribe()
    }

    /// Receives every [`UploadEvent`] from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<UploadEvent> {
        self.events.subscribe()
    }

    /// The sink, for messages.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Puts what the status LED shows into the heartbeat, so staff see it without a phone
    /// call: `led` is the LED's own channel, whose values print as the state's name.
    pub fn report_led<T: Display + Send + Sync + 'static>(&mut self, led: watch::Receiver<T>) {
        self.led = Some(LedReport::new(led));
    }

    /// Runs cycles until `shutdown` completes: every `check_every`, or when a retry is due.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let report = self.cycle(false).await;
            let busy = report.error.is_some() || !report.objects.is_empty();
            if busy || self.counters_written.elapsed() >= Duration::from_secs(60) {
                self.write_counters().await;
            }
            let wake = match self.retry_at {
                Some(at) => at.max(Instant::now() + Duration::from_secs(1)),
                None => Instant::now() + self.policy.check_every,
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        self.write_counters().await;
    }

    /// Writes the heartbeat; its failure is logged but does not count as an upload failure.
    pub(super) async fn write_heartbeat(&mut self, now: DateTime<Utc>) {
        let poll_interval = self.policy.poll_interval;
        let gathered = self
            .store
            .call(move |store| {
                let completeness = Completeness::of(store, now, poll_interval)?;
                Ok::<_, StoreError>((store.status()?, completeness, free_disk_bytes(store.path())))
            })
            .await;
        let (store, completeness, free_disk_bytes) = match gathered {
            Ok(gathered) => gathered,
            Err(e) => {
                let message = format!("heartbeat skipped: {e}");
                return self
                    .problems
                    .report(Level::Warn, Counter::Heartbeat, &message);
            }
        };
        self.status.send_modify(|s| {
            s.pending_rows = store.pending_upload;
            s.dropped_rows = store.dropped_rows();
        });
        let heartbeat = Heartbeat::from_facts(HeartbeatFacts {
            household: self.policy.household.clone(),
            now,
            uptime_s: self.started.elapsed().as_secs(),
            store,
            batch_period: self.policy.batch_period,
            last_error: self.status.borrow().last_error.clone(),
            free_disk_bytes,
            completeness,
            led: self.led.as_mut().map(|led| led.look(now)),
        });
        let key = self.policy.keys.heartbeat_key();
        let written = self
            .sink
            .put(&key, heartbeat.to_json(), "application/json")
            .await;
        if let Err(e) = written {
            let message = format!("heartbeat not written: {e}");
            self.problems
                .report(Level::Warn, Counter::Heartbeat, &message);
        }
    }

    async fn write_counters(&mut self) {
        self.counters_written = Instant::now();
        let deltas = self.problems.take();
        if deltas.is_empty() {
            return;
        }
        if let Err(e) = self.store.call(move |s| s.record_events(&deltas)).await {
            log::warn!("could not write upload counters to the buffer: {e}");
        }
    }
}
