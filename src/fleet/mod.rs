//! The fleet report behind `rainforest-logger fleet`: which households need a phone call,
//! why, since when, and how complete their data is, from the heartbeats in the bucket.
//!
//! ```text
//!   read (bounded, concurrent GETs; household from the key, age from the store)
//!     → assess (state, reason, since, completeness; text escaped)
//!     → render_text (summary line + attention list) | JSON | render_html (one file)
//! ```
//!
//! Heartbeats are untrusted input: each household can write any bytes to its own status
//! object. Nothing one writes can hide its object, speak for another household, dodge
//! staleness, reach the terminal as a control character or exhaust the reader's memory.

mod assess;
mod read;
mod render_html;
mod render_text;

use serde::Serialize;

pub use assess::{assess_all, words, Assessment, State, INCOMPLETE_BELOW};
pub use read::{read_status_objects, Content, StatusObject, CONCURRENCY, MAX_HEARTBEAT_BYTES};
pub use render_html::{render_html, MAX_HOME_ROWS};
pub use render_text::render_text;

/// Households per state, in [`State::SUMMARY_ORDER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts(pub Vec<(State, usize)>);

impl Counts {
    /// Counts of `assessments`, every state present (zeros included).
    pub fn of(assessments: &[Assessment]) -> Counts {
        Counts(
            State::SUMMARY_ORDER
                .iter()
                .map(|&state| {
                    (
                        state,
                        assessments.iter().filter(|a| a.state == state).count(),
                    )
                })
                .collect(),
        )
    }

    /// Households that need attention.
    pub fn needing_attention(&self) -> usize {
        self.0
            .iter()
            .filter(|(state, _)| state.needs_attention())
            .map(|(_, n)| n)
            .sum()
    }

    /// All households.
    pub fn total(&self) -> usize {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// What `fleet --json` prints: the counts, then every household worst first.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// Households per state (`{"healthy": 5, "stale": 1, …}`).
    pub summary: std::collections::BTreeMap<String, usize>,
    /// Households that need attention.
    pub needing_attention: usize,
    /// Every household, worst first.
    pub households: &'a [Assessment],
}

impl<'a> JsonReport<'a> {
    /// The report of `assessments`.
    pub fn new(assessments: &'a [Assessment]) -> JsonReport<'a> {
        let counts = Counts::of(assessments);
        JsonReport {
            summary: counts.0.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            needing_attention: counts.needing_attention(),
            households: assessments,
        }
    }
}
