//! The status LED driven by the real daemon against the simulator: healthy → EAGLE
//! unreachable (simulator stopped) → healthy (simulator back on the same port), and config
//! error on a refused Install Code; the Pi's LED is a fake `/sys/class/leds/ACT` tree.

use crate::common;

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::fake_act_led;
use common::service::{self, Running, TIMING};
use rainforest_eagle_sim::{self as sim, SimConfig, SimHandle};
use rainforest_logger::config::{HealthyPattern, LedBackend, LedSettings};
use rainforest_logger::health::LedState;
use rainforest_logger::store::Store;
use tokio::sync::watch;

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

async fn start_sim(addr: SocketAddr, install_code: &str) -> SimHandle {
    let config = SimConfig {
        meter_update: Some(Duration::from_millis(100)),
        install_code: install_code.to_string(),
        ..SimConfig::default()
    };
    sim::start(addr, config).await.unwrap()
}

/// A directory holding a fake ACT LED (its path returned too), and a simulator on a free port
/// of 127.0.0.1 that accepts `install_code`.
async fn led_and_sim(install_code: &str) -> (tempfile::TempDir, PathBuf, SimHandle) {
    let dir = tempfile::tempdir().unwrap();
    let led = fake_act_led(dir.path());
    let sim = start_sim(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), install_code).await;
    (dir, led, sim)
}

/// The logger polling `sim` every 200 ms into `db`, with the sysfs LED in `led_dir`
/// (healthy = steadily on).
async fn start_logger(sim: &SimHandle, led_dir: &Path, db: &Path) -> Running {
    let led = LedSettings {
        backend: LedBackend::Sysfs,
        sysfs_path: led_dir.to_path_buf(),
        gpio_chip: PathBuf::from("/dev/null"),
        gpio_line: 0,
        active_low: false,
        healthy: HealthyPattern::On,
    };
    let bucket = db.with_file_name("bucket");
    service::start_with(sim, db, &bucket, |settings| settings.led = led).await
}

/// Waits until the LED shows `expected`; returns every other state seen on the way.
async fn wait_for(
    states: &mut watch::Receiver<LedState>,
    expected: LedState,
    limit: Duration,
) -> Vec<LedState> {
    let mut seen = Vec::new();
    let wait = async {
        loop {
            let state = *states.borrow_and_update();
            if state == expected {
                return;
            }
            seen.push(state);
            states.changed().await.unwrap();
        }
    };
    if tokio::time::timeout(limit, wait).await.is_err() {
        panic!("no {expected:?} within {limit:?}; seen {seen:?}");
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_then_eagle_unreachable_then_healthy_again() {
    let (dir, led, sim) = led_and_sim(common::INSTALL_CODE).await;
    let addr = sim.local_addr();
    let db = dir.path().join("readings.db");
    let mut logger = start_logger(&sim, &led, &db).await;
    let states = &mut logger.states;

    // Past the start grace, still healthy: readings are arriving. The LED is taken from the
    // kernel and lit (healthy = on).
    tokio::time::sleep(TIMING.thresholds.start_grace + Duration::from_millis(500)).await;
    assert_eq!(*states.borrow_and_update(), LedState::Healthy);
    assert!(!states.has_changed().unwrap());
    assert_eq!(read(&led, "trigger"), "none");
    assert_eq!(read(&led, "brightness"), "255");
    let stored = Store::open(&db).unwrap().status().unwrap().readings_stored;
    assert!(stored >= 3, "only {stored} readings");

    sim.shutdown().await;
    let seen = wait_for(states, LedState::EagleUnreachable, Duration::from_secs(5)).await;
    assert_eq!(seen, vec![LedState::Healthy]);

    let sim = start_sim(addr, common::INSTALL_CODE).await;
    let seen = wait_for(states, LedState::Healthy, Duration::from_secs(5)).await;
    assert_eq!(seen, vec![LedState::EagleUnreachable]);

    logger.stop().await;
    // Given back to the kernel: the old brightness, then the old trigger.
    assert_eq!(read(&led, "trigger"), "mmc0");
    assert_eq!(read(&led, "brightness"), "0");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_install_code_shows_config_error() {
    let (dir, led, sim) = led_and_sim("fedcba9876543210").await;
    let mut logger = start_logger(&sim, &led, &dir.path().join("readings.db")).await;
    let states = &mut logger.states;
    // Within the start grace: the 401 is shown at once, not as "unreachable" later.
    // (Under load the 401 can land before the first look, so the start's Healthy may be missed.)
    let seen = wait_for(states, LedState::ConfigError, Duration::from_secs(1)).await;
    assert!(
        seen.iter().all(|s| *s == LedState::Healthy),
        "seen {seen:?}"
    );
    tokio::time::sleep(TIMING.thresholds.start_grace * 2).await;
    assert_eq!(*states.borrow(), LedState::ConfigError);
    assert_eq!(read(&led, "trigger"), "none");
    logger.stop().await;
    assert_eq!(read(&led, "trigger"), "mmc0");
    sim.shutdown().await;
}
