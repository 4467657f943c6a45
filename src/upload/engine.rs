//! The upload engine: complete batch periods with pending rows go to the target oldest first,
//! one object per period, and rows are marked uploaded only after the target confirmed them.
//!
//! Every cycle: wait for a synchronized clock (correcting the times of readings taken before
//! the sync), upload what is due, prune the buffer (retention, then size), write the
//! heartbeat. A failure leaves every row pending and schedules a retry with backoff.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use log::Level;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::backoff::Backoff;
use super::error::UploadError;
use super::heartbeat::{
    expected_per_hour, free_disk_bytes, timestamp, Completeness, Heartbeat, DAYS,
    METER_INTERVAL_HOURS,
};
use super::key::KeyTemplate;
use super::object::build_object;
use super::period::{fleet_delay, Period};
use super::report::{ObjectReport, UploadEvent, UploadStatus};
use super::sink::{ConfiguredSink, ObjectSink};
use crate::clock::Clock;
use crate::config::Settings;
use crate::health::LedState;
use crate::problems::Problems;
use crate::store::{EventDelta, Pruned, SharedStore, Store, StoreError, SET_ASIDE_EVENT};

/// Name of the counter of pending rows dropped to respect `storage.max_size`.
pub const DROPPED_EVENT: &str = "storage.dropped_pending";

/// Event counters of failed polls start with this (`eagle.timeout`, `eagle.busy`, …); the
/// heartbeat carries them as its polls failed by kind.
const POLL_EVENT_PREFIX: &str = "eagle.";

/// How long after a period's end its object is built (plus `storage.commit_interval`, after
/// which the period's last readings are in the buffer): polls finishing right at the boundary
/// still make it in.
pub const SETTLE: Duration = Duration::from_secs(30);

/// How often the engine looks for work when nothing is scheduled sooner.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Pruning by size brings the buffer down to this share of `storage.max_size`, so it does not
/// prune a few rows on every cycle.
const PRUNE_TARGET_PERCENT: u64 = 90;

/// What the engine needs from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Household id (in every row and key).
    pub household: String,
    /// Object keys.
    pub keys: KeyTemplate,
    /// Length of a batch period.
    pub batch_period: Duration,
    /// How often the daemon polls the EAGLE (sets the heartbeat's expected readings per hour).
    pub poll_interval: Duration,
    /// This household's wait after a period ends before its first upload.
    pub fleet_delay: Duration,
    /// Hold uploads until the clock is synchronized.
    pub require_sync: bool,
    /// Uploaded rows older than this are pruned.
    pub retention: Duration,
    /// Size limit of the buffer in bytes.
    pub max_size: u64,
    /// Wait after a period's end before building its object ([`SETTLE`]).
    pub settle: Duration,
    /// How often to look for due periods when no retry is scheduled ([`CHECK_EVERY`]).
    pub check_every: Duration,
}

impl UploadPolicy {
    /// The policy of `settings`.
    pub fn from_settings(settings: &Settings) -> UploadPolicy {
        let household = settings.household.id.clone();
        UploadPolicy {
            keys: KeyTemplate::new(
                settings.s3.key_template.as_deref(),
                &settings.s3.prefix,
                &household,
            ),
            fleet_delay: fleet_delay(&household, settings.s3.fleet_spread),
            household,
            batch_period: settings.s3.batch_period,
            poll_interval: settings.eagle.poll_interval,
            require_sync: settings.clock.require_sync,
            retention: settings.storage.retention,
            max_size: settings.storage.max_size,
            // Readings reach the buffer at each commit: wait for the period's last ones too,
            // or every period would be uploaded twice (the second time with its last minute).
            settle: SETTLE + settings.storage.commit_interval,
            check_every: CHECK_EVERY,
        }
    }
}

