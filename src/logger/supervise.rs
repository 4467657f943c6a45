//! The daemon with its companions: the health model feeding the LED and systemd, and the
//! watchdog fed by the poll loop. Run by [`super::Running::until`].

use std::future::Future;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::time::Instant;

use super::indicator::Indicator;
use super::timing::ServiceTiming;
use super::watchdog::feed_watchdog;
use crate::daemon::{Daemon, MeterSource};
use crate::health::{HealthTracker, LedState, UploadFacts};
use crate::upload::UploadStatus;

/// The upload engine's status, as the health model sees it.
pub(super) struct UploadWatch {
    /// The engine's live status.
    pub(super) status: watch::Receiver<UploadStatus>,
    /// The configured batch period.
    pub(super) batch_period: Duration,
}

impl UploadWatch {
    fn facts(&self) -> UploadFacts {
        let status = self.status.borrow();
        UploadFacts {
            pending_rows: status.pending_rows,
            last_success: status.last_success,
            failing_since: status.failing_since,
            batch_period: self.batch_period,
            config_error: status.config_error,
        }
    }
}

/// Runs `daemon` until `shutdown` completes. The buffer is open (the daemon exists), so this
/// first tells systemd `READY=1`; then every daemon event, every upload status change and every
/// moment the health model says the state may change by itself updates the health state shown
/// by `indicator`, and the watchdog is fed while the poll loop ticks.
pub(super) async fn supervise<S: MeterSource>(
    daemon: Daemon<S>,
    mut upload: UploadWatch,
    indicator: &mut Indicator,
    timing: &ServiceTiming,
    shutdown: impl Future<Output = ()>,
) {
    let mut events = daemon.subscribe();
    let last_tick = daemon.last_tick();
    let notifier = indicator.notifier().clone();
    let mut tracker = HealthTracker::new(timing.thresholds, Instant::now());
    let alert = daemon.storage_alert().cloned();
    let shown = |tracker: &HealthTracker| {
        let now = Instant::now();
        let state = tracker.state(now);
        match &alert {
            // A damaged buffer was set aside lately: storage failure, unless the config is
            // wrong (the higher priority, docs/design.md §7).
            Some(alert) if now < alert.until && state != LedState::ConfigError => {
                (LedState::StorageFailure, alert.message.clone())
            }
            _ => (state, state.meaning().to_string()),
        }
    };
    let (state, why) = shown(&tracker);
    indicator.show(state, &why);
    notifier.ready(&format!("LED {state}: {why}"));
    // Re-assessed at each event and each status change, and when the facts say the state
    // may change by itself (a silence running out), not on a timer: an idle daemon wakes only
    // for its polls.
    let next_change = |tracker: &HealthTracker| {
        let now = Instant::now();
        let alert_ends = alert
            .as_ref()
            .map(|alert| alert.until)
            .filter(|&at| at > now);
        tracker.next_change(now).into_iter().chain(alert_ends).min()
    };
    let watch_health = async {
        loop {
            let wake = next_change(&tracker);
            tokio::select! {
                Ok(()) = upload.status.changed() => tracker.set_upload(upload.facts()),
                event = events.recv() => match event {
                    Ok(event) => tracker.observe(&event, Instant::now()),
                    // Later events correct the facts; nothing to do but note it.
                    Err(RecvError::Lagged(missed)) => {
                        log::debug!("health model missed {missed} daemon event(s)")
                    }
                    Err(RecvError::Closed) => return,
                },
                () = sleep_until_some(wake) => {}
            }
            let (state, why) = shown(&tracker);
            indicator.show(state, &why);
        }
    };
    // The daemon's end closes its events, which ends `watch_health`; the watchdog never ends.
    tokio::select! {
        _ = daemon.run(shutdown) => {}
        _ = watch_health => {}
        _ = feed_watchdog(&notifier, last_tick, timing.stall_limit) => {}
    }
}

/// Sleeps until `at`, or for ever without one.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
