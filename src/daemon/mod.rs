//! The daemon: wires the EAGLE, the clock and the buffer into the poll loop, and stops cleanly.
//! The running logger around it (uploads, health, LED, systemd) is [`crate::logger`].
//!
//! ```text
//!   tick (6 s grid) → MeterSource::poll → Recorder (dedupe, reboot zero) → Store (SQLite)
//!                                       ↘ Problems (counts, rate-limited log) → events table
//! ```

mod event;
mod poll_loop;
mod recorder;
mod shutdown;
mod source;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

pub use event::DaemonEvent;
pub use poll_loop::{PollLoop, COUNTERS_EVERY};
pub use recorder::{Outcome, Recorder, MAX_WAITING, MAX_WAITING_BYTES};
pub use shutdown::{shutdown_channel, signal_received, Shutdown, ShutdownTrigger};
pub use source::MeterSource;

use crate::clock::Clock;
use crate::config::Settings;
use crate::eagle::{Eagle, EagleError};
use crate::store::{Batching, Store, StoreError};
use chrono::{DateTime, Utc};

/// Why the daemon could not start.
#[derive(Debug, Error)]
pub enum DaemonError {
    /// The buffer could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The EAGLE client could not be built.
    #[error(transparent)]
    Eagle(#[from] EagleError),
}

/// How long the LED shows storage failure after a damaged buffer was set aside: long enough
/// for a household to notice and call, short enough that a box nobody visits returns to
/// showing its real state. There is no acknowledging it on the box; it survives restarts (the
/// time is kept in the new buffer).
pub const SET_ASIDE_ALERT: Duration = Duration::from_secs(24 * 3600);

/// A ready-to-run daemon polling `S`.
pub struct Daemon<S> {
    poll_loop: PollLoop<S>,
    storage_alert: Option<StorageAlert>,
}

/// A storage event the LED keeps showing for a while although logging works again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageAlert {
    /// Until when.
    pub until: Instant,
    /// What happened, for the LED's reason and systemd's status line.
    pub message: String,
}

impl Daemon<Eagle> {
    /// The daemon as configured: opens the buffer (setting a damaged one aside and starting a
    /// new one, said loudly) and prepares the EAGLE client, pinned to the certificate the
    /// buffer keeps (unless `eagle.certificate_sha256` says otherwise).
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, DaemonError> {
        let path = &settings.storage.path;
        let now = clock.now();
        let (mut store, set_aside) =
            Store::open_setting_aside_damage(path, settings.storage.journal_dir.as_deref(), now)?;
        store.commit_every(Some(Batching {
            sync_every: settings.storage.commit_interval,
            fold_every: settings.storage.database_interval,
            upload_period: settings.s3.batch_period,
        }))?;
        if let Some(set_aside) = &set_aside {
            log::error!(
                "{} was damaged ({}): set aside as {} (kept for recovery: sqlite3 FILE \
                 .recover; copy it off the card before it is full) and a new buffer started; \
                 readings not yet uploaded from it are in that file",
                path.display(),
                set_aside.reason,
                set_aside.moved_to.display()
            );
        }
        let storage_alert = store
            .set_aside_event()?
            .and_then(|event| alert_for(&event, now));
        let eagle = Eagle::remembering(&settings.eagle, store.eagle_certificate()?)?;
        let mut daemon = Daemon::new(eagle, store, clock, settings.eagle.poll_interval)?;
        daemon.storage_alert = storage_alert;
        Ok(daemon)
    }
}

/// The alert for a set-aside recorded in `event`, while [`SET_ASIDE_ALERT`] has not passed.
fn alert_for(event: &crate::store::EventSummary, now: DateTime<Utc>) -> Option<StorageAlert> {
    let age = (now - event.last_at).to_std().unwrap_or(Duration::ZERO);
    let left = SET_ASIDE_ALERT.checked_sub(age)?;
    Some(StorageAlert {
        until: Instant::now() + left,
        message: event.last_message.clone().unwrap_or_default(),
    })
}

impl<S: MeterSource> Daemon<S> {
    /// A daemon polling `source` every `interval` into `store`.
    pub fn new(
        source: S,
        store: Store,
        clock: Arc<dyn Clock>,
        interval: Duration,
    ) -> Result<Daemon<S>, StoreError> {
        let recorder = Recorder::new(store, clock)?;
        let (events, _) = broadcast::channel(256);
        Ok(Daemon {
            poll_loop: PollLoop::new(source, recorder, interval, events),
            storage_alert: None,
        })
    }

    /// The storage event the LED must show for now, if any.
    pub fn storage_alert(&self) -> Option<&StorageAlert> {
        self.storage_alert.as_ref()
    }

    /// Receives every [`DaemonEvent`] from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DaemonEvent> {
        self.poll_loop.events.subscribe()
    }

    /// The instant of the poll loop's latest tick (the start of a poll cycle), updated as
    /// long as the loop runs. It stops moving when a poll or a write hangs: the systemd
    /// watchdog is fed from it.
    pub fn last_tick(&self) -> watch::Receiver<Instant> {
        self.poll_loop.last_tick.subscribe()
    }

    /// Polls until `shutdown` completes, then writes the counters and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        self.poll_loop.run(shutdown).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Counter, EventSummary};

    fn set_aside_at(at: DateTime<Utc>) -> EventSummary {
        EventSummary {
            name: Counter::BufferSetAside.as_str().into(),
            count: 1,
            last_message: Some("set aside as x.damaged-1".into()),
            last_message_at: Some(at),
            last_at: at,
        }
    }

    #[test]
    fn the_set_aside_alert_lasts_a_day_from_the_event_across_restarts() {
        let at = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let hours = |h: i64| at + chrono::Duration::hours(h);
        let fresh = alert_for(&set_aside_at(at), hours(1)).expect("an hour later");
        assert_eq!(fresh.message, "set aside as x.damaged-1");
        let left = fresh.until - Instant::now();
        assert!(left > Duration::from_secs(22 * 3600) && left <= Duration::from_secs(23 * 3600));
        assert!(alert_for(&set_aside_at(at), hours(25)).is_none());
        // A clock that went backwards since: the whole day, not more.
        let early = alert_for(&set_aside_at(at), hours(-5)).unwrap();
        assert!(early.until - Instant::now() <= SET_ASIDE_ALERT);
    }
}
