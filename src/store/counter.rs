//! Every event counter the logger keeps, named once.
//!
//! The names are persisted in the buffer's `events` table (buffers on boxes in the field hold
//! them) and carried by the heartbeat, which analysts read: they never change, only new ones
//! are added.

use std::borrow::Cow;

use super::events::EventSummary;
use super::StatusReport;

/// Prefix of the counters of failed polls, by kind (`eagle.timeout`, `eagle.busy`, …): the
/// heartbeat carries those as its polls failed by kind.
const POLL_FAILED_PREFIX: &str = "eagle.";

/// One event counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// A poll failed; the kind is [`crate::eagle::EagleError::kind`].
    PollFailed(&'static str),
    /// The EAGLE answered without demand and without summation (the meter is not reporting).
    NoValues,
    /// The EAGLE served the reading already recorded.
    PollRepeat,
    /// A value in a reply was unusable; the kind is the anomaly's.
    ValueAnomaly(&'static str),
    /// A summation of 0 right after a non-zero one (EAGLE restart) was left out.
    DeliveredZeroOmitted,
    /// The EAGLE's LastContact went backwards.
    MeterTimeBackwards,
    /// A write of readings to the buffer failed (they wait in memory or in the journal).
    StoreWriteFailed,
    /// Readings dropped, before they got a seq, because the in-memory queue of readings
    /// waiting for an unwritable buffer was full.
    QueueOverflow,
    /// Pending rows deleted to keep the buffer under `storage.max_size`.
    DroppedPending,
    /// A damaged buffer was set aside and a new one started.
    BufferSetAside,
    /// The target confirmed an object; its `last_at` is the last upload.
    Upload,
    /// An upload attempt failed; the kind is [`crate::upload::UploadError::kind`].
    UploadFailed(&'static str),
    /// Uploads wait for the clock to be synchronized.
    WaitingForClock,
    /// Pruning the buffer failed.
    PruneFailed,
    /// The heartbeat could not be built or written.
    Heartbeat,
}

impl Counter {
    /// The counter's persisted name.
    pub fn as_str(&self) -> Cow<'static, str> {
        let fixed = match self {
            Counter::PollFailed(kind) => return format!("{POLL_FAILED_PREFIX}{kind}").into(),
            Counter::ValueAnomaly(kind) => return format!("value.{kind}").into(),
            Counter::UploadFailed(kind) => return format!("upload.{kind}").into(),
            Counter::NoValues => "eagle.no_values",
            Counter::PollRepeat => "poll.repeat",
            Counter::DeliveredZeroOmitted => "reading.delivered_zero_omitted",
            Counter::MeterTimeBackwards => "reading.meter_time_backwards",
            Counter::StoreWriteFailed => "store.write_failed",
            Counter::QueueOverflow => "store.dropped",
            Counter::DroppedPending => "storage.dropped_pending",
            Counter::BufferSetAside => "storage.buffer_set_aside",
            Counter::Upload => "upload",
            Counter::WaitingForClock => "upload.waiting_for_clock",
            Counter::PruneFailed => "upload.prune_failed",
            Counter::Heartbeat => "upload.heartbeat",
        };
        Cow::Borrowed(fixed)
    }

    /// Whether the persisted `name` counts failed polls (the heartbeat's `poll_failures`).
    pub fn is_poll_failure(name: &str) -> bool {
        name.starts_with(POLL_FAILED_PREFIX)
    }

    /// This counter among `events`, if it was ever recorded.
    pub fn find(self, events: &[EventSummary]) -> Option<&EventSummary> {
        let name = self.as_str();
        events.iter().find(|e| e.name == name)
    }

    /// This counter's total among `events` (0 if never recorded).
    pub fn count_in(self, events: &[EventSummary]) -> u64 {
        self.find(events).map_or(0, |e| e.count)
    }
}

impl std::fmt::Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl StatusReport {
    /// Readings lost on this box since install: pending rows deleted to respect
    /// `storage.max_size` plus readings dropped from the full in-memory queue before they
    /// reached the buffer. `status`, the upload status and the heartbeat all show this sum.
    pub fn dropped_rows(&self) -> u64 {
        Counter::DroppedPending.count_in(&self.events)
            + Counter::QueueOverflow.count_in(&self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_names_are_the_ones_buffers_in_the_field_hold() {
        let names: Vec<_> = [
            Counter::PollFailed("timeout"),
            Counter::NoValues,
            Counter::PollRepeat,
            Counter::ValueAnomaly("demand"),
            Counter::QueueOverflow,
            Counter::DroppedPending,
            Counter::BufferSetAside,
            Counter::Upload,
            Counter::UploadFailed("network"),
        ]
        .iter()
        .map(Counter::as_str)
        .collect();
        assert_eq!(
            names,
            [
                "eagle.timeout",
                "eagle.no_values",
                "poll.repeat",
                "value.demand",
                "store.dropped",
                "storage.dropped_pending",
                "storage.buffer_set_aside",
                "upload",
                "upload.network"
            ]
        );
        assert!(Counter::is_poll_failure("eagle.timeout"));
        assert!(!Counter::is_poll_failure("upload.network"));
    }
}
