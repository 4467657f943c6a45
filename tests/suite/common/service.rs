//! The logger in-process, assembled as `run` assembles it ([`Logger`]: daemon under the
//! supervisor, LED indicator, upload engine, and the household page when asked for), against
//! the simulator, with the health limits shortened so a test sees each LED state within
//! seconds.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rainforest_eagle_sim::SimHandle;
use rainforest_logger::config::Settings;
use rainforest_logger::health::{HealthThresholds, LedState};
use rainforest_logger::logger::{Logger, ServiceTiming};
use rainforest_logger::upload::{DirSink, UploadPolicy};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::rig::{self, HOUSEHOLD};

/// Short health limits: silence noticed after 1.5 s.
pub const TIMING: ServiceTiming = ServiceTiming {
    thresholds: HealthThresholds {
        silence: Duration::from_millis(1_500),
        start_grace: Duration::from_millis(1_500),
    },
    stall_limit: Duration::from_secs(30),
};

/// The running logger.
pub struct Running {
    /// The LED state as the indicator shows it.
    pub states: watch::Receiver<LedState>,
    /// Where the household page listens, when it was asked for.
    pub page: Option<SocketAddr>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Starts the logger polling `sim` every 200 ms into `db`, the upload engine writing a
/// heartbeat every second into the directory `bucket`, and with `page` the household page on
/// 127.0.0.1 (a free port).
pub async fn start_logger(sim: &SimHandle, db: &Path, bucket: &Path, page: bool) -> Running {
    start_with(sim, db, bucket, |settings| settings.web.enable = page).await
}

/// [`start_logger`] without the page, with `adjust` applied to its settings first (another
/// LED, say).
pub async fn start_with(
    sim: &SimHandle,
    db: &Path,
    bucket: &Path,
    adjust: impl FnOnce(&mut Settings),
) -> Running {
    let url = format!("http://{}", sim.local_addr());
    let mut settings = rig::settings(HOUSEHOLD, &url, db.parent().unwrap());
    settings.storage.path = db.to_path_buf();
    settings.eagle.poll_interval = Duration::from_millis(200);
    settings.web.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    adjust(&mut settings);
    let mut parts = rig::parts(settings, super::test_clock(), DirSink::new(bucket));
    // A heartbeat every second; the LED judges uploads by the configured one-minute period.
    parts.policy = UploadPolicy {
        require_sync: false,
        check_every: Duration::from_millis(100),
        settle: Duration::from_millis(100),
        ..super::s3::policy(HOUSEHOLD, "", Duration::from_secs(1))
    };
    parts.timing = TIMING;
    let logger = Logger::assemble(parts).await.unwrap();
    let states = logger.led();
    let running = logger.start().await;
    let page = running.page();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(running.until(async {
        let _ = stopped.await;
    }));
    Running {
        states,
        page,
        stop,
        task,
    }
}

impl Running {
    /// Waits (up to 10 s) until the LED shows `expected`.
    pub async fn wait_for(&mut self, expected: LedState) {
        let reached = tokio::time::timeout(
            Duration::from_secs(10),
            self.states.wait_for(|state| *state == expected),
        )
        .await
        .is_ok();
        assert!(
            reached,
            "no {expected:?}; showing {:?}",
            *self.states.borrow()
        );
    }

    /// Stops the logger (the poll loop writes its counters on the way out).
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops within 10 s")
            .unwrap();
    }
}
