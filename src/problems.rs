//! Counting what goes wrong, and logging each kind of problem at most once a minute.
//!
//! An unplugged EAGLE fails every 6 s; one line per poll would bury the journal (and wear the
//! card). Every occurrence is counted; the counts reach the database at most once a minute.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use log::Level;
use tokio::time::Instant;

use crate::store::{Counter, EventDelta};

/// How often a given kind of problem may reach the log.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// Counters and last messages not yet written to the database, plus log rate limiting.
#[derive(Debug, Default)]
pub struct Problems {
    pending: HashMap<String, EventDelta>,
    last_logged: HashMap<String, (Instant, u64)>,
}

impl Problems {
    /// An empty tally.
    pub fn new() -> Problems {
        Problems::default()
    }

    /// Counts one occurrence of `counter` without logging (e.g. buffered repeats).
    pub fn count(&mut self, counter: Counter) {
        self.entry(&counter.as_str()).count += 1;
    }

    /// Counts one occurrence of `counter`, remembers `message` as its latest, and logs it at
    /// `level` unless the same kind was logged less than [`LOG_EVERY`] ago.
    pub fn report(&mut self, level: Level, counter: Counter, message: &str) {
        let name = counter.as_str();
        let entry = self.entry(&name);
        entry.count += 1;
        entry.last_message = Some(message.to_string());
        entry.at = Utc::now();
        self.log(level, counter, message);
    }

    /// Logs `message` at `level` unless the same kind was logged less than [`LOG_EVERY`] ago,
    /// without counting it (for events counted elsewhere, e.g. by the thing that saw them).
    pub fn log(&mut self, level: Level, counter: Counter, message: &str) {
        let name = counter.as_str();
        let now = Instant::now();
        match self.last_logged.get_mut(name.as_ref()) {
            Some((at, suppressed)) if now.duration_since(*at) < LOG_EVERY => *suppressed += 1,
            Some((at, suppressed)) => {
                let note = match *suppressed {
                    0 => String::new(),
                    n => format!(" ({n} more like this since the last report)"),
                };
                log::log!(level, "{message}{note}");
                *at = now;
                *suppressed = 0;
            }
            None => {
                log::log!(level, "{message}");
                self.last_logged.insert(name.into_owned(), (now, 0));
            }
        }
    }

    /// Takes the counts gathered since the last call, for one write to the database.
    pub fn take(&mut self) -> Vec<EventDelta> {
        let mut deltas: Vec<EventDelta> = self.pending.drain().map(|(_, d)| d).collect();
        deltas.sort_by(|a, b| a.name.cmp(&b.name));
        deltas
    }

    fn entry(&mut self, name: &str) -> &mut EventDelta {
        self.pending
            .entry(name.to_string())
            .or_insert_with(|| EventDelta {
                name: name.to_string(),
                count: 0,
                last_message: None,
                at: Utc::now(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn counts_everything_and_keeps_the_latest_message() {
        let mut problems = Problems::new();
        problems.report(Level::Warn, Counter::PollFailed("timeout"), "first");
        problems.report(Level::Warn, Counter::PollFailed("timeout"), "second");
        problems.count(Counter::PollRepeat);
        let deltas = problems.take();
        assert_eq!(deltas.len(), 2);
        assert_eq!(deltas[0].name, "eagle.timeout");
        assert_eq!(deltas[0].count, 2);
        assert_eq!(deltas[0].last_message.as_deref(), Some("second"));
        assert_eq!(deltas[1].name, "poll.repeat");
        assert_eq!(deltas[1].count, 1);
        assert!(problems.take().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_problem_counted_elsewhere_is_only_logged() {
        let mut problems = Problems::new();
        problems.log(Level::Error, Counter::QueueOverflow, "3 reading(s) dropped");
        assert!(problems.take().is_empty());
        assert!(problems.last_logged.contains_key("store.dropped"));
    }

    #[tokio::test(start_paused = true)]
    async fn logs_each_kind_at_most_once_a_minute() {
        let mut problems = Problems::new();
        for _ in 0..10 {
            problems.report(Level::Warn, Counter::PollFailed("busy"), "busy");
            tokio::time::advance(Duration::from_secs(6)).await;
        }
        // Logged at t=0 and again at t=60: nine suppressed in between.
        let (_, suppressed) = problems.last_logged["eagle.busy"];
        assert_eq!(suppressed, 9);
        problems.report(Level::Warn, Counter::PollFailed("busy"), "busy");
        let (at, suppressed) = problems.last_logged["eagle.busy"];
        assert_eq!(suppressed, 0);
        assert_eq!(at, Instant::now());
    }
}
