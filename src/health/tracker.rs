//! Keeping [`HealthFacts`] up to date from the daemon's events.

use tokio::time::Instant;

use super::assess::{assess, next_change};
use super::facts::{HealthFacts, UploadFacts};
use super::state::LedState;
use super::thresholds::HealthThresholds;
use crate::daemon::DaemonEvent;

/// Turns [`DaemonEvent`]s (and, later, the upload engine's reports) into facts, and facts into
/// the current [`LedState`].
#[derive(Debug, Clone)]
pub struct HealthTracker {
    facts: HealthFacts,
    thresholds: HealthThresholds,
}

impl HealthTracker {
    /// A tracker that started watching at `now`.
    pub fn new(thresholds: HealthThresholds, now: Instant) -> HealthTracker {
        HealthTracker {
            facts: HealthFacts::new(now),
            thresholds,
        }
    }

    /// Takes one event, which happened at `now`, into account.
    ///
    /// A [`DaemonEvent::Repeat`] proves the EAGLE answers and the meter is joined, so it
    /// clears a credential or meter-offline verdict, but it is not a new reading: repeats
    /// for longer than [`HealthThresholds::silence`] mean the EAGLE is stuck on an old
    /// reading, which the household sees as "EAGLE unreachable" (the fix is the same: look at
    /// the EAGLE). A [`DaemonEvent::NoValues`] clears the same verdicts and, once the silence
    /// has passed, makes it "meter not reporting" instead.
    pub fn observe(&mut self, event: &DaemonEvent, now: Instant) {
        let facts = &mut self.facts;
        match event {
            DaemonEvent::Stored(_) => {
                facts.last_new_reading = Some(now);
                facts.storage_failing = false;
                facts.config_error = false;
                facts.meter_offline = false;
                facts.last_no_values = None;
            }
            DaemonEvent::NoValues => {
                facts.config_error = false;
                facts.meter_offline = false;
                facts.last_no_values = Some(now);
            }
            DaemonEvent::Repeat => {
                facts.config_error = false;
                facts.meter_offline = false;
            }
            DaemonEvent::PollFailed {
                needs_config,
                meter_offline,
                ..
            } => {
                // A refusal stays until a poll succeeds: a later timeout says nothing about
                // whether the credentials are right now.
                facts.config_error |= needs_config;
                facts.meter_offline = *meter_offline;
            }
            DaemonEvent::StorageFailed { .. } => facts.storage_failing = true,
        }
    }

    /// Replaces the upload part of the facts (the hook for the upload engine).
    pub fn set_upload(&mut self, upload: UploadFacts) {
        self.facts.upload = upload;
    }

    /// The facts so far.
    pub fn facts(&self) -> &HealthFacts {
        &self.facts
    }

    /// The state to show at `now`.
    pub fn state(&self, now: Instant) -> LedState {
        assess(&self.facts, &self.thresholds, now)
    }

