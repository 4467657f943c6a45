//! What the status LED shows, for the heartbeat, so staff see it without a phone call.
//!
//! The engine takes the LED's state as anything printable behind a `watch` (the caller hands
//! in the LED's own channel): the upload side knows the text the LED shows, not the rules
//! that chose it.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// Reads the LED's current state and remembers since when it shows it.
pub struct LedReport {
    read: Box<dyn Fn() -> String + Send + Sync>,
    /// The state the last heartbeat reported, and the first heartbeat time that saw it.
    seen: Option<(String, DateTime<Utc>)>,
}

impl LedReport {
    /// Follows `led`, whose values print as the heartbeat's `led_state`.
    pub fn new<T>(led: watch::Receiver<T>) -> LedReport
    where
        T: Display + Send + Sync + 'static,
    {
        LedReport {
            read: Box::new(move || led.borrow().to_string()),
            seen: None,
        }
    }

    /// The state shown at `now`, and since when (at least): the first look that saw it.
    pub fn look(&mut self, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let state = (self.read)();
        match &self.seen {
            Some((seen, since)) if *seen == state => (state, *since),
            _ => {
                self.seen = Some((state.clone(), now));
                (state, now)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_the_first_look_at_the_current_state() {
        let (shown, led) = watch::channel("upload failing");
        let mut report = LedReport::new(led);
        let at = |s: i64| DateTime::from_timestamp(1_795_000_000 + s, 0).unwrap();
        assert_eq!(report.look(at(0)), ("upload failing".to_string(), at(0)));
        assert_eq!(report.look(at(60)), ("upload failing".to_string(), at(0)));
        shown.send_replace("EAGLE unreachable");
        assert_eq!(
            report.look(at(120)),
            ("EAGLE unreachable".to_string(), at(120))
        );
    }
}
