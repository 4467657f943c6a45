//! A meter that stops reporting (the EAGLE answers, `Connected`, every value empty: 2025
//! firmware, HA #149350): nothing is stored, the replies are counted, and once the silence
//! threshold passes the LED, `status` and the heartbeat say "meter not reporting"; healthy
//! again when values return. The daemon, health model, LED indicator and upload engine are
//! wired as `run` wires them, against the simulator, with the silence shortened to 1.5 s
//! (the 60 s default is covered by the health model's own tests).

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::binary::{write_config, Target};
use common::rig::{wait_until, HOUSEHOLD};
use rainforest_eagle_sim::{self as sim, Fault, Profile, SimConfig, SimHandle};
use rainforest_logger::config::{HealthyPattern, LedBackend, LedSettings};
use rainforest_logger::daemon::Daemon;
use rainforest_logger::eagle::Eagle;
use rainforest_logger::health::{HealthThresholds, LedState};
use rainforest_logger::led::Led;
use rainforest_logger::service::{supervise, Indicator, Notifier, ServiceTiming};
use rainforest_logger::store::{SharedStore, Store, NO_VALUES_EVENT};
use rainforest_logger::upload::{DirSink, UploadPolicy, Uploader};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Short health limits, so the test sees each state within seconds.
const TIMING: ServiceTiming = ServiceTiming {
    thresholds: HealthThresholds {
        silence: Duration::from_millis(1_500),
        start_grace: Duration::from_millis(1_500),
    },
    recheck: Duration::from_millis(50),
    stall_limit: Duration::from_secs(30),
};

/// The logger in-process: daemon under `supervise`, upload engine writing a heartbeat every
/// second into `bucket`.
struct Running {
    states: watch::Receiver<LedState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

fn start_logger(sim: &SimHandle, db: &Path, bucket: &Path) -> Running {
    let url = format!("http://{}", sim.local_addr());
    let eagle = Eagle::new(&common::eagle_settings(&url, Duration::from_secs(1))).unwrap();
    let clock = common::test_clock();
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
        clock,
        UploadPolicy {
            require_sync: false,
            check_every: Duration::from_millis(100),
            settle: Duration::from_millis(100),
            ..common::s3::policy(HOUSEHOLD, "", Duration::from_secs(1))
        },
    );
    uploader.report_led(indicator.subscribe());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (stop_uploads, uploads_stopped) = oneshot::channel::<()>();
        let uploading = tokio::spawn(uploader.run(async {
            let _ = uploads_stopped.await;
        }));
        supervise(daemon, None, &mut indicator, &TIMING, async {
            let _ = stopped.await;
        })
        .await;
        let _ = stop_uploads.send(());
        uploading.await.unwrap();
        indicator.stop().await;
    });
    Running { states, stop, task }
}

impl Running {
    /// Waits (up to 10 s) until the LED shows `expected`.
    async fn wait_for(&mut self, expected: LedState) {
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
    async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops within 10 s")
            .unwrap();
    }
}

/// The heartbeat's `led_state`, once the heartbeat exists.
fn heartbeat_led(bucket: &Path) -> Option<String> {
    let path = bucket.join(format!("status/household={HOUSEHOLD}.json"));
    let text = std::fs::read_to_string(path).ok()?;
    let heartbeat: serde_json::Value = serde_json::from_str(&text).ok()?;
    heartbeat["led_state"].as_str().map(str::to_string)
}

/// Waits until the heartbeat says `expected`.
async fn wait_for_heartbeat(bucket: &Path, expected: &str) {
    wait_until(&format!("a heartbeat saying {expected:?}"), || {
        heartbeat_led(bucket).as_deref() == Some(expected)
    })
    .await;
}

/// `rainforest-logger status` on the buffer, as staff run it.
fn status_output(dir: &Path, sim: &SimHandle, db: &Path) -> String {
    let config = dir.join("config.toml");
    write_config(
        &config,
        sim.local_addr(),
        db,
        Target::Directory(&dir.join("bucket")),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["status", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_that_stops_reporting_is_shown_until_values_return() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let bucket = dir.path().join("bucket");
    let sim = sim::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimConfig {
            profile: Profile::Eagle3,
            meter_update: Some(Duration::from_millis(100)),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    sim.set_fault(Some(Fault::NoValues));

    // Every value empty: past the silence the LED and the heartbeat say so; nothing stored.
    let mut logger = start_logger(&sim, &db, &bucket);
    logger.wait_for(LedState::MeterNotReporting).await;
    wait_for_heartbeat(&bucket, "meter not reporting").await;
    logger.stop().await;
    let report = Store::open(&db).unwrap().status().unwrap();
    assert_eq!(report.readings_stored, 0);
    let counted = report.events.iter().find(|e| e.name == NO_VALUES_EVENT);
    assert!(counted.is_some_and(|e| e.count >= 5), "{:?}", report.events);
    let status = status_output(dir.path(), &sim, &db);
    assert!(
        status.contains("health           meter not reporting: the EAGLE answered without values"),
        "{status}"
    );

    // Running again, still empty: the same verdict; then values return: healthy, stored.
    let mut logger = start_logger(&sim, &db, &bucket);
    logger.wait_for(LedState::MeterNotReporting).await;
    sim.set_fault(None);
    logger.wait_for(LedState::Healthy).await;
    wait_for_heartbeat(&bucket, "healthy").await;
    logger.stop().await;
    let report = Store::open(&db).unwrap().status().unwrap();
    assert!(report.readings_stored > 0);
    let status = status_output(dir.path(), &sim, &db);
    assert!(!status.contains("health "), "{status}");
    sim.shutdown().await;
}
