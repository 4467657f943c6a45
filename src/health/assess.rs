//! Facts → the one LED state, by the priorities of docs/design.md §7.

use tokio::time::Instant;

use super::facts::{HealthFacts, UploadFacts};
use super::state::LedState;
use super::thresholds::{HealthThresholds, UPLOAD_PERIODS};

/// The state the LED should show at `now`: the highest-priority problem, or healthy.
pub fn assess(facts: &HealthFacts, thresholds: &HealthThresholds, now: Instant) -> LedState {
    if facts.config_error || facts.upload.config_error {
        LedState::ConfigError
    } else if facts.storage_failing {
        LedState::StorageFailure
    } else if facts.meter_offline {
        LedState::EagleUnreachable
    } else if silent(facts, thresholds, now) {
        if answers_without_values(facts, thresholds, now) {
            LedState::MeterNotReporting
        } else {
            LedState::EagleUnreachable
        }
    } else if upload_failing(&facts.upload, now) {
        LedState::UploadFailing
    } else {
        LedState::Healthy
    }
}

/// No new reading for [`HealthThresholds::silence`], or none at all within the start grace.
fn silent(facts: &HealthFacts, thresholds: &HealthThresholds, now: Instant) -> bool {
    match facts.last_new_reading {
        Some(at) => now.saturating_duration_since(at) >= thresholds.silence,
        None => now.saturating_duration_since(facts.started) >= thresholds.start_grace,
    }
}

/// The EAGLE answered without values within the last [`HealthThresholds::silence`]: it is
/// there, so the silence is the meter's. An occasional busy or timed-out poll in between does
/// not change the verdict; an EAGLE that stops answering altogether falls back to unreachable
/// one silence later.
fn answers_without_values(
    facts: &HealthFacts,
    thresholds: &HealthThresholds,
    now: Instant,
) -> bool {
    facts
        .last_no_values
        .is_some_and(|at| now.saturating_duration_since(at) < thresholds.silence)
}

/// Rows are pending, uploads are not working, and the last success (or, if there never was
/// one, the start of the trouble) is [`UPLOAD_PERIODS`] batch periods old.
fn upload_failing(upload: &UploadFacts, now: Instant) -> bool {
    let Some(failing_since) = upload.failing_since else {
        return false;
    };
    let reference = upload.last_success.unwrap_or(failing_since);
    upload.pending_rows > 0
        && now.saturating_duration_since(reference) >= upload.batch_period * UPLOAD_PERIODS
}

