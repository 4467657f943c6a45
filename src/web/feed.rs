//! The one task that listens to the daemon, the LED and the upload engine for the page, and
//! publishes each new [`PageView`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::facts::{local_day_start, PageFacts};
use super::view::PageView;
use crate::clock::Clock;
use crate::daemon::DaemonEvent;
use crate::health::LedState;
use crate::reading::StoredReading;
use crate::store::SharedStore;
use crate::upload::UploadStatus;

/// Where the page's facts come from: the running logger's channels and its buffer.
pub struct PageSources {
    /// The daemon's events ([`crate::daemon::Daemon::subscribe`]): new readings.
    pub events: broadcast::Receiver<DaemonEvent>,
    /// The LED state ([`crate::logger::Indicator::subscribe`]).
    pub led: watch::Receiver<LedState>,
    /// The upload engine's status ([`crate::upload::Uploader::watch_status`]).
    pub upload: watch::Receiver<UploadStatus>,
    /// The buffer (its own connection): the state at start and the first reading of each day.
    pub store: SharedStore,
    /// The wall clock, for "today" and the time of an upload.
    pub clock: Arc<dyn Clock>,
}

/// Keeps `views` current until the daemon's events end (the daemon stopped).
pub(super) async fn keep_current(mut sources: PageSources, views: watch::Sender<Arc<PageView>>) {
    let mut facts = initial_facts(&sources).await;
    let mut day = DayStart::default();
    day.update(&mut facts, &sources).await;
    views.send_replace(Arc::new(PageView::new(&facts)));
    let mut last_success = sources.upload.borrow_and_update().last_success;
    loop {
        tokio::select! {
            event = sources.events.recv() => match event {
                Ok(DaemonEvent::Stored(stored)) => {
                    facts.latest = Some(*stored);
                    facts.pending_rows += 1;
                    day.update(&mut facts, &sources).await;
                }
                Ok(_) => continue,
                // The next reading brings the page up to date again.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            Ok(()) = sources.led.changed() => {
                facts.led = *sources.led.borrow_and_update();
            }
            Ok(()) = sources.upload.changed() => {
                let status = sources.upload.borrow_and_update().clone();
                facts.pending_rows = status.pending_rows;
                if status.last_success.is_some() && status.last_success != last_success {
                    facts.last_upload = Some(sources.clock.now());
                }
                last_success = status.last_success;
            }
        }
        views.send_replace(Arc::new(PageView::new(&facts)));
    }
}

/// What the buffer says at start: the newest reading, pending rows, the last upload.
async fn initial_facts(sources: &PageSources) -> PageFacts {
    let led = *sources.led.borrow();
    let report = sources.store.call(|store| store.status()).await;
    match report {
        Ok(report) => PageFacts {
            latest: report.last_reading,
            day_start: None,
            led,
            pending_rows: report.pending_upload,
            last_upload: report.last_upload,
        },
        Err(error) => {
            // The page then starts empty and fills with the next reading.
            log::warn!("household page: cannot read the buffer: {error}");
            PageFacts::nothing_known(led)
        }
    }
}

/// The first reading of the local day, looked up in the buffer once per day and meter.
#[derive(Default)]
struct DayStart {
    /// The day (its start) and meter last looked up.
    looked_up: Option<(DateTime<Utc>, String)>,
}

impl DayStart {
    /// Sets `facts.day_start` for the day and meter of `facts.latest`.
    async fn update(&mut self, facts: &mut PageFacts, sources: &PageSources) {
        let Some(latest) = facts.latest.clone() else {
            return;
        };
        let start = local_day_start(sources.clock.now());
        let key = (start, latest.reading.meter.clone());
        if self.looked_up.as_ref() == Some(&key) {
            // None found at the look-up: the first reading with a summation since is the start.
            if facts.day_start.is_none() && has_summation(&latest) && latest.reading.time >= start {
                facts.day_start = Some(latest);
            }
            return;
        }
        let meter = key.1.clone();
        let found = sources
            .store
            .call(move |store| store.first_summation_since(&meter, start))
            .await;
        facts.day_start = found.unwrap_or_else(|error| {
            log::warn!("household page: cannot read today's first reading: {error}");
            None
        });
        self.looked_up = Some(key);
    }
}

fn has_summation(stored: &StoredReading) -> bool {
    stored.reading.delivered_kwh.is_some() || stored.reading.received_kwh.is_some()
}
