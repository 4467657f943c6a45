//! `fleet`: which households need a phone call, from the heartbeats in the bucket. Run by
//! program staff with credentials that may list and read `{prefix}status/` (the devices' own
//! credentials may only PUT). The report itself is [`crate::fleet`].

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{load_settings, CommandError};
use crate::fleet::{self, Counts, JsonReport};
use crate::upload::ConfiguredSink;

/// What to print.
#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    /// Every household, not only those needing attention.
    pub all: bool,
    /// JSON for scripts instead of the table.
    pub json: bool,
    /// Also write the HTML report to this file.
    pub html: Option<PathBuf>,
}

/// Prints the summary and the attention list (or JSON); fails with
/// [`CommandError::NeedsAttention`] (exit 3) when any household needs attention, so cron or
/// a CI job can alert.
pub async fn fleet(explicit: Option<&Path>, options: FleetOptions) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let sink = ConfiguredSink::from_settings(&settings.s3);
    let objects = fleet::read_status_objects(&sink, &settings.s3.prefix).await?;
    let now = Utc::now();
    let assessments = fleet::assess_all(objects, now, settings.s3.batch_period * 2);
    if let Some(path) = &options.html {
        std::fs::write(path, fleet::render_html(&assessments, now)).map_err(|e| {
            CommandError::Usage(format!(
                "cannot write the HTML report {}: {e}",
                path.display()
            ))
        })?;
    }
    let text = if options.json {
        let mut json = serde_json::to_string_pretty(&JsonReport::new(&assessments))
            .map_err(|e| CommandError::Usage(format!("cannot write JSON: {e}")))?;
        json.push('\n');
        json
    } else {
        fleet::render_text(&assessments, options.all)
    };
    print_all(&text)?;
    match Counts::of(&assessments).needing_attention() {
        0 => Ok(()),
        n => Err(CommandError::NeedsAttention(n)),
    }
}

/// Writes `text` to stdout; a reader that went away (`fleet --json | head`) is not an error.
fn print_all(text: &str) -> Result<(), CommandError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
