//! The time limits of the service around the daemon.

use std::time::Duration;

use crate::config::EagleSettings;
use crate::health::HealthThresholds;

/// Time allowed beyond one poll interval plus one request timeout between two ticks of the
/// poll loop (a write to a slow card, counters) before it counts as hung.
pub const STALL_MARGIN: Duration = Duration::from_secs(30);

/// The timing of the supervisor ([`super::Running::until`]). The product derives it from the
/// settings; tests shorten it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceTiming {
    /// The health model's limits.
    pub thresholds: HealthThresholds,
    /// The longest gap between two poll-loop ticks that still counts as alive.
    pub stall_limit: Duration,
}

impl ServiceTiming {
    /// The product timing for these EAGLE settings: a tick is due every `poll_interval`, and
    /// a poll may take up to `timeout`.
    pub fn for_eagle(eagle: &EagleSettings) -> ServiceTiming {
        ServiceTiming {
            thresholds: HealthThresholds::default(),
            stall_limit: eagle.poll_interval + eagle.timeout + STALL_MARGIN,
        }
    }
}
