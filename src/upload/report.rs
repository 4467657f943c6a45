//! What the upload engine tells the rest of the program: a live status (for the LED and the
//! heartbeat) and events (for `demo` and `flush` output).

use tokio::time::Instant;

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
    /// Pending rows deleted because the buffer reached `storage.max_size`, since install.
    pub dropped_rows: u64,
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
