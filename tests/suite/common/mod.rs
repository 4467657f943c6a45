//! Helpers shared by the integration tests.

pub mod binary;
pub mod card;
pub mod chromium;
pub mod clock;
pub mod fleet;
pub mod http;
pub mod page;
pub mod raw_http;
pub mod reconcile;
pub mod replay;
pub mod rig;
pub mod s3;
pub mod scripted;
pub mod service;

// The clocks' one home is clock.rs; these are the names most tests use.
pub use clock::{test_clock, FakeClock, FAKE_BOOT_ID};

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rainforest_eagle_sim::{self as sim, SimConfig, SimHandle};
use rainforest_logger::config::{ApiKind, EagleSettings, Secret};
use rainforest_logger::daemon::{Daemon, MeterSource};
use rainforest_logger::eagle::MeterSample;
use rainforest_logger::reading::{ClockStamp, Reading};
use rainforest_logger::store::{EventSummary, StatusReport, Store};

/// The event counter `name` in `status`; fails the test, listing the counters there are, when
/// it was never counted.
pub fn counter<'a>(status: &'a StatusReport, name: &str) -> &'a EventSummary {
    status
        .events
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no counter {name} in {:?}", status.events))
}

/// A daemon polling `source` every `interval` into the buffer at `db`, on [`test_clock`].
pub fn test_daemon<S: MeterSource>(source: S, db: &Path, interval: Duration) -> Daemon<S> {
    Daemon::new(source, Store::open(db).unwrap(), test_clock(), interval).unwrap()
}

/// Reads `read` until what it returns satisfies `done`, and returns that; fails the test as
/// [`rig::wait_until`] does.
pub async fn wait_for<T>(what: &str, mut read: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let mut value = read();
    rig::wait_until(what, || {
        value = read();
        done(&value)
    })
    .await;
    value
}

/// Credentials the simulator accepts by default.
pub const CLOUD_ID: &str = "0123ab";
pub const INSTALL_CODE: &str = "0123456789abcdef";

/// EAGLE settings pointing at `base_url` with the simulator's credentials.
pub fn eagle_settings(base_url: &str, timeout: Duration) -> EagleSettings {
    EagleSettings {
        base_url: base_url.to_string(),
        cloud_id: CLOUD_ID.to_string(),
        install_code: Secret::new(INSTALL_CODE),
        api: ApiKind::Auto,
        meter: None,
        poll_interval: Duration::from_secs(1),
        timeout,
        certificate_sha256: None,
    }
}

/// Starts the simulator on a free loopback port with the default profile and a meter that
/// updates every `meter_update`: tests set it near their poll interval, so that most polls
/// see a new reading instead of waiting out the EAGLE's real 4–8 s.
pub async fn start_simulator(meter_update: Duration) -> SimHandle {
    sim::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimConfig {
            meter_update: Some(meter_update),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

/// A reading taken at `time` (clock synced, [`FAKE_BOOT_ID`]) of the simulator's meter,
/// with no meter time and no value: what tests fill in with struct-update syntax,
/// `Reading { demand_kw: .., ..empty_reading(time) }`.
pub fn empty_reading(time: DateTime<Utc>) -> Reading {
    Reading {
        meter: "0x0013500100aa3ce7".into(),
        time,
        meter_time: None,
        demand_kw: None,
        delivered_kwh: None,
        received_kwh: None,
        price: None,
        currency: None,
        rate_label: None,
        tier: None,
        clock: ClockStamp {
            synced: true,
            boot_id: FAKE_BOOT_ID.into(),
            monotonic_ms: 1,
        },
    }
}

/// What the simulator's meter reported at `meter_time`: no value yet, for tests to fill in
/// with struct-update syntax, `MeterSample { demand_kw: .., ..empty_sample(meter_time) }`.
pub fn empty_sample(meter_time: DateTime<Utc>) -> MeterSample {
    MeterSample {
        meter: "0x0013500100aa3ce7".into(),
        meter_time,
        demand_kw: None,
        delivered_kwh: None,
        received_kwh: None,
        price: None,
        currency: None,
        rate_label: None,
        tier: None,
        anomalies: Vec::new(),
    }
}

/// A reading of 1 kW taken at `time` (clock synced) of a meter that last updated at
/// `meter_time`: enough for tests that count readings rather than read their values.
pub fn one_kw_reading(time: DateTime<Utc>, meter_time: DateTime<Utc>) -> Reading {
    Reading {
        meter_time: Some(meter_time),
        demand_kw: Some(rust_decimal::Decimal::ONE),
        ..empty_reading(time)
    }
}

/// A fake LED-class directory under `root`, as the Pi's `ACT` LED looks before the logger
/// starts (trigger `mmc0`, off); its path.
pub fn fake_act_led(root: &Path) -> PathBuf {
    let dir = root.join("sys/class/leds/ACT");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("trigger"),
        "none rc-feedback [mmc0] timer heartbeat\n",
    )
    .unwrap();
    fs::write(dir.join("brightness"), "0\n").unwrap();
    fs::write(dir.join("max_brightness"), "255\n").unwrap();
    dir
}
