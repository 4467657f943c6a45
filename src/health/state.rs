//! The states the LED can show, highest priority first (docs/design.md §7).

use std::fmt;

/// One state at a time; when several apply, the one listed first wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedState {
    /// The config file is missing or wrong, or the EAGLE refused the credentials: the box
    /// cannot work until someone edits the file.
    ConfigError,
    /// The buffer cannot be opened or written (card full or failing).
    StorageFailure,
    /// No new reading for a while: the EAGLE does not answer, the meter is not joined, or
    /// the meter stopped reporting.
    EagleUnreachable,
    /// Readings are pending and no upload succeeded for [`super::UPLOAD_PERIODS`] periods.
    UploadFailing,
    /// All is well (shown per `led.healthy`).
    Healthy,
}

impl LedState {
    /// Every state, highest priority first.
    pub const ALL: [LedState; 5] = [
        LedState::ConfigError,
        LedState::StorageFailure,
        LedState::EagleUnreachable,
        LedState::UploadFailing,
        LedState::Healthy,
    ];

    /// What the state means, in a few words for logs and `systemctl status`.
    pub fn meaning(self) -> &'static str {
        match self {
            LedState::ConfigError => "the config file or the EAGLE credentials need fixing",
            LedState::StorageFailure => "the buffer cannot be written (card full or failing)",
            LedState::EagleUnreachable => {
                "no new reading for a minute: EAGLE off or unreachable, or meter not joined"
            }
            LedState::UploadFailing => "no successful upload for two batch periods",
            LedState::Healthy => "logging",
        }
    }
}

impl fmt::Display for LedState {
    /// Short lowercase words for logs and systemd's `STATUS=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LedState::ConfigError => "config error",
            LedState::StorageFailure => "storage failure",
            LedState::EagleUnreachable => "EAGLE unreachable",
            LedState::UploadFailing => "upload failing",
            LedState::Healthy => "healthy",
        })
    }
}