/// The outcome of one cycle.
#[derive(Debug, Default)]
pub struct CycleReport {
    /// Objects confirmed in this cycle, oldest period first.
    pub objects: Vec<ObjectReport>,
    /// The failure that ended the cycle early, if any.
    pub error: Option<UploadError>,
    /// The cycle did nothing because the clock is not synchronized.
    pub waiting_for_clock: bool,
    /// After a `flush` cycle: rows that were pending when it began and still are (0 unless
    /// the target failed). Rows the poll loop commits meanwhile are not counted: they are the
    /// daemon's to upload. `None` for an ordinary cycle, or if the buffer could not tell.
    pub still_pending: Option<u64>,
}

/// Uploads one household's buffer to one sink.
pub struct Uploader<S> {
    sink: S,
    store: SharedStore,
    clock: Arc<dyn Clock>,
    policy: UploadPolicy,
    backoff: Backoff,
    retry_at: Option<Instant>,
    problems: Problems,
    counters_written: Instant,
    heartbeat_due: Instant,
    started: Instant,
    status: watch::Sender<UploadStatus>,
    events: broadcast::Sender<UploadEvent>,
    led: Option<watch::Receiver<LedState>>,
    /// The LED state the last heartbeat reported, and the first heartbeat time that saw it.
    led_seen: Option<(String, DateTime<Utc>)>,
}

