//! `flush`: upload every pending row now, the open period included (before a box is
//! unplugged, or to test the credentials end to end).

use std::path::Path;
use std::sync::Arc;

use super::{load_settings, CommandError};
use crate::clock::SystemClock;
use crate::store::Store;
use crate::upload::{ObjectSink, UploadError, Uploader};

/// Uploads every period holding a pending row, oldest first, and prints the rows still
/// pending; exit 2 if any are (docs/design.md §5).
pub async fn flush(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    // Readings a killed daemon left in the journal are committed first, so they are flushed too.
    Store::open_with_journal_dir(
        &settings.storage.path,
        settings.storage.journal_dir.as_deref(),
    )?
    .commit_every(None)?;
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
    match report.still_pending {
        Some(rows) => println!("{rows} row(s) still pending"),
        None => println!("rows still pending: unknown (the buffer could not be read)"),
    }
    match (report.error, report.still_pending) {
        (Some(error), _) => Err(CommandError::Upload(error)),
        (None, Some(0)) => Ok(()),
        (None, _) => Err(CommandError::Upload(UploadError::Transient(
            "rows are still pending after the flush; see the log above".into(),
        ))),
    }
}
