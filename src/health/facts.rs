//! What the daemon knows about its own health at one moment.

use std::time::Duration;

use tokio::time::Instant;

/// Everything [`super::assess`] looks at. Times are tokio instants, so tests can drive them
/// with paused time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthFacts {
    /// The EAGLE refused the credentials (HTTP 401) at the latest poll that got an answer.
    pub config_error: bool,
    /// The latest write to the buffer failed (readings are held in memory).
    pub storage_failing: bool,
    /// When the daemon started watching: the first reading gets a grace period from here.
    pub started: Instant,
    /// When the latest new reading was stored. A repeat (LastContact not advanced) does not
    /// count: the EAGLE answers, but the meter is not reporting.
    pub last_new_reading: Option<Instant>,
    /// The EAGLE answered that the meter is not joined, not listed, or gone.
    pub meter_offline: bool,
    /// When the EAGLE last answered with no usable value (no demand, no summation) since the
    /// latest new reading; `None` once values return.
    pub last_no_values: Option<Instant>,
    /// The upload engine's part.
    pub upload: UploadFacts,
}

impl HealthFacts {
    /// Nothing known yet, watching since `started`.
    pub fn new(started: Instant) -> HealthFacts {
        HealthFacts {
            config_error: false,
            storage_failing: false,
            started,
            last_new_reading: None,
            meter_offline: false,
            last_no_values: None,
            upload: UploadFacts::default(),
        }
    }
}

/// What the upload engine reports. The default (nothing pending, no attempt yet) means "no
/// upload information", which never makes the LED show a problem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadFacts {
    /// Rows in the buffer not yet uploaded.
    pub pending_rows: u64,
    /// When an upload last succeeded (the engine may derive it from the buffer at start).
    pub last_success: Option<Instant>,
    /// Since when uploads have not been working: the first failed attempt, or the start of a
    /// wait the engine cannot end by itself (e.g. for the clock to sync), after the latest
    /// success; `None` while uploads work.
    pub failing_since: Option<Instant>,
    /// The configured batch period.
    pub batch_period: Duration,
    /// The target refuses the configured credentials or bucket: someone has to edit the file.
    pub config_error: bool,
}
