//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
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
    }
}
