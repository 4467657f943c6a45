//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

pub mod binary;
pub mod card;
pub mod chromium;
pub mod clock;
pub mod fleet;
pub mod reconcile;
pub mod replay;
pub mod rig;
pub mod s3;
pub mod scripted;
pub mod service;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rainforest_eagle_sim::{self as sim, SimConfig, SimHandle};
use rainforest_logger::clock::Clock;
use rainforest_logger::config::{ApiKind, EagleSettings, Secret};
use rainforest_logger::reading::ClockStamp;

/// A clock that is always synchronized and reads the real time.
pub struct TestClock;

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn stamp(&self) -> ClockStamp {
        ClockStamp {
            synced: true,
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            monotonic_ms: 1,
        }
    }
}

/// The clock as an `Arc<dyn Clock>`.
pub fn test_clock() -> Arc<dyn Clock> {
    Arc::new(TestClock)
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

/// A clock the test sets: wall time, sync state, and boot-relative time move only when told.
pub struct FakeClock {
    state: std::sync::Mutex<(DateTime<Utc>, bool, u64)>,
}

pub const FAKE_BOOT_ID: &str = "11111111-2222-3333-4444-555555555555";

impl FakeClock {
    /// Starts at `now`, synchronized or not, 10 minutes after boot.
    pub fn new(now: DateTime<Utc>, synced: bool) -> Arc<FakeClock> {
        Arc::new(FakeClock {
            state: std::sync::Mutex::new((now, synced, 600_000)),
        })
    }

    /// Both clocks move forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap();
        state.0 += chrono::Duration::from_std(by).unwrap();
        state.2 += by.as_millis() as u64;
    }

    /// The wall clock is set (as NTP does), the boot-relative clock is not affected.
    pub fn set_wall(&self, now: DateTime<Utc>, synced: bool) {
        let mut state = self.state.lock().unwrap();
        state.0 = now;
        state.1 = synced;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.state.lock().unwrap().0
    }
    fn stamp(&self) -> ClockStamp {
        let state = self.state.lock().unwrap();
        ClockStamp {
            synced: state.1,
            boot_id: FAKE_BOOT_ID.into(),
            monotonic_ms: state.2,
        }
    }
}

/// A reading of 1 kW taken at `time` (clock synced) of a meter that last updated at
/// `meter_time`: enough for tests that count readings rather than read their values.
pub fn one_kw_reading(
    time: DateTime<Utc>,
    meter_time: DateTime<Utc>,
) -> rainforest_logger::reading::Reading {
    rainforest_logger::reading::Reading {
        meter: "0x0013500100aa3ce7".into(),
        time,
        meter_time: Some(meter_time),
        demand_kw: Some(rust_decimal::Decimal::ONE),
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
