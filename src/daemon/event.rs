//! What the daemon tells its observers (the `demo` printout, later the LED and heartbeat).

use crate::reading::StoredReading;

/// One thing that happened in the poll loop.
#[derive(Debug, Clone)]
pub enum DaemonEvent {
    /// A new reading was committed to the buffer.
    Stored(Box<StoredReading>),
    /// The poll returned the reading already stored (LastContact did not advance).
    Repeat,
    /// The EAGLE answered, the meter is joined, but the reply carried no demand and no
    /// summation: nothing was stored (the meter is not reporting).
    NoValues,
    /// The poll failed; the next tick tries again.
    PollFailed {
        /// Stable short name of the failure (see [`crate::eagle::EagleError::kind`]).
        kind: &'static str,
        /// True when only a person editing the config can fix it (HTTP 401).
        needs_config: bool,
        /// True when the EAGLE answered but the meter is not joined.
        meter_offline: bool,
    },
    /// A reading could not be written to the buffer; it is kept in memory and retried.
    StorageFailed {
        /// Readings waiting in memory.
        waiting: usize,
    },
}
