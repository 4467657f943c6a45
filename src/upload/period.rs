//! Batch periods: UTC-aligned slices of time, one object each.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// One batch period `[start, start + length)`. Lengths divide a day, so periods align to UTC
/// midnight (the config validates that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    start_ms: i64,
    length_ms: i64,
}

impl Period {
    /// The period of `length` that contains the instant `time_ms` (Unix ms).
    pub fn containing(time_ms: i64, length: Duration) -> Period {
        let length_ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX).max(1);
        Period {
            start_ms: time_ms.div_euclid(length_ms) * length_ms,
            length_ms,
        }
    }

    /// First millisecond of the period.
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// First millisecond after the period.
    pub fn end_ms(&self) -> i64 {
        self.start_ms.saturating_add(self.length_ms)
    }

    /// The start as a UTC time (for keys and messages).
    pub fn start(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.start_ms).unwrap_or_default()
    }

    /// True once `now_ms` is past the period's end.
    pub fn has_ended(&self, now_ms: i64) -> bool {
        now_ms >= self.end_ms()
    }
}

/// The household's fixed share of the fleet spread: the first upload after a period ends waits
/// this long, so a thousand Pis do not PUT in the same second. Deterministic (FNV-1a of the
/// household id), so a household's slot is stable across restarts.
pub fn fleet_delay(household: &str, max: Duration) -> Duration {
    let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    if max_ms == 0 {
        return Duration::ZERO;
    }
    let hash = household
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    Duration::from_millis(hash % (max_ms + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn periods_align_to_utc() {
        // 2026-11-28T06:35:52.123Z
        let t = 1_795_847_752_123;
        let p = Period::containing(t, HOUR);
        assert_eq!(p.start().to_rfc3339(), "2026-11-28T06:00:00+00:00");
        assert_eq!(p.end_ms() - p.start_ms(), 3_600_000);
        assert!(!p.has_ended(t));
        assert!(p.has_ended(p.end_ms()));
        assert_eq!(Period::containing(p.end_ms(), HOUR).start_ms(), p.end_ms());
        let minute = Period::containing(t, Duration::from_secs(60));
        assert_eq!(minute.start().to_rfc3339(), "2026-11-28T06:35:00+00:00");
        // Before 1970 (a Pi that booted without a clock) still rounds down.
        assert_eq!(Period::containing(-1, HOUR).start_ms(), -3_600_000);
    }

    #[test]
    fn fleet_delay_is_stable_bounded_and_spread() {
        let max = Duration::from_secs(300);
        assert_eq!(fleet_delay("h-0001", max), fleet_delay("h-0001", max));
        assert_eq!(fleet_delay("h-0001", Duration::ZERO), Duration::ZERO);
        let delays: Vec<Duration> = (0..1000)
            .map(|i| fleet_delay(&format!("h-{i:04}"), max))
            .collect();
        assert!(delays.iter().all(|d| *d <= max));
        // Spread over the window: every minute of the five gets a fair share.
        for minute in 0..5 {
            let count = delays.iter().filter(|d| d.as_secs() / 60 == minute).count();
            assert!((150..=250).contains(&count), "minute {minute}: {count}");
        }
    }
}
