//! `fleet`: which households went quiet, from the heartbeats in the bucket. Run by program
//! staff with credentials that may list and read `{prefix}status/` (the devices' own
//! credentials may only PUT).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{load_settings, CommandError};
use crate::config::Settings;
use crate::upload::{ConfiguredSink, Heartbeat, UploadError};

/// One household's line.
#[derive(Debug, Serialize)]
struct FleetRow {
    heartbeat: Heartbeat,
    age_s: Option<i64>,
    stale: bool,
}

/// Prints one row per household (or JSON with `--json`); stale ones (no heartbeat for two
/// periods) are flagged.
pub async fn fleet(explicit: Option<&Path>, json: bool) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let heartbeats = read_heartbeats(&settings).await?;
    let now = Utc::now();
    let stale_after = settings.s3.batch_period * 2;
    let rows: Vec<FleetRow> = heartbeats
        .into_iter()
        .map(|heartbeat| row(heartbeat, now, stale_after))
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(());
    }
    println!(
        "{:<20} {:>10} {:>9} {:>8}  {:<20}  last error",
        "household", "age", "pending", "dropped", "last reading"
    );
    for r in &rows {
        let h = &r.heartbeat;
        println!(
            "{:<20} {:>10} {:>9} {:>8}  {:<20}  {}{}",
            h.household,
            r.age_s.map_or_else(|| "?".to_string(), |s| format!("{s}s")),
            h.pending_rows,
            h.dropped_rows,
            h.last_reading.as_deref().unwrap_or("never"),
            h.last_error.as_deref().unwrap_or("-"),
            if r.stale { "   STALE" } else { "" }
        );
    }
    let stale = rows.iter().filter(|r| r.stale).count();
    println!(
        "{} household(s), {stale} stale (no heartbeat for {}s)",
        rows.len(),
        stale_after.as_secs()
    );
    Ok(())
}

fn row(heartbeat: Heartbeat, now: DateTime<Utc>, stale_after: Duration) -> FleetRow {
    let age_s = DateTime::parse_from_rfc3339(&heartbeat.time)
        .ok()
        .map(|t| (now - t.with_timezone(&Utc)).num_seconds());
    let limit = i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
    FleetRow {
        stale: age_s.is_none_or(|age| age > limit),
        age_s,
        heartbeat,
    }
}

/// Every `{prefix}status/household=*.json` in the bucket (or directory), sorted by household.
async fn read_heartbeats(settings: &Settings) -> Result<Vec<Heartbeat>, CommandError> {
    let prefix = format!("{}status/", settings.s3.prefix);
    let mut documents: Vec<Vec<u8>> = Vec::new();
    match ConfiguredSink::from_settings(&settings.s3) {
        ConfiguredSink::Directory(sink) => {
            let dir = sink.root().join(&prefix);
            if dir.is_dir() {
                for entry in std::fs::read_dir(dir)? {
                    documents.push(std::fs::read(entry?.path())?);
                }
            }
        }
        ConfiguredSink::S3(sink) => {
            let bucket = sink.bucket();
            let listed = bucket
                .list(prefix, None)
                .await
                .map_err(|e| CommandError::Upload(crate::upload::classify_s3_error(e)))?;
            for object in listed.iter().flat_map(|page| &page.contents) {
                let response = bucket
                    .get_object(&object.key)
                    .await
                    .map_err(|e| CommandError::Upload(crate::upload::classify_s3_error(e)))?;
                documents.push(response.bytes().to_vec());
            }
        }
        ConfiguredSink::Unusable(reason) => {
            return Err(CommandError::Upload(UploadError::Config(reason)))
        }
    }
    let mut heartbeats: Vec<Heartbeat> = documents
        .iter()
        .filter_map(|bytes| serde_json::from_slice(bytes).ok())
        .collect();
    heartbeats.sort_by(|a, b| a.household.cmp(&b.household));
    Ok(heartbeats)
}
