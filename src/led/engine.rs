//! The pattern engine: plays the pattern of the current state on any `OutputPin`, with tokio
//! time, until the state channel closes.

use embedded_hal::digital::OutputPin;
use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};

use super::pattern::{pattern, Pattern};
use crate::config::HealthyPattern;
use crate::health::LedState;

/// Plays the pattern of the latest state in `states` on `pin` (high = lit), starting each
/// pattern from its beginning as soon as the state changes, so a change shows at once. When
/// `states` closes, turns the LED off and returns the pin (whose drop releases it).
///
/// A pin that fails to switch is logged once (and again after it recovered and failed
/// anew); the engine carries on, so a flaky LED never stops anything else.
pub async fn drive<P: OutputPin>(
    pin: P,
    healthy: HealthyPattern,
    mut states: watch::Receiver<LedState>,
) -> P {
    let mut output = Output {
        pin,
        lit: None,
        failing: false,
    };
    loop {
        let state = *states.borrow_and_update();
        if play(&mut output, pattern(state, healthy), &mut states)
            .await
            .is_err()
        {
            break;
        }
    }
    output.set(false);
    output.pin
}

/// Plays `pattern` until the state changes (`Ok`) or the channel closes (`Err`).
async fn play<P: OutputPin>(
    output: &mut Output<P>,
    pattern: Pattern,
    states: &mut watch::Receiver<LedState>,
) -> Result<(), watch::error::RecvError> {
    match pattern {
        Pattern::Steady(lit) => {
            output.set(lit);
            states.changed().await
        }
        Pattern::Cycle(segments) => {
            // Deadlines add up from the pattern's start, so the rhythm never drifts.
            let mut deadline = Instant::now();
            loop {
                for segment in segments {
                    output.set(segment.lit);
                    deadline += segment.duration;
                    tokio::select! {
                        _ = sleep_until(deadline) => {}
                        changed = states.changed() => return changed,
                    }
                }
            }
        }
    }
}

/// The pin, what it was last set to, and whether it is failing.
struct Output<P> {
    pin: P,
    /// `None` before the first successful write and after a failed one (so it is retried).
    lit: Option<bool>,
    failing: bool,
}

