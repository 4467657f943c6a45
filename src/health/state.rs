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
    /// the EAGLE keeps serving the same old reading.
    EagleUnreachable,
    /// No new reading for a while, and the EAGLE keeps answering with every value empty: it
    /// is reachable and joined, but the utility's meter has stopped reporting to it. Below
    /// [`LedState::EagleUnreachable`]: when the EAGLE itself stops answering (or the meter
    /// leaves its network) that is the nearer fault, and what to check first.
    MeterNotReporting,
    /// Readings are pending and no upload succeeded for [`super::UPLOAD_PERIODS`] periods.
    UploadFailing,
    /// All is well (shown per `led.healthy`).
    Healthy,
}

impl LedState {
    /// Every state, highest priority first.
    pub const ALL: [LedState; 6] = [
        LedState::ConfigError,
        LedState::StorageFailure,
        LedState::EagleUnreachable,
        LedState::MeterNotReporting,
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
            LedState::MeterNotReporting => {
                "the EAGLE answers without values for a minute: the meter stopped reporting to \
                 it; power-cycle the EAGLE, and if that does not help, ask the utility"
            }
            LedState::UploadFailing => "no successful upload for two batch periods",
            LedState::Healthy => "logging",
        }
    }

    /// What to do about the state: the "what to do" column of README's LED table, word for
    /// word (tests/suite/web.rs holds them together), for the household page.
    pub fn advice(self) -> &'static str {
        match self {
            LedState::ConfigError => {
                "fix the file on the SD card's boot partition (rainforest-logger check-config \
                 lists every problem; probe proves the credentials); the logger picks the fixed \
                 file up by itself within seconds"
            }
            LedState::StorageFailure => {
                "replace the SD card (readings of the last hours are held in memory meanwhile)"
            }
            LedState::EagleUnreachable => {
                "check the EAGLE's power and network lights and the router; if the EAGLE is \
                 fine, the utility must (re)join the meter"
            }
            LedState::MeterNotReporting => {
                "power-cycle the EAGLE; if the flash stays, the utility must look at the meter"
            }
            LedState::UploadFailing => {
                "check the home's internet; readings stay on the card and go up by themselves \
                 once it works"
            }
            LedState::Healthy => "nothing",
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
            LedState::MeterNotReporting => "meter not reporting",
            LedState::UploadFailing => "upload failing",
            LedState::Healthy => "healthy",
        })
    }
}
