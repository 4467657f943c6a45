//! `status`: what the local buffer holds, read while the daemon runs.

use std::path::Path;

use super::{load_settings, CommandError};
use crate::health::{HealthThresholds, LedState};
use crate::store::{Counter, StatusReport, Store};
use crate::upload::{ConfiguredSink, ObjectSink};

/// Prints the buffer's state. Does not create a buffer that does not exist yet.
pub fn status(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let path = &settings.storage.path;
    if !path.exists() {
        println!(
            "no buffer at {} yet: the logger has not run with this config",
            path.display()
        );
        return Ok(());
    }
    let report =
        Store::open_with_journal_dir(path, settings.storage.journal_dir.as_deref())?.status()?;
    let target = ConfiguredSink::from_settings(&settings.s3).describe();
    print_report(&settings.household.id, path, &target, &report);
    Ok(())
}

fn print_report(household: &str, path: &Path, target: &str, report: &StatusReport) {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(|| "never".to_string(), |t| t.to_rfc3339())
    };
    println!("household        {household}");
    println!(
        "buffer           {} ({} bytes)",
        path.display(),
        report.file_size
    );
    if report.journaled > 0 {
        println!(
            "readings stored  {} ({} in the journal, not yet in the database)",
            report.readings_stored, report.journaled
        );
    } else {
        println!("readings stored  {}", report.readings_stored);
    }
    println!("pending upload   {}", report.pending_upload);
    println!("oldest pending   {}", time(report.first_pending));
    match &report.last_reading {
        Some(last) => println!(
            "last reading     seq {} at {} (meter {})",
            last.seq,
            last.reading.time.to_rfc3339(),
            last.reading.meter
        ),
        None => println!("last reading     none"),
    }
    if let Some(seen) = report.meter_not_reporting(HealthThresholds::default().silence) {
        let state = LedState::MeterNotReporting;
        println!(
            "health           {state}: the EAGLE answered without values at {}; {}",
            seen.to_rfc3339(),
            state.meaning()
        );
    }
    println!("upload target    {target}");
    println!("last upload      {}", time(report.last_upload));
    println!("dropped rows     {}", report.dropped_rows());
    if let Some(event) = Counter::BufferSetAside.find(&report.events) {
        println!(
            "set aside        {}: {}",
            time(Some(event.last_at)),
            event.last_message.as_deref().unwrap_or("")
        );
    }
    match &report.last_error {
        Some(event) => println!(
            "last error       {} ({}): {}",
            time(Some(event.last_at)),
            event.name,
            event.last_message.as_deref().unwrap_or("")
        ),
        None => println!("last error       none"),
    }
    if !report.events.is_empty() {
        println!("\ncounters");
        for event in &report.events {
            println!("  {:<36} {}", event.name, event.count);
        }
    }
}
