//! How long the health model waits before it calls something a problem.

use std::time::Duration;

/// Uploads count as failing when none succeeded for this many batch periods while rows are
/// pending (docs/design.md §7): one period of delay is normal, since a period is uploaded only
/// after it has ended.
pub const UPLOAD_PERIODS: u32 = 2;

/// The time limits of the health model. The product uses [`HealthThresholds::default`];
/// tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthThresholds {
    /// No new reading for this long → EAGLE unreachable (docs/design.md §7: 1 minute).
    pub silence: Duration,
    /// After start, how long the first reading may take before the same verdict.
    pub start_grace: Duration,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            silence: Duration::from_secs(60),
            start_grace: Duration::from_secs(60),
        }
    }
}
