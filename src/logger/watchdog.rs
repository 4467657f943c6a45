//! Feeding systemd's watchdog only while the work is really being done.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::notify::Notifier;

/// Sends `WATCHDOG=1` every half watchdog timeout as long as `alive` (the poll loop's latest
/// tick, see [`crate::daemon::Daemon::last_tick`]) is at most `stall_limit` old. A hung
/// loop stops the pings and systemd restarts the service. Never returns; without a watchdog
/// it just waits.
pub async fn feed_watchdog(
    notifier: &Notifier,
    alive: watch::Receiver<Instant>,
    stall_limit: Duration,
) {
    let Some(timeout) = notifier.watchdog_timeout() else {
        return std::future::pending().await;
    };
    let mut pings = tokio::time::interval(timeout / 2);
    let mut stalled = false;
    loop {
        pings.tick().await;
        let quiet = alive.borrow().elapsed();
        if quiet <= stall_limit {
            if stalled {
                log::info!("the poll loop is running again; feeding the watchdog");
                stalled = false;
            }
            notifier.watchdog();
        } else if !stalled {
            log::error!(
                "the poll loop has not ticked for {quiet:?}; no more watchdog pings, so \
                 systemd restarts the service"
            );
            stalled = true;
        }
    }
}