/// The earliest instant after `now` at which [`assess`] may answer differently with the same
/// facts: a silence, a grace or an upload delay running out. `None` if only a new fact can
/// change the state. The supervisor sleeps until then instead of re-assessing on a timer, so
/// an idle daemon wakes only for its polls.
pub fn next_change(
    facts: &HealthFacts,
    thresholds: &HealthThresholds,
    now: Instant,
) -> Option<Instant> {
    let silence_ends = match facts.last_new_reading {
        Some(at) => at + thresholds.silence,
        None => facts.started + thresholds.start_grace,
    };
    let no_values_expire = facts.last_no_values.map(|at| at + thresholds.silence);
    let upload = &facts.upload;
    let upload_overdue = upload
        .failing_since
        .filter(|_| upload.pending_rows > 0)
        .map(|since| upload.last_success.unwrap_or(since) + upload.batch_period * UPLOAD_PERIODS);
    [Some(silence_ends), no_values_expire, upload_overdue]
        .into_iter()
        .flatten()
        .filter(|&at| at > now)
        .min()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const HOUR: Duration = Duration::from_secs(3_600);

    /// Facts at `now` (3 h after start) where exactly the problems in `problems` hold.
    fn facts_with(problems: &[LedState], start: Instant, now: Instant) -> HealthFacts {
        let has = |state| problems.contains(&state);
        let mut facts = HealthFacts::new(start);
        facts.config_error = has(LedState::ConfigError);
        facts.storage_failing = has(LedState::StorageFailure);
        // Unreachable: the meter left the EAGLE's network. Not reporting: silent, while the
        // EAGLE answers without values. Both: silent too.
        facts.meter_offline = has(LedState::EagleUnreachable);
        let silent = has(LedState::EagleUnreachable) || has(LedState::MeterNotReporting);
        facts.last_new_reading = Some(if silent {
            now - 61 * SECOND
        } else {
            now - SECOND
        });
        if has(LedState::MeterNotReporting) {
            facts.last_no_values = Some(now - 6 * SECOND);
        }
        facts.upload = if has(LedState::UploadFailing) {
            UploadFacts {
                pending_rows: 10,
                last_success: Some(now - 2 * HOUR - SECOND),
                failing_since: Some(now - HOUR),
                batch_period: HOUR,
                config_error: false,
            }
        } else {
            UploadFacts {
                pending_rows: 10,
                last_success: Some(now - HOUR / 2),
                failing_since: None,
                batch_period: HOUR,
                config_error: false,
            }
        };
        facts
    }

    #[test]
    fn every_combination_of_problems_shows_the_highest_priority() {
        let start = Instant::now();
        let now = start + 3 * HOUR;
        let problems = &LedState::ALL[..5];
        // Every subset of the five problems, so every pair (and triple…) is covered.
        for mask in 0u32..32 {
            let present: Vec<LedState> = (0..5)
                .filter(|bit| mask & (1 << bit) != 0)
                .map(|bit| problems[bit])
                .collect();
            let expected = present.first().copied().unwrap_or(LedState::Healthy);
            let facts = facts_with(&present, start, now);
            assert_eq!(
                assess(&facts, &HealthThresholds::default(), now),
                expected,
                "problems {present:?}"
            );
        }
    }

    /// One situation of the table: facts built from the start instant, looked at `after`
    /// the start.
    struct Case {
        name: &'static str,
        facts: fn(Instant) -> HealthFacts,
        after: Duration,
        expected: LedState,
    }

    fn reading_at(start: Instant, offset: Duration) -> HealthFacts {
        HealthFacts {
            last_new_reading: Some(start + offset),
            ..HealthFacts::new(start)
        }
    }

    fn uploads(start: Instant, upload: UploadFacts) -> HealthFacts {
        HealthFacts {
            upload,
            ..reading_at(start, 3 * HOUR - SECOND)
        }
    }

    /// Uploads failing since `failing_since` with `pending_rows` waiting, hourly batches,
    /// readings arriving.
    fn failing_uploads(
        start: Instant,
        pending_rows: u64,
        last_success: Option<Instant>,
        failing_since: Instant,
    ) -> HealthFacts {
        uploads(
            start,
            UploadFacts {
                pending_rows,
                last_success,
                failing_since: Some(failing_since),
                batch_period: HOUR,
                config_error: false,
            },
        )
    }

    /// Answers without values 154 s after the start, the last new reading at 100 s.
    fn answers_without_values(start: Instant) -> HealthFacts {
        HealthFacts {
            last_no_values: Some(start + 154 * SECOND),
            ..reading_at(start, 100 * SECOND)
        }
    }

    /// For every situation of the table, the state holds from `now` until just before
    /// `next_change`, and every change of state within three hours comes at a `next_change`.
    #[test]
    fn the_state_changes_only_at_next_change() {
        let start = Instant::now();
        let thresholds = HealthThresholds::default();
        for case in table() {
            let facts = (case.facts)(start);
            let mut now = start;
            let mut state = assess(&facts, &thresholds, now);
            let end = start + 3 * HOUR + 10 * SECOND;
            while now < end {
                let next = next_change(&facts, &thresholds, now)
                    .unwrap_or(end)
                    .min(end);
                assert!(next > now, "{}: next change not after now", case.name);
                // Sampled every second up to the change: no change in between.
                let mut t = now;
                while t + SECOND < next {
                    t += SECOND;
                    assert_eq!(
                        assess(&facts, &thresholds, t),
                        state,
                        "{}: changed {:?} after start, before the next change",
                        case.name,
                        t - start
                    );
                }
                now = next;
                state = assess(&facts, &thresholds, now);
            }
        }
    }

    #[test]
    fn a_reading_makes_the_silence_the_next_change() {
        let start = Instant::now();
        let facts = reading_at(start, 100 * SECOND);
        let next = next_change(&facts, &HealthThresholds::default(), start + 101 * SECOND);
        assert_eq!(next, Some(start + 160 * SECOND));
        assert_eq!(
            next_change(&facts, &HealthThresholds::default(), start + 160 * SECOND),
            None
        );
    }

    /// Situations and the state each must show.
    fn table() -> Vec<Case> {
        vec![
            Case {
                name: "just started, no reading yet: grace",
                facts: HealthFacts::new,
                after: 59 * SECOND,
                expected: LedState::Healthy,
            },
            Case {
                name: "no first reading within the grace",
                facts: HealthFacts::new,
                after: 60 * SECOND,
                expected: LedState::EagleUnreachable,
            },
            Case {
                name: "meter not joined ends the grace at once",
                facts: |start| HealthFacts {
                    meter_offline: true,
                    ..HealthFacts::new(start)
                },
                after: SECOND,
                expected: LedState::EagleUnreachable,
            },
            Case {
                name: "meter not joined although a reading is recent",
                facts: |start| HealthFacts {
                    meter_offline: true,
                    ..reading_at(start, 9 * SECOND)
                },
                after: 10 * SECOND,
                expected: LedState::EagleUnreachable,
            },
            Case {
                name: "last new reading 59 s ago",
                facts: |start| reading_at(start, 100 * SECOND),
                after: 159 * SECOND,
                expected: LedState::Healthy,
            },
            Case {
                name: "last new reading 60 s ago (repeats do not refresh it)",
                facts: |start| reading_at(start, 100 * SECOND),
                after: 160 * SECOND,
                expected: LedState::EagleUnreachable,
            },
            Case {
                name: "answers without values, last new reading 59 s ago",
                facts: answers_without_values,
                after: 159 * SECOND,
                expected: LedState::Healthy,
            },
            Case {
                name: "answers without values, last new reading 60 s ago",
                facts: answers_without_values,
                after: 160 * SECOND,
                expected: LedState::MeterNotReporting,
            },
            Case {
                name: "answers without values from the start, past the grace",
                facts: |start| HealthFacts {
                    last_no_values: Some(start + 54 * SECOND),
                    ..HealthFacts::new(start)
                },
                after: 60 * SECOND,
                expected: LedState::MeterNotReporting,
            },
            Case {
                name: "no answer at all for a minute after answers without values",
                facts: |start| HealthFacts {
                    last_no_values: Some(start + 100 * SECOND),
                    ..reading_at(start, 94 * SECOND)
                },
                after: 160 * SECOND,
                expected: LedState::EagleUnreachable,
            },
            Case {
                name: "credentials refused within the grace",
                facts: |start| HealthFacts {
                    config_error: true,
                    ..HealthFacts::new(start)
                },
                after: SECOND,
                expected: LedState::ConfigError,
            },
            Case {
                name: "storage failing, readings arriving",
                facts: |start| HealthFacts {
                    storage_failing: true,
                    ..reading_at(start, 5 * SECOND)
                },
                after: 6 * SECOND,
                expected: LedState::StorageFailure,
            },
            Case {
                name: "no upload information",
                facts: |start| uploads(start, UploadFacts::default()),
                after: 3 * HOUR,
                expected: LedState::Healthy,
            },
            Case {
                name: "failing, last success 2 periods minus 1 s ago",
                facts: |start| {
                    failing_uploads(start, 600, Some(start + HOUR + SECOND), start + 2 * HOUR)
                },
                after: 3 * HOUR,
                expected: LedState::Healthy,
            },
            Case {
                name: "failing, last success 2 periods ago",
                facts: |start| failing_uploads(start, 600, Some(start + HOUR), start + 2 * HOUR),
                after: 3 * HOUR,
                expected: LedState::UploadFailing,
            },
            Case {
                name: "failing for 2 periods, nothing pending",
                facts: |start| failing_uploads(start, 0, Some(start), start + HOUR),
                after: 3 * HOUR,
                expected: LedState::Healthy,
            },
            Case {
                name: "never succeeded, failing for 2 periods",
                facts: |start| failing_uploads(start, 1, None, start + HOUR),
                after: 3 * HOUR,
                expected: LedState::UploadFailing,
            },
            Case {
                name: "never succeeded, failing for less than 2 periods",
                facts: |start| failing_uploads(start, 1, None, start + HOUR + SECOND),
                after: 3 * HOUR,
                expected: LedState::Healthy,
            },
            Case {
                name: "S3 refuses the credentials: config error at once",
                facts: |start| {
                    let mut facts = failing_uploads(start, 5, None, start + 3 * HOUR - SECOND);
                    facts.upload.config_error = true;
                    facts
                },
                after: 3 * HOUR,
                expected: LedState::ConfigError,
            },
            Case {
                name: "last success long ago but uploads working (nothing complete yet)",
                facts: |start| {
                    uploads(
                        start,
                        UploadFacts {
                            pending_rows: 5,
                            last_success: Some(start),
                            failing_since: None,
                            batch_period: HOUR,
                            config_error: false,
                        },
                    )
                },
                after: 3 * HOUR,
                expected: LedState::Healthy,
            },
        ]
    }

    #[test]
    fn the_table() {
        let start = Instant::now();
        for case in table() {
            let facts = (case.facts)(start);
            let state = assess(&facts, &HealthThresholds::default(), start + case.after);
            assert_eq!(state, case.expected, "{}", case.name);
        }
    }

    #[test]
    fn thresholds_are_honoured() {
        let start = Instant::now();
        let short = HealthThresholds {
            silence: SECOND,
            start_grace: 2 * SECOND,
        };
        let fresh = HealthFacts::new(start);
        assert_eq!(assess(&fresh, &short, start + SECOND), LedState::Healthy);
        assert_eq!(
            assess(&fresh, &short, start + 2 * SECOND),
            LedState::EagleUnreachable
        );
        let read = reading_at(start, SECOND);
        assert_eq!(
            assess(&read, &short, start + 2 * SECOND),
            LedState::EagleUnreachable
        );
    }
}
