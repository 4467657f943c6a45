//! `run`: the daemon.

use std::path::Path;
use std::sync::Arc;

use super::{load_settings, CommandError};
use crate::clock::{Clock, SystemClock};
use crate::daemon::{shutdown_channel, signal_received, Daemon};
use crate::upload::{ObjectSink, Uploader};

/// Loads the config, opens the buffer, then polls and uploads until SIGTERM/SIGINT.
pub async fn run(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let daemon = Daemon::from_settings(&settings, Arc::clone(&clock))?;
    let uploader = Uploader::from_settings(&settings, clock)?;
    log::info!(
        "rainforest-logger {} for household {}: polling {} every {:?} into {}; uploading {:?} batches to {}",
        env!("CARGO_PKG_VERSION"),
        settings.household.id,
        settings.eagle.base_url,
        settings.eagle.poll_interval,
        settings.storage.path.display(),
        settings.s3.batch_period,
        uploader.sink().describe(),
    );
    let (trigger, shutdown) = shutdown_channel();
    let polling = tokio::spawn(daemon.run(shutdown.clone().wait()));
    let uploading = tokio::spawn(uploader.run(shutdown.wait()));
    signal_received().await;
    trigger.fire();
    let _ = tokio::join!(polling, uploading);
    log::info!("stopped");
    Ok(())
}
