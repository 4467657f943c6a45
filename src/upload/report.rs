//! What the upload engine tells the rest of the program: a live status (for the LED and the
//! heartbeat) and events (for `demo` and `flush` output).

use tokio::time::Instant;

use super::error::UploadError;

/// One object the target confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectReport {
    /// Its key.
    pub key: String,
    /// Rows in it (the whole period, including rows uploaded before).
    pub rows: usize,
    /// Rows newly marked uploaded by it.
    pub newly_uploaded: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

/// The upload side's state, as the LED and heartbeat need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadStatus {
    /// Rows not yet confirmed uploaded.
    pub pending_rows: u64,
    /// When the target last confirmed an object (monotonic: immune to clock jumps).
    pub last_success: Option<Instant>,
    /// Since when uploads have failed, or waited for the clock, without a success in between.
    pub failing_since: Option<Instant>,
    /// The last failure's message (no secrets in it).
    pub last_error: Option<String>,
    /// The failure needs someone to edit the config (credentials, bucket).
    pub config_error: bool,
    /// Uploads are held until the clock is synchronized.
    pub waiting_for_clock: bool,
    /// Readings lost since install: pending rows deleted because the buffer reached
    /// `storage.max_size`, and readings dropped from the daemon's full in-memory queue
    /// ([`crate::store::StatusReport::dropped_rows`]).
    pub dropped_rows: u64,
}

impl UploadStatus {
    /// A cycle ended without a failure at `now` (`uploaded`: it confirmed an object).
    pub(super) fn succeeded(&mut self, now: Instant, uploaded: bool) {
        if uploaded {
            self.last_success = Some(now);
        }
        self.failing_since = None;
        self.last_error = None;
        self.config_error = false;
    }

    /// A cycle failed at `now` with `error`.
    pub(super) fn failed(&mut self, now: Instant, error: &UploadError) {
        self.failing_since.get_or_insert(now);
        self.last_error = Some(error.to_string());
        self.config_error = matches!(error, UploadError::Config(_));
        self.waiting_for_clock = matches!(error, UploadError::ClockSkew);
    }

    /// Uploads wait for the clock since `now`: a wait the engine cannot end by itself counts
    /// as failing, for the LED.
    pub(super) fn wait_for_clock(&mut self, now: Instant) {
        self.waiting_for_clock = true;
        self.failing_since.get_or_insert(now);
    }
}

/// The outcome of one cycle.
#[derive(Debug, Default)]
pub struct CycleReport {
    /// Objects confirmed in this cycle, oldest period first.
    pub objects: Vec<ObjectReport>,
    /// The failure that ended the cycle early, if any.
    pub error: Option<UploadError>,
    /// The cycle did nothing because the clock is not synchronized.
    pub waiting_for_clock: bool,
    /// After a `flush` cycle: rows that were pending when it began and still are (0 unless
    /// the target failed). Rows the poll loop commits meanwhile are not counted: they are the
    /// daemon's to upload. `None` for an ordinary cycle, or if the buffer could not tell.
    pub still_pending: Option<u64>,
}

/// Something the upload engine did.
#[derive(Debug, Clone)]
pub enum UploadEvent {
    /// An object was written and its rows marked uploaded.
    Uploaded(ObjectReport),
    /// An attempt failed; everything stays pending.
    Failed {
        /// Stable short name (see [`super::UploadError::kind`]).
        kind: &'static str,
        /// The message.
        message: String,
    },
}
