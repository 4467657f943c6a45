//! The running logger, assembled once: `run`, `demo` and the test rig all start it here, so
//! what the tests exercise is what the Pi runs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::indicator::Indicator;
use super::notify::Notifier;
use super::page::household_page;
use super::supervise::{supervise, UploadWatch};
use super::timing::ServiceTiming;
use crate::clock::Clock;
use crate::config::Settings;
use crate::daemon::{shutdown_channel, Daemon, DaemonEvent, MeterSource, ShutdownTrigger};
use crate::health::LedState;
use crate::led::Led;
use crate::store::{SharedStore, Store, StoreError};
use crate::upload::{ObjectSink, S3Sink, UploadEvent, UploadPolicy, Uploader};
use crate::web::WebHandle;

/// What a logger is assembled from: validated settings and the seams. [`Parts::new`] fills
/// in what the settings imply; tests and `demo` change the public fields before
/// [`Logger::assemble`].
pub struct Parts<S, K> {
    /// The settings; `storage.path` is the buffer the daemon opened.
    pub settings: Settings,
    /// The poll loop on its buffer: [`Daemon::from_settings`] for the EAGLE, [`Daemon::new`]
    /// around any [`MeterSource`].
    pub daemon: Daemon<S>,
    /// Where objects go.
    pub sink: K,
    /// The wall clock of the uploads and the household page.
    pub clock: Arc<dyn Clock>,
    /// Where the health state is shown. `None`: the LED of `settings.led`, starting healthy,
    /// and no systemd notifications.
    pub indicator: Option<Indicator>,
    /// The upload engine's policy ([`UploadPolicy::from_settings`]).
    pub policy: UploadPolicy,
    /// The supervisor's limits ([`ServiceTiming::for_eagle`]).
    pub timing: ServiceTiming,
}

impl<S, K> Parts<S, K> {
    /// The parts of the logger `settings` describe, polling through `daemon` and uploading
    /// to `sink`.
    pub fn new(settings: Settings, daemon: Daemon<S>, sink: K, clock: Arc<dyn Clock>) -> Self {
        Parts {
            policy: UploadPolicy::from_settings(&settings),
            timing: ServiceTiming::for_eagle(&settings.eagle),
            settings,
            daemon,
            sink,
            clock,
            indicator: None,
        }
    }
}

/// The logger, assembled and not yet running: subscribe to what it does here.
pub struct Logger<S, K> {
    settings: Settings,
    daemon: Daemon<S>,
    uploader: Uploader<K>,
    indicator: Indicator,
    timing: ServiceTiming,
    clock: Arc<dyn Clock>,
}

/// A logger whose uploads (and page, if asked for) run; [`Running::until`] supervises the
/// poll loop and stops it all.
pub struct Running<S> {
    daemon: Daemon<S>,
    upload: UploadWatch,
    indicator: Indicator,
    timing: ServiceTiming,
    page: Option<WebHandle>,
    stop_uploads: ShutdownTrigger,
    uploading: JoinHandle<()>,
}

impl<S, K> Logger<S, K>
where
    S: MeterSource,
    K: ObjectSink + 'static,
{
    /// Builds the upload engine on its own connection to the buffer (the daemon opened it a
    /// moment ago, so this opens too) and hooks its heartbeat to the LED. On failure the
    /// indicator is stopped (the LED given back) before the error is returned.
    pub async fn assemble(parts: Parts<S, K>) -> Result<Logger<S, K>, StoreError> {
        let store = match Store::open_with_journal_dir(
            &parts.settings.storage.path,
            parts.settings.storage.journal_dir.as_deref(),
        ) {
            Ok(store) => SharedStore::new(store),
            Err(error) => {
                if let Some(indicator) = parts.indicator {
                    indicator.stop().await;
                }
                return Err(error);
            }
        };
        let indicator = parts.indicator.unwrap_or_else(|| {
            let led = Led::start(&parts.settings.led, LedState::Healthy);
            Indicator::new(led, Notifier::default())
        });
        let mut uploader = Uploader::new(parts.sink, store, parts.clock.clone(), parts.policy);
        uploader.report_led(indicator.subscribe());
        Ok(Logger {
            settings: parts.settings,
            daemon: parts.daemon,
            uploader,
            indicator,
            timing: parts.timing,
            clock: parts.clock,
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every poll-loop event from now on (readings stored, polls failed).
    pub fn events(&self) -> broadcast::Receiver<DaemonEvent> {
        self.daemon.subscribe()
    }

    /// Every upload event from now on (objects confirmed, failures).
    pub fn uploads(&self) -> broadcast::Receiver<UploadEvent> {
        self.uploader.subscribe()
    }

    /// The LED state now, and every change from here on.
    pub fn led(&self) -> watch::Receiver<LedState> {
        self.indicator.subscribe()
    }

    /// Where objects go, for messages.
    pub fn sink(&self) -> &K {
        self.uploader.sink()
    }

    /// Warns about plain-http uploads, starts the household page when `web.enable` is set
    /// (a page that cannot start is logged and left out: it never stops the logging) and
    /// the upload engine.
    pub async fn start(self) -> Running<S> {
        if let Some(warning) = S3Sink::plaintext_warning(&self.settings.s3) {
            log::warn!("{warning}");
        }
        let upload = UploadWatch {
            status: self.uploader.watch_status(),
            batch_period: self.settings.s3.batch_period,
        };
        let page = household_page(
            &self.settings,
            &self.daemon,
            &self.indicator,
            upload.status.clone(),
            self.clock,
        )
        .await;
        let (stop_uploads, upload_shutdown) = shutdown_channel();
        let uploading = tokio::spawn(self.uploader.run(upload_shutdown.wait()));
        Running {
            daemon: self.daemon,
            upload,
            indicator: self.indicator,
            timing: self.timing,
            page,
            stop_uploads,
            uploading,
        }
    }

    /// Starts the logger and runs it until `shutdown` completes (see [`Running::until`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        self.start().await.until(shutdown).await;
    }
}

impl<S: MeterSource> Running<S> {
    /// Where the household page listens, if it is served.
    pub fn page(&self) -> Option<SocketAddr> {
        self.page.as_ref().map(WebHandle::local_addr)
    }

    /// Supervises the poll loop (health → LED and systemd, the watchdog) until `shutdown`
    /// completes; then stops the uploads, the page and the LED, in that order, and returns
    /// once they are stopped.
    pub async fn until(mut self, shutdown: impl Future<Output = ()>) {
        supervise(
            self.daemon,
            self.upload,
            &mut self.indicator,
            &self.timing,
            shutdown,
        )
        .await;
        self.stop_uploads.fire();
        if let Err(error) = self.uploading.await {
            // A panic is a bug (the release build aborts on it): let a test see it.
            if error.is_panic() {
                std::panic::resume_unwind(error.into_panic());
            }
        }
        if let Some(page) = self.page {
            page.stop().await;
        }
        self.indicator.stop().await;
    }
}