impl Uploader<ConfiguredSink> {
    /// The engine as configured, on its own connection to the buffer (the poll loop has one
    /// too; WAL lets them work side by side).
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store = Store::open(&settings.storage.path)?;
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
    pub fn new(
        sink: S,
        store: SharedStore,
        clock: Arc<dyn Clock>,
        policy: UploadPolicy,
    ) -> Uploader<S> {
        let (events, _) = broadcast::channel(64);
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
            events,
            led: None,
            led_seen: None,
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

    /// Puts what the status LED shows into the heartbeat, so staff see it without a phone call.
    pub fn report_led(&mut self, led: watch::Receiver<LedState>) {
        self.led = Some(led);
    }

    /// Changes the wait after a period's end (the demo shortens it).
    pub fn set_settle(&mut self, settle: Duration) {
        self.policy.settle = settle;
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

    /// One pass: uploads every period that is due, prunes, writes the heartbeat.
    ///
    /// With `flush`, every row pending when the cycle begins is uploaded at once, without
    /// waiting for the fleet delay or a pending retry, the open period included: its object
    /// goes to the key the complete period will have, which the period's own upload later
    /// overwrites with a superset (as for late rows), so no period ever gets a second key.
    pub async fn cycle(&mut self, flush: bool) -> CycleReport {
        let mut report = CycleReport::default();
        if !flush && self.retry_at.is_some_and(|at| Instant::now() < at) {
            return report;
        }
        let stamp = self.clock.stamp();
        if self.policy.require_sync && !stamp.synced {
            report.waiting_for_clock = true;
            // A wait the engine cannot end by itself counts as failing, for the LED.
            self.status.send_modify(|s| {
                s.waiting_for_clock = true;
                s.failing_since.get_or_insert_with(Instant::now);
            });
            self.problems.report(
                Level::Info,
                "upload.waiting_for_clock",
                "uploads wait for the clock to be synchronized (NTP)",
            );
            return report;
        }
        self.status.send_modify(|s| s.waiting_for_clock = false);
        let now = self.clock.now();
        if stamp.synced {
            if let Err(error) = self
                .correct_times(&stamp.boot_id, stamp.monotonic_ms, now)
                .await
            {
                report.error = Some(error.into());
            }
        }
        if report.error.is_none() {
            let uploaded = if flush {
                self.upload_all_pending(&mut report).await
            } else {
                self.upload_due(now, &mut report).await
            };
            if let Err(error) = uploaded {
                report.error = Some(error);
            }
        }
        self.prune(now).await;
        self.after_cycle(&report);
        // After each cycle that uploaded, and at least once a period: a PUT every 30 s would
        // cost a fleet real money for nothing.
        if !report.objects.is_empty() || Instant::now() >= self.heartbeat_due {
            self.heartbeat_due = Instant::now() + self.policy.batch_period;
            self.write_heartbeat(now).await;
        }
        report
    }

    /// Readings taken in this boot before the clock synced get their time rebuilt from the
    /// boot-relative clock before anything is uploaded. Every cycle, not once: a reading
    /// stamped unsynced may be committed just after the first synced cycle ran (the poll
    /// loop writes on its own task), and only pending rows are looked at, which the
    /// `(uploaded, time_ms)` index finds at once.
    async fn correct_times(
        &mut self,
        boot_id: &str,
        monotonic_ms: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let boot = boot_id.to_string();
        let now_ms = now.timestamp_millis();
        let boot_ms = i64::try_from(monotonic_ms).unwrap_or(i64::MAX);
        let corrected = self
            .store
            .call(move |store| store.correct_unsynced_times(&boot, now_ms, boot_ms))
            .await?;
        if corrected > 0 {
            log::info!("clock synchronized: corrected the time of {corrected} reading(s) taken before the sync");
        }
        Ok(())
    }

    /// Uploads, oldest first, every period that ended `settle` plus the fleet delay ago.
    async fn upload_due(
        &mut self,
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> Result<(), UploadError> {
        let wait = self.policy.settle + self.policy.fleet_delay;
        let due_before =
            now.timestamp_millis() - i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        while let Some(oldest) = self.oldest_pending(i64::MAX).await? {
            let period = Period::containing(oldest, self.policy.batch_period);
            if !period.has_ended(due_before) {
                return Ok(());
            }
            self.upload_into(period, report).await?;
        }
        Ok(())
    }

    /// `flush`: uploads, oldest first, every period holding a row that is pending now, ended
    /// or not, and counts what is left of those rows. Rows committed meanwhile are left to
    /// the daemon, so a flush beside a running daemon ends.
    async fn upload_all_pending(&mut self, report: &mut CycleReport) -> Result<(), UploadError> {
        let last_seq = self
            .store
            .call(|store| store.last_seq())
            .await?
            .unwrap_or(0);
        let mut result = Ok(());
        while let Some(oldest) = self.oldest_pending(last_seq).await? {
            let period = Period::containing(oldest, self.policy.batch_period);
            if let Err(error) = self.upload_into(period, report).await {
                result = Err(error);
                break;
            }
        }
        report.still_pending = self
            .store
            .call(move |store| store.pending_through(last_seq))
            .await
            .ok();
        result
    }

    /// Time of the oldest pending row with a seq up to `last_seq`.
    async fn oldest_pending(&self, last_seq: i64) -> Result<Option<i64>, StoreError> {
        self.store
            .call(move |store| store.oldest_pending_ms(last_seq))
            .await
    }

    /// Uploads `period` and records it in `report` and for subscribers.
    async fn upload_into(
        &mut self,
        period: Period,
        report: &mut CycleReport,
    ) -> Result<(), UploadError> {
        let object = self.upload_period(period).await?;
        let _ = self.events.send(UploadEvent::Uploaded(object.clone()));
        report.objects.push(object);
        Ok(())
    }

    /// Uploads the whole of one period (rows uploaded before included, so the object is always
    /// a superset of its last version) and marks its pending rows uploaded.
    async fn upload_period(&mut self, period: Period) -> Result<ObjectReport, UploadError> {
        let (start, end) = (period.start_ms(), period.end_ms());
        let rows = self
            .store
            .call(move |store| store.period_rows(start, end))
            .await?;
        let pending: Vec<i64> = rows.iter().filter(|r| !r.uploaded).map(|r| r.seq).collect();
        let household = self.policy.household.clone();
        let bytes = tokio::task::spawn_blocking(move || {
            let bytes = build_object(&household, &rows);
            (bytes, rows.len())
        })
        .await
        .map_err(|e| UploadError::Transient(format!("building the object failed: {e}")))?;
        let (bytes, row_count) = bytes;
        let key = self.policy.keys.readings_key(&period);
        let size = bytes.len();
        self.sink.put(&key, bytes, "application/gzip").await?;
        let newly_uploaded = self
            .store
            .call(move |store| store.mark_uploaded(&pending))
            .await?;
        Ok(ObjectReport {
            key,
            rows: row_count,
            newly_uploaded,
            bytes: size,
        })
    }

    /// Retention first (uploaded rows only), then the size limit (uploaded rows, then — logged
    /// and counted — pending ones).
    async fn prune(&mut self, now: DateTime<Utc>) {
        let retention_ms = i64::try_from(self.policy.retention.as_millis()).unwrap_or(i64::MAX);
        let before = now.timestamp_millis().saturating_sub(retention_ms);
        let target = self.policy.max_size / 100 * PRUNE_TARGET_PERCENT;
        let max_size = self.policy.max_size;
        let result = self
            .store
            .call(move |store| {
                let expired = store.prune_uploaded_before(before)?;
                let pruned = if store.used_bytes()? > max_size {
                    store.prune_to_size(target)?
                } else {
                    Pruned::default()
                };
                if pruned.pending > 0 {
                    // Written at once, not with the minute's counters: lost readings must be
                    // on record even if the power goes next.
                    store.record_events(&[EventDelta {
                        name: DROPPED_EVENT.to_string(),
                        count: pruned.pending,
                        last_message: Some(format!(
                            "dropped {} pending reading(s) to stay under storage.max_size",
                            pruned.pending
                        )),
                        at: Utc::now(),
                    }])?;
                }
                Ok::<_, StoreError>((expired, pruned))
            })
            .await;
        match result {
            Ok((expired, pruned)) => {
                if expired > 0 {
                    log::info!("pruned {expired} uploaded reading(s) older than storage.retention");
                }
                if pruned.uploaded > 0 {
                    log::warn!(
                        "buffer reached storage.max_size: pruned the {} oldest uploaded reading(s)",
                        pruned.uploaded
                    );
                }
                if pruned.pending > 0 {
                    log::error!(
                        "buffer reached storage.max_size with uploads failing: DROPPED the {} \
                         oldest reading(s) that were never uploaded",
                        pruned.pending
                    );
                    self.status
                        .send_modify(|s| s.dropped_rows += pruned.pending);
                }
            }
            Err(e) => self.problems.report(
                Level::Warn,
                "upload.prune_failed",
                &format!("pruning the buffer failed: {e}"),
            ),
        }
    }

    /// Updates backoff, counters and the status after a cycle.
    fn after_cycle(&mut self, report: &CycleReport) {
        let now = Instant::now();
        match &report.error {
            None => {
                self.retry_at = None;
                self.backoff.reset();
                self.status.send_modify(|s| {
                    if !report.objects.is_empty() {
                        s.last_success = Some(now);
                    }
                    s.failing_since = None;
                    s.last_error = None;
                    s.config_error = false;
                });
            }
            Some(error) => {
                let wait = match error {
                    UploadError::Config(_) => self.backoff.slowest(),
                    _ => self.backoff.after_failure(),
                };
                self.retry_at = Some(Instant::now() + wait);
                let message = format!(
                    "upload to {} failed ({}); every reading stays buffered; next try in {}s",
                    self.sink.describe(),
                    error,
                    wait.as_secs()
                );
                let level = match error {
                    UploadError::Config(_) => Level::Error,
                    _ => Level::Warn,
                };
                self.problems
                    .report(level, &format!("upload.{}", error.kind()), &message);
                let _ = self.events.send(UploadEvent::Failed {
                    kind: error.kind(),
                    message: error.to_string(),
                });
                self.status.send_modify(|s| {
                    s.failing_since.get_or_insert(now);
                    s.last_error = Some(error.to_string());
                    s.config_error = matches!(error, UploadError::Config(_));
                    s.waiting_for_clock = matches!(error, UploadError::ClockSkew);
                });
            }
        }
    }

    /// Writes the heartbeat; its failure is logged but does not count as an upload failure.
    async fn write_heartbeat(&mut self, now: DateTime<Utc>) {
        let period = self.policy.batch_period;
        let poll_interval = self.policy.poll_interval;
        let facts = self
            .store
            .call(move |store| {
                let status = store.status()?;
                let dropped = status
                    .events
                    .iter()
                    .find(|e| e.name == DROPPED_EVENT)
                    .map_or(0, |e| e.count);
                let completeness = completeness(store, now, poll_interval)?;
                let free = free_disk_bytes(store.path());
                Ok::<_, StoreError>((status, dropped, free, completeness))
            })
            .await;
        let (store_status, dropped, free, completeness) = match facts {
            Ok(facts) => facts,
            Err(e) => {
                self.problems.report(
                    Level::Warn,
                    "upload.heartbeat",
                    &format!("heartbeat skipped: {e}"),
                );
                return;
            }
        };
        self.status.send_modify(|s| {
            s.pending_rows = store_status.pending_upload;
            s.dropped_rows = dropped;
        });
        let status = self.status.borrow().clone();
        let led_state = self.led.as_ref().map(|led| led.borrow().to_string());
        let led_state_since = led_state.as_ref().map(|state| match &self.led_seen {
            Some((seen, since)) if seen == state => *since,
            _ => {
                self.led_seen = Some((state.clone(), now));
                now
            }
        });
        let poll_failures = store_status
            .events
            .iter()
            .filter(|e| e.name.starts_with(POLL_EVENT_PREFIX))
            .map(|e| (e.name.clone(), e.count))
            .collect();
        let heartbeat = Heartbeat {
            household: self.policy.household.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            time: timestamp(now),
            uptime_s: self.started.elapsed().as_secs(),
            last_reading: store_status.last_reading.map(|r| timestamp(r.reading.time)),
            pending_rows: store_status.pending_upload,
            oldest_pending_period: store_status
                .first_pending
                .map(|t| timestamp(Period::containing(t.timestamp_millis(), period).start())),
            last_upload: store_status.last_upload.map(timestamp),
            last_error: status.last_error,
            free_disk_bytes: free,
            dropped_rows: dropped,
            led_state,
            buffer_set_aside: store_status
                .events
                .iter()
                .find(|e| e.name == SET_ASIDE_EVENT)
                .map(|e| {
                    let message = e.last_message.as_deref().unwrap_or_default();
                    format!("{}: {message}", timestamp(e.last_at))
                }),
            led_state_since: led_state_since.map(timestamp),
            poll_failures,
            completeness: Some(completeness),
        };
        let key = self.policy.keys.heartbeat_key();
        if let Err(e) = self
            .sink
            .put(&key, heartbeat.to_json(), "application/json")
            .await
        {
            self.problems.report(
                Level::Warn,
                "upload.heartbeat",
                &format!("heartbeat not written: {e}"),
            );
        }
    }

    async fn write_counters(&mut self) {
        self.counters_written = Instant::now();
        let deltas = self.problems.take();
        if deltas.is_empty() {
            return;
        }
        if let Err(e) = self
            .store
            .call(move |store| store.record_events(&deltas))
            .await
        {
            log::warn!("could not write upload counters to the buffer: {e}");
        }
    }
}

/// The heartbeat's completeness at `now`: readings per hour over today and the [`DAYS`] days
/// before, and
/// the expectation from the poll interval and the meter's own update interval.
fn completeness(
    store: &Store,
    now: DateTime<Utc>,
    poll_interval: Duration,
) -> Result<Completeness, StoreError> {
    let now_ms = now.timestamp_millis();
    let hourly = store.readings_per_hour(now_ms - (DAYS as i64 + 1) * 86_400_000)?;
    let meter_times = store.meter_times_since(now_ms - METER_INTERVAL_HOURS * 3_600_000)?;
    Ok(Completeness::from_hourly(
        now,
        &hourly,
        expected_per_hour(poll_interval, &meter_times),
    ))
}
