//! `run`: the daemon, as a systemd service.
//!
//! A config that cannot be used does not end `run`: exiting would only make systemd restart
//! it in a loop with the LED showing nothing, while the household is the one who sees the
//! LED. Instead `run` takes the LED from the file's `[led]` section (or the defaults), shows
//! config error (or storage failure when the buffer cannot be opened), logs the problem, and
//! tries again as soon as the file changes, and every [`RETRY`] in any case.
//! `check-config` still exits 1 on the same file.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use super::{config_path, load_settings, CommandError};
use crate::clock::SystemClock;
use crate::config::{self, ConfigError, LedSettings, Settings};
use crate::daemon::{signal_received, Daemon, DaemonError};
use crate::eagle::Eagle;
use crate::health::LedState;
use crate::led::Led;
use crate::logger::{feed_watchdog, Indicator, Logger, Notifier, Parts};
use crate::upload::{ConfiguredSink, ObjectSink};

/// How often a config that could not be used is tried again even if the file did not change
/// (the problem may be elsewhere: a card that was full, a directory that now exists).
pub const RETRY: Duration = Duration::from_secs(30);

/// How often the config file is looked at (metadata only) while waiting for a fix.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Runs the daemon until SIGTERM/SIGINT, first waiting for a usable config if need be.
pub async fn run(explicit: Option<&Path>) -> Result<(), CommandError> {
    let notifier = Notifier::from_env(&config::process_env);
    let signalled = signal_received();
    let stopping = async {
        signalled.await;
        notifier.stopping();
    };
    tokio::pin!(stopping);
    let first = attempt(explicit)?;
    let (led, initial) = match &first {
        Attempt::Ready(ready) => (&ready.0.led, LedState::Healthy),
        Attempt::Blocked(blocked) => (&blocked.led, blocked.state),
    };
    let mut indicator = Indicator::new(Led::start(led, initial), notifier.clone());
    let (settings, daemon) =
        match wait_until_ready(first, explicit, &mut indicator, &mut stopping).await {
            Ok(Some(ready)) => ready,
            Ok(None) => {
                indicator.stop().await;
                log::info!("stopped");
                return Ok(());
            }
            Err(error) => {
                indicator.stop().await;
                return Err(error.into());
            }
        };
    indicator.use_led(&settings.led).await;
    let sink = ConfiguredSink::from_settings(&settings.s3);
    let mut parts = Parts::new(settings, daemon, sink, Arc::new(SystemClock::new()));
    parts.indicator = Some(indicator);
    let logger = Logger::assemble(parts).await?;
    let settings = logger.settings();
    log::info!(
        "rainforest-logger {} for household {} (config {}): polling {} every {:?} into {}; \
         uploading {:?} batches to {}",
        super::VERSION,
        settings.household.id,
        settings.source.display(),
        settings.eagle.base_url,
        settings.eagle.poll_interval,
        settings.storage.path.display(),
        settings.s3.batch_period,
        logger.sink().describe(),
    );
    logger.run(stopping).await;
    log::info!("stopped");
    Ok(())
}

/// Shows and logs why `attempt` is blocked, and tries again until it is ready (`Some`) or
/// `stopping` completes (`None`).
async fn wait_until_ready(
    mut attempt: Attempt,
    explicit: Option<&Path>,
    indicator: &mut Indicator,
    stopping: &mut (impl Future<Output = ()> + Unpin),
) -> Result<Option<(Settings, Daemon<Eagle>)>, DaemonError> {
    let mut reported: Option<String> = None;
    loop {
        let blocked = match attempt {
            Attempt::Ready(ready) => return Ok(Some(*ready)),
            Attempt::Blocked(blocked) => blocked,
        };
        indicator.use_led(&blocked.led).await;
        let summary = blocked.problem.lines().next().unwrap_or_default();
        indicator.show(blocked.state, &format!("{summary}; waiting for a fix"));
        if reported.is_none() {
            // Started, in the sense systemd cares about: it must not time the start out and
            // restart us in a loop while we show the problem.
            let status = format!("LED {}: {summary}", blocked.state);
            indicator.notifier().ready(&status);
        }
        if reported.as_deref() != Some(&blocked.problem) {
            log::error!(
                "cannot start logging; waiting for a fix (checked again when the file \
                 changes, at least every {RETRY:?}):\n{}",
                blocked.problem
            );
            reported = Some(blocked.problem);
        }
        tokio::select! {
            _ = &mut *stopping => return Ok(None),
            _ = wait_for_change(explicit, indicator.notifier()) => {}
        }
        attempt = self::attempt(explicit)?;
    }
}

/// One try at loading the config and opening the buffer.
enum Attempt {
    /// Ready to log (boxed: it is large, and built once).
    Ready(Box<(Settings, Daemon<Eagle>)>),
    /// Something a person has to fix; shown on the LED while waiting.
    Blocked(Blocked),
}

/// Why logging cannot start yet.
struct Blocked {
    /// The LED to show it on.
    led: LedSettings,
    /// What to show.
    state: LedState,
    /// Every problem, one per line, for the log.
    problem: String,
}

/// Loads the config and opens the buffer. `Err` only for a failure of the machine itself
/// (the HTTP client cannot be built): exit 2 and let systemd restart us.
fn attempt(explicit: Option<&Path>) -> Result<Attempt, DaemonError> {
    let settings = match load_settings(explicit) {
        Ok(settings) => settings,
        Err(error) => {
            let path = match &error {
                ConfigError::NotFound { .. } => None,
                ConfigError::Read { path, .. }
                | ConfigError::Syntax { path, .. }
                | ConfigError::Invalid { path, .. } => Some(path.as_path()),
            };
            return Ok(Attempt::Blocked(Blocked {
                led: config::led_settings_or_default(path),
                state: LedState::ConfigError,
                problem: error.to_string(),
            }));
        }
    };
    match Daemon::from_settings(&settings, Arc::new(SystemClock::new())) {
        Ok(daemon) => Ok(Attempt::Ready(Box::new((settings, daemon)))),
        Err(DaemonError::Store(error)) => Ok(Attempt::Blocked(Blocked {
            led: settings.led,
            state: LedState::StorageFailure,
            problem: error.to_string(),
        })),
        Err(error) => Err(error),
    }
}

/// Returns when the config file (or which file is found) changed, or after [`RETRY`]. Feeds
/// the systemd watchdog meanwhile: this loop is what the service does now.
async fn wait_for_change(explicit: Option<&Path>, notifier: &Notifier) {
    let (alive, alive_now) = watch::channel(Instant::now());
    let before = fingerprint(explicit);
    let deadline = Instant::now() + RETRY;
    let look = async {
        loop {
            tokio::time::sleep(LOOK_EVERY).await;
            alive.send_replace(Instant::now());
            if Instant::now() >= deadline || fingerprint(explicit) != before {
                return;
            }
        }
    };
    tokio::select! {
        _ = look => {}
        _ = feed_watchdog(notifier, alive_now, RETRY) => {}
    }
}

/// Which config file would be read, and its modification time and size.
fn fingerprint(explicit: Option<&Path>) -> Option<(PathBuf, Option<SystemTime>, u64)> {
    let path = config_path(explicit).ok()?;
    let metadata = std::fs::metadata(&path).ok()?;
    Some((path, metadata.modified().ok(), metadata.len()))
}
