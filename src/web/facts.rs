//! What the page is made of, before it is put into words.

use chrono::{DateTime, Local, NaiveTime, Utc};

use crate::health::LedState;
use crate::reading::StoredReading;

/// Everything the household page shows, as the feed last learned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFacts {
    /// The newest stored reading.
    pub latest: Option<StoredReading>,
    /// The first reading of the local day with a summation: today's kWh count from it.
    pub day_start: Option<StoredReading>,
    /// What the LED shows.
    pub led: LedState,
    /// Rows not yet confirmed uploaded.
    pub pending_rows: u64,
    /// When the last upload was confirmed.
    pub last_upload: Option<DateTime<Utc>>,
}

impl PageFacts {
    /// The facts before the buffer has told anything: only the LED's state, no reading,
    /// nothing pending, no upload (what the page starts with, and stays at when the buffer
    /// cannot be read).
    pub fn nothing_known(led: LedState) -> Self {
        PageFacts {
            latest: None,
            day_start: None,
            led,
            pending_rows: 0,
            last_upload: None,
        }
    }
}

/// The start of the local day (midnight in the Pi's time zone, `/etc/localtime` or `TZ`) that
/// `now` falls in. A midnight that does not exist (a DST jump at 00:00) is the day's first
/// instant that does.
pub fn local_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Local);
    let mut time = NaiveTime::MIN;
    // At most a couple of hours of a day can be skipped by a DST change.
    for _ in 0..24 * 4 {
        if let Some(start) = local
            .date_naive()
            .and_time(time)
            .and_local_timezone(Local)
            .earliest()
        {
            return start.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(15);
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_starts_at_a_local_midnight_before_now() {
        for seconds in [0, 1_780_000_000, 1_780_043_199, 1_798_761_599] {
            let now = DateTime::from_timestamp(seconds, 0).unwrap();
            let start = local_day_start(now);
            assert!(start <= now && now - start < chrono::Duration::hours(25));
            assert_eq!(
                start.with_timezone(&Local).date_naive(),
                now.with_timezone(&Local).date_naive()
            );
            assert_eq!(local_day_start(start), start, "the start is in its own day");
        }
    }
}
