//! `run`: the daemon.

use std::path::Path;
use std::sync::Arc;

use super::{load_settings, CommandError};
use crate::clock::SystemClock;
use crate::daemon::{signal_received, Daemon};

/// Loads the config, opens the buffer and polls until SIGTERM/SIGINT.
pub async fn run(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let daemon = Daemon::from_settings(&settings, Arc::new(SystemClock::new()))?;
    log::info!(
        "rainforest-logger {} for household {}: polling {} every {:?} into {}",
        env!("CARGO_PKG_VERSION"),
        settings.household.id,
        settings.eagle.base_url,
        settings.eagle.poll_interval,
        settings.storage.path.display()
    );
    daemon.run(signal_received()).await;
    log::info!("stopped");
    Ok(())
}
