//! The logger in-process, wired as `run` wires it (daemon under `supervise`, LED indicator,
//! upload engine, and the household page when asked for), against the simulator, with the
//! health limits shortened so a test sees each LED state within seconds.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rainforest_eagle_sim::SimHandle;
use rainforest_logger::config::{HealthyPattern, LedBackend, LedSettings};
use rainforest_logger::daemon::Daemon;
use rainforest_logger::eagle::Eagle;
use rainforest_logger::health::{HealthThresholds, LedState};
use rainforest_logger::led::Led;
use rainforest_logger::service::{supervise, Indicator, Notifier, ServiceTiming, UploadWatch};
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::{DirSink, UploadPolicy, Uploader};
use rainforest_logger::web::{self, PageSources};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::rig::HOUSEHOLD;

/// Short health limits: silence noticed after 1.5 s.
pub const TIMING: ServiceTiming = ServiceTiming {
    thresholds: HealthThresholds {
        silence: Duration::from_millis(1_500),
        start_grace: Duration::from_millis(1_500),
    },
    recheck: Duration::from_millis(50),
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
    let url = format!("http://{}", sim.local_addr());
    let eagle = Eagle::new(&super::eagle_settings(&url, Duration::from_secs(1))).unwrap();
    let clock = super::test_clock();
    let daemon = Daemon::new(
        eagle,
        Store::open(db).unwrap(),
        clock.clone(),
        Duration::from_millis(200),
    )
    .unwrap();
    let led = LedSettings {
        backend: LedBackend::None,
        sysfs_path: PathBuf::from("/nonexistent"),
        gpio_chip: PathBuf::from("/dev/null"),
        gpio_line: 0,
        active_low: false,
        healthy: HealthyPattern::Heartbeat,
    };
    let mut indicator = Indicator::new(Led::start(&led, LedState::Healthy), Notifier::default());
    let states = indicator.subscribe();
    let mut uploader = Uploader::new(
        DirSink::new(bucket),
        SharedStore::new(Store::open(db).unwrap()),
        clock.clone(),
        UploadPolicy {
            require_sync: false,
            check_every: Duration::from_millis(100),
            settle: Duration::from_millis(100),
            ..super::s3::policy(HOUSEHOLD, "", Duration::from_secs(1))
        },
    );
    uploader.report_led(indicator.subscribe());
    let upload = UploadWatch {
        status: uploader.watch_status(),
        batch_period: Duration::from_secs(60),
    };
    let page = match page {
        true => Some(
            web::start(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                PageSources {
                    events: daemon.subscribe(),
                    led: indicator.subscribe(),
                    upload: upload.status.clone(),
                    store: SharedStore::new(Store::open(db).unwrap()),
                    clock,
                },
            )
            .await
            .unwrap(),
        ),
        false => None,
    };
    let page_addr = page.as_ref().map(|page| page.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (stop_uploads, uploads_stopped) = oneshot::channel::<()>();
        let uploading = tokio::spawn(uploader.run(async {
            let _ = uploads_stopped.await;
        }));
        supervise(daemon, Some(upload), &mut indicator, &TIMING, async {
            let _ = stopped.await;
        })
        .await;
        let _ = stop_uploads.send(());
        uploading.await.unwrap();
        if let Some(page) = page {
            page.stop().await;
        }
        indicator.stop().await;
    });
    Running {
        states,
        page: page_addr,
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
