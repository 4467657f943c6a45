//! The daemon with its companions: the health model feeding the LED and systemd, and the
//! watchdog fed by the poll loop.

use std::future::Future;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::indicator::Indicator;
use super::timing::ServiceTiming;
use super::watchdog::feed_watchdog;
use crate::daemon::{Daemon, MeterSource};
use crate::health::HealthTracker;

/// Runs `daemon` until `shutdown` completes. The buffer is open (the daemon exists), so this
/// first tells systemd `READY=1`; then every daemon event and every `timing.recheck` updates
/// the health state shown by `indicator`, and the watchdog is fed while the poll loop ticks.
pub async fn supervise<S: MeterSource>(
    daemon: Daemon<S>,
    indicator: &mut Indicator,
    timing: &ServiceTiming,
    shutdown: impl Future<Output = ()>,
) {
    let mut events = daemon.subscribe();
    let last_tick = daemon.last_tick();
    let notifier = indicator.notifier().clone();
    let mut tracker = HealthTracker::new(timing.thresholds, Instant::now());
    let state = tracker.state(Instant::now());
    indicator.show(state, state.meaning());
    notifier.ready(&format!("LED {state}: {}", state.meaning()));
    let watch_health = async {
        let mut recheck = tokio::time::interval(timing.recheck);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => tracker.observe(&event, Instant::now()),
                    // Later events correct the facts; nothing to do but note it.
                    Err(RecvError::Lagged(missed)) => {
                        log::debug!("health model missed {missed} daemon event(s)")
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = recheck.tick() => {}
            }
            let state = tracker.state(Instant::now());
            indicator.show(state, state.meaning());
        }
    };
    // The daemon's end closes its events, which ends `watch_health`; the watchdog never ends.
    tokio::select! {
        _ = daemon.run(shutdown) => {}
        _ = watch_health => {}
        _ = feed_watchdog(&notifier, last_tick, timing.stall_limit) => {}
    }
}
