//! The blink pattern for each state: the table of docs/design.md §7, as on/off timelines.
//!
//! | state | pattern | period |
//! |---|---|---|
//! | config error | fast flicker: 125 ms on, 125 ms off (4 Hz) | 0.25 s |
//! | storage failure | mostly on: 1.75 s on, 0.25 s off | 2 s |
//! | EAGLE unreachable | even blink: 0.5 s on, 0.5 s off (1 Hz) | 1 s |
//! | meter not reporting | short blink: 0.25 s on, 0.75 s off (1 Hz) | 1 s |
//! | upload failing | slow blink: 2 s on, 2 s off | 4 s |
//! | healthy, `heartbeat` | a 0.1 s blip every 3 s | 3 s |
//! | healthy, `on` | steadily on | — |
//! | healthy, `off` | dark | — |
//!
//! Every pattern is one even rhythm, never groups of flashes, so none can be mistaken for the
//! Pi firmware's "N long + M short" codes; and no two patterns look alike in any 4-second
//! glance (tested for every phase in `tests`).

use std::time::Duration;

use crate::config::HealthyPattern;
use crate::health::LedState;

/// One stretch of a pattern: the LED on or off for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// LED lit.
    pub lit: bool,
    /// How long.
    pub duration: Duration,
}

/// What the LED does in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Always on (`true`) or always off.
    Steady(bool),
    /// These segments, over and over, from the first.
    Cycle(&'static [Segment]),
}

const fn on(ms: u64) -> Segment {
    Segment {
        lit: true,
        duration: Duration::from_millis(ms),
    }
}

const fn off(ms: u64) -> Segment {
    Segment {
        lit: false,
        duration: Duration::from_millis(ms),
    }
}

const FLICKER: &[Segment] = &[on(125), off(125)];
const MOSTLY_ON: &[Segment] = &[on(1_750), off(250)];
const EVEN_BLINK: &[Segment] = &[on(500), off(500)];
/// The EAGLE unreachable tempo with half the light: the same "look at the EAGLE" family,
/// told apart by the short flash.
const SHORT_BLINK: &[Segment] = &[on(250), off(750)];
const SLOW_BLINK: &[Segment] = &[on(2_000), off(2_000)];
const HEARTBEAT: &[Segment] = &[on(100), off(2_900)];

/// The pattern for `state`, with `healthy` choosing what "all is well" looks like.
pub fn pattern(state: LedState, healthy: HealthyPattern) -> Pattern {
    match state {
        LedState::ConfigError => Pattern::Cycle(FLICKER),
        LedState::StorageFailure => Pattern::Cycle(MOSTLY_ON),
        LedState::EagleUnreachable => Pattern::Cycle(EVEN_BLINK),
        LedState::MeterNotReporting => Pattern::Cycle(SHORT_BLINK),
        LedState::UploadFailing => Pattern::Cycle(SLOW_BLINK),
        LedState::Healthy => match healthy {
            HealthyPattern::Heartbeat => Pattern::Cycle(HEARTBEAT),
            HealthyPattern::On => Pattern::Steady(true),
            HealthyPattern::Off => Pattern::Steady(false),
        },
    }
}
