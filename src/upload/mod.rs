//! Hourly batches to S3: store-and-forward that is idempotent by construction.
//!
//! ```text
//!   Store (pending rows) → Period (UTC-aligned) → object (gzip NDJSON, deterministic)
//!        → ObjectSink::put (S3 with Content-MD5, or a directory) → Store::mark_uploaded
//! ```
//!
//! The key depends only on household and period and the bytes only on the rows, so a retry,
//! a crash between PUT and commit, or late rows all overwrite the same object with a superset:
//! never a twin, never a loss. Rows are marked uploaded only after the target confirmed the
//! object that holds them. Nothing here uses GET, HEAD or LIST: the device credential needs
//! only `s3:PutObject`.

mod backoff;
mod dir_sink;
mod engine;
mod error;
mod heartbeat;
mod key;
mod led_report;
mod object;
mod period;
mod policy;
mod report;
mod s3_response;
mod s3_sink;
mod sink;
mod uploader;

pub use backoff::{Backoff, FIRST_RETRY, MAX_RETRY};
pub use dir_sink::DirSink;
pub use error::UploadError;
pub use heartbeat::{
    expected_per_hour, free_disk_bytes, timestamp, Completeness, Heartbeat, HeartbeatFacts, DAYS,
    HOURS, METER_INTERVAL_HOURS,
};
pub use key::{KeyTemplate, DEFAULT_TEMPLATE};
pub use object::{build_object, ndjson_line};
pub use period::{fleet_delay, Period};
pub use policy::{UploadPolicy, CHECK_EVERY, SETTLE};
pub use report::{CycleReport, ObjectReport, UploadEvent, UploadStatus};
pub use s3_response::ERROR_BODY_LIMIT;
pub use s3_sink::{classify as classify_s3_error, S3Sink};
pub use sink::{ConfiguredSink, ObjectSink};
pub use uploader::Uploader;
