//! `flush`: upload every complete pending period now (before a box is unplugged, or to test
//! the credentials end to end).

use std::path::Path;
use std::sync::Arc;

use super::{load_settings, CommandError};
use crate::clock::SystemClock;
use crate::upload::{ObjectSink, UploadError, Uploader};

/// Uploads all complete periods with pending rows, oldest first; exit 2 if anything failed.
pub async fn flush(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let mut uploader = Uploader::from_settings(&settings, Arc::new(SystemClock::new()))?;
    println!("flushing to {}", uploader.sink().describe());
    let report = uploader.cycle(true).await;
    if report.waiting_for_clock {
        return Err(CommandError::Upload(UploadError::Transient(
            "the clock is not synchronized (NTP) and clock.require_sync is true: nothing uploaded"
                .into(),
        )));
    }
    for object in &report.objects {
        println!(
            "uploaded {:>6} rows {:>9} bytes  {}",
            object.rows, object.bytes, object.key
        );
    }
    println!("{} object(s) uploaded", report.objects.len());
    match report.error {
        Some(error) => Err(CommandError::Upload(error)),
        None => Ok(()),
    }
}