impl<P: OutputPin> Output<P> {
    /// Switches the LED, skipping writes that would not change it.
    fn set(&mut self, lit: bool) {
        if self.lit == Some(lit) {
            return;
        }
        let result = if lit {
            self.pin.set_high()
        } else {
            self.pin.set_low()
        };
        match result {
            Ok(()) => {
                self.lit = Some(lit);
                if self.failing {
                    log::info!("the status LED can be switched again");
                    self.failing = false;
                }
            }
            Err(e) => {
                self.lit = None;
                if !self.failing {
                    log::warn!("cannot switch the status LED: {e:?}");
                    self.failing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use embedded_hal::digital::{ErrorKind, ErrorType};

    use super::*;
    use crate::led::recording::RecordingPin;

    const MS: Duration = Duration::from_millis(1);

    /// A state as configured to look: what a household can see.
    type Look = (LedState, HealthyPattern);

    /// Every pattern a household can see: the five problems and the three healthy choices.
    fn all_looks() -> Vec<Look> {
        let mut looks: Vec<_> = LedState::ALL[..5]
            .iter()
            .map(|&state| (state, HealthyPattern::Heartbeat))
            .collect();
        for healthy in [
            HealthyPattern::Heartbeat,
            HealthyPattern::On,
            HealthyPattern::Off,
        ] {
            looks.push((LedState::Healthy, healthy));
        }
        looks
    }

    /// Runs the engine in `state` for `length` of paused time; returns `(ms since start,
    /// lit)` for every write.
    async fn timeline(
        state: LedState,
        healthy: HealthyPattern,
        length: Duration,
    ) -> Vec<(u64, bool)> {
        let pin = RecordingPin::new();
        let (states, receiver) = watch::channel(state);
        let start = Instant::now();
        let engine = tokio::spawn(drive(pin.clone(), healthy, receiver));
        tokio::time::sleep(length).await;
        let record: Vec<(u64, bool)> = pin
            .record()
            .into_iter()
            .map(|(at, lit)| (at.duration_since(start).as_millis() as u64, lit))
            .collect();
        drop(states);
        engine.await.unwrap();
        record
    }

    #[tokio::test(start_paused = true)]
    async fn exact_timeline_of_every_state() {
        let second = Duration::from_secs(1);
        let heartbeat = HealthyPattern::Heartbeat;
        assert_eq!(
            timeline(LedState::ConfigError, heartbeat, second).await,
            vec![
                (0, true),
                (125, false),
                (250, true),
                (375, false),
                (500, true),
                (625, false),
                (750, true),
                (875, false),
            ]
        );
        assert_eq!(
            timeline(LedState::StorageFailure, heartbeat, 5 * second).await,
            vec![
                (0, true),
                (1_750, false),
                (2_000, true),
                (3_750, false),
                (4_000, true)
            ]
        );
        assert_eq!(
            timeline(LedState::EagleUnreachable, heartbeat, 3 * second).await,
            vec![
                (0, true),
                (500, false),
                (1_000, true),
                (1_500, false),
                (2_000, true),
                (2_500, false)
            ]
        );
        assert_eq!(
            timeline(LedState::MeterNotReporting, heartbeat, 2 * second).await,
            vec![(0, true), (250, false), (1_000, true), (1_250, false)]
        );
        assert_eq!(
            timeline(LedState::UploadFailing, heartbeat, 9 * second).await,
            vec![
                (0, true),
                (2_000, false),
                (4_000, true),
                (6_000, false),
                (8_000, true)
            ]
        );
        assert_eq!(
            timeline(LedState::Healthy, heartbeat, 7 * second).await,
            vec![
                (0, true),
                (100, false),
                (3_000, true),
                (3_100, false),
                (6_000, true),
                (6_100, false)
            ]
        );
        // Steady patterns write once and then leave the LED alone.
        assert_eq!(
            timeline(LedState::Healthy, HealthyPattern::On, 10 * second).await,
            vec![(0, true)]
        );
        assert_eq!(
            timeline(LedState::Healthy, HealthyPattern::Off, 10 * second).await,
            vec![(0, false)]
        );
    }

    /// The level at `t` ms of a recorded timeline.
    fn level_at(timeline: &[(u64, bool)], t: u64) -> bool {
        timeline
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .is_some_and(|(_, lit)| *lit)
    }

    #[tokio::test(start_paused = true)]
    async fn no_two_patterns_look_alike_in_any_four_second_glance() {
        // Every pattern repeats within 4 s, so windows starting in the first 4 s cover every
        // phase; 25 ms is a common divisor of every segment length.
        const STEP: u64 = 25;
        const WINDOW: u64 = 4_000;
        let mut glances: Vec<(Look, HashSet<Vec<bool>>)> = Vec::new();
        for (state, healthy) in all_looks() {
            let recorded = timeline(state, healthy, Duration::from_secs(9)).await;
            let windows: HashSet<Vec<bool>> = (0..WINDOW / STEP)
                .map(|start| {
                    (0..WINDOW / STEP)
                        .map(|i| level_at(&recorded, (start + i) * STEP))
                        .collect()
                })
                .collect();
            glances.push(((state, healthy), windows));
        }
        for (i, (a, windows_a)) in glances.iter().enumerate() {
            for (b, windows_b) in &glances[i + 1..] {
                assert!(
                    windows_a.is_disjoint(windows_b),
                    "{a:?} and {b:?} can look the same for 4 s"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_restarts_the_pattern_at_once_and_closing_turns_it_off() {
        let pin = RecordingPin::new();
        let (states, receiver) = watch::channel(LedState::Healthy);
        let start = Instant::now();
        let engine = tokio::spawn(drive(pin.clone(), HealthyPattern::On, receiver));
        tokio::time::sleep(1_000 * MS).await;
        states.send_replace(LedState::EagleUnreachable);
        tokio::time::sleep(1_200 * MS).await;
        states.send_replace(LedState::ConfigError);
        tokio::time::sleep(300 * MS).await;
        drop(states);
        engine.await.unwrap();
        let record: Vec<(u64, bool)> = pin
            .record()
            .into_iter()
            .map(|(at, lit)| (at.duration_since(start).as_millis() as u64, lit))
            .collect();
        assert_eq!(
            record,
            vec![
                // Healthy (on); the blink starts lit, so nothing is written at 1 000 ms.
                (0, true),
                (1_500, false),
                (2_000, true),
                // Config error at 2 200 ms: the flicker starts lit (already lit).
                (2_325, false),
                (2_450, true),
                // Closed at 2 500 ms: dark.
                (2_500, false),
            ]
        );
    }

    /// A pin that fails its first `failures` writes.
    struct FlakyPin {
        failures: usize,
        writes: Vec<bool>,
    }

    impl ErrorType for FlakyPin {
        type Error = ErrorKind;
    }

    impl OutputPin for FlakyPin {
        fn set_low(&mut self) -> Result<(), ErrorKind> {
            self.write(false)
        }
        fn set_high(&mut self) -> Result<(), ErrorKind> {
            self.write(true)
        }
    }

    impl FlakyPin {
        fn write(&mut self, lit: bool) -> Result<(), ErrorKind> {
            if self.failures > 0 {
                self.failures -= 1;
                return Err(ErrorKind::Other);
            }
            self.writes.push(lit);
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_pin_is_retried_and_never_stops_the_engine() {
        let (states, receiver) = watch::channel(LedState::Healthy);
        let engine = tokio::spawn(drive(
            FlakyPin {
                failures: 1,
                writes: Vec::new(),
            },
            HealthyPattern::On,
            receiver,
        ));
        tokio::time::sleep(100 * MS).await;
        // The steady "on" failed once; the next pattern's writes go through.
        states.send_replace(LedState::EagleUnreachable);
        tokio::time::sleep(600 * MS).await;
        drop(states);
        let pin = engine.await.unwrap();
        assert_eq!(pin.writes, vec![true, false]);
    }
}
