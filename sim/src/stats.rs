//! Request statistics, so tests can check what a client actually sent (e.g. that it never has
//! more than one request in flight).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// What the simulator has seen since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every HTTP request received, whatever its path or outcome.
    pub requests: u64,
    /// `post_manager` requests by lower-cased command `<Name>`, counted whatever the outcome
    /// (401, 503, faults included). A body with no readable name counts as `(unparsed)`.
    pub by_command: BTreeMap<String, u64>,
    /// Responses by HTTP status code.
    pub by_status: BTreeMap<u16, u64>,
    /// The most requests that were being handled at the same time.
    pub max_in_flight: u32,
}

/// The key [`SimStats::by_command`] uses for a body without a readable command name.
pub const UNPARSED_COMMAND: &str = "(unparsed)";

/// Thread-safe recorder behind [`SimStats`].
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    stats: Mutex<SimStats>,
    in_flight: AtomicU32,
}

impl Recorder {
    /// Count a new request; it stays "in flight" until the guard is dropped, which also covers
    /// a client that hangs up mid-request (the handler future is dropped).
    pub(crate) fn begin(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut s = self.lock();
        s.requests += 1;
        s.max_in_flight = s.max_in_flight.max(now);
        InFlight(self)
    }

    pub(crate) fn command(&self, name: Option<&str>) {
        let key = name.unwrap_or(UNPARSED_COMMAND).to_string();
        *self.lock().by_command.entry(key).or_default() += 1;
    }

    pub(crate) fn status(&self, code: u16) {
        *self.lock().by_status.entry(code).or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> SimStats {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Marks one request in flight.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Recorder);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_concurrency() {
        let r = Recorder::default();
        {
            let _a = r.begin();
            let _b = r.begin();
        }
        let _c = r.begin();
        r.command(Some("device_list"));
        r.command(None);
        r.status(200);
        let s = r.snapshot();
        assert_eq!((s.requests, s.max_in_flight), (3, 2));
        assert_eq!(s.by_command["device_list"], 1);
        assert_eq!(s.by_command[UNPARSED_COMMAND], 1);
        assert_eq!(s.by_status[&200], 1);
    }
}
