//! What the upload engine needs from the config.

use std::time::Duration;

use super::key::KeyTemplate;
use super::period::fleet_delay;
use crate::config::Settings;
use crate::store::Limits;

/// How long after a period's end its object is built (plus `storage.commit_interval`, after
/// which the period's last readings are in the buffer): polls finishing right at the boundary
/// still make it in.
pub const SETTLE: Duration = Duration::from_secs(30);

/// How often the engine looks for work when nothing is scheduled sooner.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// What the engine needs from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Household id (in every row and key).
    pub household: String,
    /// Object keys.
    pub keys: KeyTemplate,
    /// Length of a batch period.
    pub batch_period: Duration,
    /// How often the daemon polls the EAGLE (sets the heartbeat's expected readings per hour).
    pub poll_interval: Duration,
    /// This household's wait after a period ends before its first upload.
    pub fleet_delay: Duration,
    /// Hold uploads until the clock is synchronized.
    pub require_sync: bool,
    /// Uploaded rows older than this are pruned.
    pub retention: Duration,
    /// Size limit of the buffer in bytes.
    pub max_size: u64,
    /// Wait after a period's end before building its object ([`SETTLE`]).
    pub settle: Duration,
    /// How often to look for due periods when no retry is scheduled ([`CHECK_EVERY`]).
    pub check_every: Duration,
}

impl UploadPolicy {
    /// The policy of `settings`.
    pub fn from_settings(settings: &Settings) -> UploadPolicy {
        let household = settings.household.id.clone();
        UploadPolicy {
            keys: KeyTemplate::new(
                settings.s3.key_template.as_deref(),
                &settings.s3.prefix,
                &household,
            ),
            fleet_delay: fleet_delay(&household, settings.s3.fleet_spread),
            household,
            batch_period: settings.s3.batch_period,
            poll_interval: settings.eagle.poll_interval,
            require_sync: settings.clock.require_sync,
            retention: settings.storage.retention,
            max_size: settings.storage.max_size,
            // Readings reach the buffer at each commit: wait for the period's last ones too,
            // or every period would be uploaded twice (the second time with its last minute).
            settle: SETTLE + settings.storage.commit_interval,
            check_every: CHECK_EVERY,
        }
    }

    /// The buffer's limits, which the engine has the store keep after each cycle.
    pub fn limits(&self) -> Limits {
        Limits {
            retention: self.retention,
            max_size: self.max_size,
        }
    }

    /// Rows older than this (Unix ms) at `now_ms` are in periods due for upload: ended
    /// `settle` plus the fleet delay ago.
    pub fn due_before(&self, now_ms: i64) -> i64 {
        let wait = self.settle + self.fleet_delay;
        now_ms - i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
    }
}
