//! The health model: what the daemon knows ([`HealthFacts`]) → the one state the LED shows
//! ([`LedState`]), by the priorities of docs/design.md §7. Pure logic; time is always passed in.
//!
//! ```text
//!   DaemonEvent ─→ HealthTracker (HealthFacts) ─→ assess(facts, thresholds, now) ─→ LedState
//!   upload engine ─→ UploadFacts ─┘
//! ```

mod assess;
mod facts;
mod state;
mod thresholds;
mod tracker;

pub use assess::{assess, next_change};
pub use facts::{HealthFacts, UploadFacts};
pub use state::LedState;
pub use thresholds::{HealthThresholds, UPLOAD_PERIODS};
pub use tracker::HealthTracker;
