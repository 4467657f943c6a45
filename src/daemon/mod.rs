//! The daemon: wires the EAGLE, the clock and the buffer into the poll loop, and stops cleanly.
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
pub use recorder::{Outcome, Recorder, MAX_WAITING};
pub use shutdown::{shutdown_channel, signal_received, Shutdown, ShutdownTrigger};
pub use source::MeterSource;

use crate::clock::Clock;
use crate::config::Settings;
use crate::eagle::{Eagle, EagleError};
use crate::store::{Store, StoreError};

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

/// A ready-to-run daemon polling `S`.
pub struct Daemon<S> {
    poll_loop: PollLoop<S>,
}

impl Daemon<Eagle> {
    /// The daemon as configured: opens the buffer and prepares the EAGLE client, pinned to
    /// the certificate the buffer keeps (unless `eagle.certificate_sha256` says otherwise).
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, DaemonError> {
        let store = Store::open(&settings.storage.path)?;
        let eagle = Eagle::remembering(&settings.eagle, store.eagle_certificate()?)?;
        Ok(Daemon::new(
            eagle,
            store,
            clock,
            settings.eagle.poll_interval,
        )?)
    }
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
        })
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