    /// When the state may next change without a new fact (see [`next_change`]).
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        next_change(&self.facts, &self.thresholds, now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;

    use super::*;
    use crate::reading::tests::{empty_reading, pending};

    const SECOND: Duration = Duration::from_secs(1);

    fn stored() -> DaemonEvent {
        DaemonEvent::Stored(Box::new(pending(
            1,
            empty_reading("0x0013500100aa3ce7", Utc::now()),
        )))
    }

    fn failed(needs_config: bool, meter_offline: bool) -> DaemonEvent {
        DaemonEvent::PollFailed {
            kind: "test",
            needs_config,
            meter_offline,
        }
    }

    fn storage_failed() -> DaemonEvent {
        DaemonEvent::StorageFailed { waiting: 1 }
    }

    /// Feeds `(second, event)` pairs, then checks `(second, expected state)` pairs; both
    /// lists in time order, checks interleaved with events at the same second after them.
    fn play(events: &[(u64, DaemonEvent)], checks: &[(u64, LedState)]) {
        let start = Instant::now();
        let mut tracker = HealthTracker::new(HealthThresholds::default(), start);
        let mut events = events.iter().peekable();
        for &(at, expected) in checks {
            while let Some((t, event)) = events.next_if(|(t, _)| *t <= at) {
                tracker.observe(event, start + Duration::from_secs(*t));
            }
            assert_eq!(
                tracker.state(start + Duration::from_secs(at)),
                expected,
                "at {at} s"
            );
        }
    }

    #[test]
    fn repeats_are_not_new_readings() {
        let mut events = vec![(1, stored())];
        events.extend((7..100).step_by(6).map(|t| (t, DaemonEvent::Repeat)));
        events.push((100, stored()));
        play(
            &events,
            &[
                (30, LedState::Healthy),
                (60, LedState::Healthy),
                (61, LedState::EagleUnreachable),
                (99, LedState::EagleUnreachable),
                (100, LedState::Healthy),
            ],
        );
    }

    #[test]
    fn replies_without_values_for_a_minute_are_meter_not_reporting() {
        // A reading at 1 s, then every poll answers without values (a busy EAGLE at 43 s
        // does not change the verdict); values return at 121 s.
        let mut events = vec![(1, stored())];
        events.extend((7..121).step_by(6).map(|t| {
            let event = if t == 43 {
                failed(false, false)
            } else {
                DaemonEvent::NoValues
            };
            (t, event)
        }));
        events.push((121, stored()));
        play(
            &events,
            &[
                (60, LedState::Healthy),
                (61, LedState::MeterNotReporting),
                (120, LedState::MeterNotReporting),
                (121, LedState::Healthy),
            ],
        );
    }

    #[test]
    fn an_eagle_that_stops_answering_after_empty_replies_is_unreachable() {
        play(
            &[
                (1, stored()),
                (7, DaemonEvent::NoValues),
                (61, DaemonEvent::NoValues),
                (67, failed(false, false)),
                (100, failed(false, false)),
                (127, DaemonEvent::NoValues),
                (133, failed(false, true)),
            ],
            &[
                (61, LedState::MeterNotReporting),
                (120, LedState::MeterNotReporting),
                // A minute without any answer: the EAGLE is the fault now.
                (121, LedState::EagleUnreachable),
                (127, LedState::MeterNotReporting),
                // The meter left the EAGLE's network: the nearer fault, shown at once.
                (133, LedState::EagleUnreachable),
            ],
        );
    }

    #[test]
    fn a_refusal_stays_until_a_poll_succeeds() {
        play(
            &[
                (1, failed(true, false)),
                (7, failed(false, false)),
                (13, DaemonEvent::Repeat),
            ],
            &[
                (1, LedState::ConfigError),
                (7, LedState::ConfigError),
                (13, LedState::Healthy),
            ],
        );
    }

    #[test]
    fn meter_offline_shows_at_once_and_clears_on_an_answer() {
        play(
            &[
                (2, stored()),
                (8, failed(false, true)),
                (14, DaemonEvent::Repeat),
                (20, failed(false, true)),
                (26, stored()),
            ],
            &[
                (2, LedState::Healthy),
                (8, LedState::EagleUnreachable),
                (14, LedState::Healthy),
                (20, LedState::EagleUnreachable),
                (26, LedState::Healthy),
            ],
        );
    }

    #[test]
    fn storage_failure_clears_when_a_row_is_committed() {
        play(
            &[
                (1, stored()),
                (7, storage_failed()),
                (13, stored()),
                (13, storage_failed()),
                (19, stored()),
            ],
            &[
                (7, LedState::StorageFailure),
                (13, LedState::StorageFailure),
                (19, LedState::Healthy),
            ],
        );
    }

    #[test]
    fn the_first_reading_gets_the_grace() {
        play(
            &[(1, failed(false, false)), (55, failed(false, false))],
            &[(59, LedState::Healthy), (60, LedState::EagleUnreachable)],
        );
    }

    #[test]
    fn upload_facts_plug_in() {
        let start = Instant::now();
        let hour = 3_600 * SECOND;
        let mut tracker = HealthTracker::new(HealthThresholds::default(), start);
        let now = start + 3 * hour;
        tracker.observe(&stored(), now);
        assert_eq!(tracker.state(now), LedState::Healthy);
        tracker.set_upload(UploadFacts {
            pending_rows: 1_200,
            last_success: Some(start),
            failing_since: Some(start + hour),
            batch_period: hour,
            config_error: false,
        });
        assert_eq!(tracker.facts().upload.pending_rows, 1_200);
        assert_eq!(tracker.state(now), LedState::UploadFailing);
    }
}
