//! The heartbeat: a small JSON object per household, rewritten after every upload cycle, from
//! which `fleet` tells which homes went quiet.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::store::{Counter, StatusReport, Store, StoreError};

/// The heartbeat document (`{prefix}status/household={id}.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Household id.
    pub household: String,
    /// rainforest-logger version.
    pub version: String,
    /// When the heartbeat was written (RFC 3339).
    pub time: String,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// Time of the newest reading in the buffer.
    pub last_reading: Option<String>,
    /// Rows not yet uploaded.
    pub pending_rows: u64,
    /// Start of the oldest batch period with pending rows.
    pub oldest_pending_period: Option<String>,
    /// When an object was last confirmed.
    pub last_upload: Option<String>,
    /// The last upload error, if uploads are failing.
    pub last_error: Option<String>,
    /// Free bytes on the buffer's filesystem.
    pub free_disk_bytes: Option<u64>,
    /// Readings lost since install: pending rows dropped because the buffer hit
    /// `storage.max_size`, and readings dropped from the daemon's full in-memory queue.
    pub dropped_rows: u64,
    /// What the status LED shows (`EAGLE unreachable`, `upload failing`, …), when known.
    pub led_state: Option<String>,
    /// When a damaged buffer was set aside for this one, and the file it was moved to.
    #[serde(default)]
    pub buffer_set_aside: Option<String>,
    /// Since when (at least) the LED has shown `led_state`: the first heartbeat that saw it.
    #[serde(default)]
    pub led_state_since: Option<String>,
    /// Failed polls since install, by kind (the `eagle.*` event counters: `eagle.timeout`, …).
    #[serde(default)]
    pub poll_failures: BTreeMap<String, u64>,
    /// Readings stored per hour and per day, and how many an hour should hold.
    #[serde(default)]
    pub completeness: Option<Completeness>,
}

/// How complete the buffer's data is, small and of fixed size ([`HOURS`] + [`DAYS`] counts),
/// so `fleet` knows it from the bucket alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// Start of the first hour of `per_hour` (RFC 3339, on the hour, UTC).
    pub hours_from: String,
    /// Readings stored in each of the [`HOURS`] hours from `hours_from`, oldest first; the
    /// last is the hour in progress.
    pub per_hour: Vec<u32>,
    /// Start of the first day of `per_day` (RFC 3339, midnight UTC).
    pub days_from: String,
    /// Readings stored in each of the [`DAYS`] complete UTC days from `days_from`, oldest
    /// first; the last is yesterday (today's hours are in `per_hour`).
    pub per_day: Vec<u32>,
    /// Readings a complete hour holds: one per poll, or one per meter update when the meter
    /// publishes less often than the logger polls (see [`expected_per_hour`]).
    pub expected_per_hour: u32,
    /// The meter's own update interval, when the last hours showed one (median seconds).
    pub meter_interval_s: Option<u32>,
}

/// Hours of per-hour counts in the heartbeat.
pub const HOURS: usize = 48;
/// Days of per-day counts in the heartbeat (the `fleet --html` heatmap's two weeks).
pub const DAYS: usize = 14;
/// The meter's update interval is estimated from the readings of this many recent hours.
pub const METER_INTERVAL_HOURS: i64 = 6;
/// Fewer meter updates than this in [`METER_INTERVAL_HOURS`] say nothing about its interval.
const MIN_METER_UPDATES: usize = 10;

/// Readings one hour should hold: one per poll, unless the meter publishes less often. The
/// meter's interval is the median gap between consecutive distinct `meter_time` values
/// (`meter_times`, Unix seconds, ascending); a median is not moved by an outage or a burst.
pub fn expected_per_hour(
    poll_interval: std::time::Duration,
    meter_times: &[i64],
) -> (u32, Option<u32>) {
    let meter_interval_s = meter_interval_s(meter_times);
    let poll_ms = poll_interval.as_millis().max(1);
    let meter_ms = u128::from(meter_interval_s.unwrap_or(0)) * 1000;
    let expected = 3_600_000 / poll_ms.max(meter_ms);
    (
        u32::try_from(expected).unwrap_or(u32::MAX).max(1),
        meter_interval_s,
    )
}

fn meter_interval_s(meter_times: &[i64]) -> Option<u32> {
    if meter_times.len() < MIN_METER_UPDATES {
        return None;
    }
    let mut gaps: Vec<i64> = meter_times
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .filter(|gap| *gap > 0)
        .collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2)
        .and_then(|gap| u32::try_from(*gap).ok())
}

impl Completeness {
    /// The completeness of `store`'s readings at `now`: readings per hour over today and the
    /// [`DAYS`] days before, and the expectation from the poll interval and the meter's own
    /// update interval.
    pub fn of(
        store: &Store,
        now: DateTime<Utc>,
        poll_interval: std::time::Duration,
    ) -> Result<Completeness, StoreError> {
        let now_ms = now.timestamp_millis();
        let hourly = store.readings_per_hour(now_ms - (DAYS as i64 + 1) * 86_400_000)?;
        let meter_times = store.meter_times_since(now_ms - METER_INTERVAL_HOURS * 3_600_000)?;
        Ok(Completeness::from_hourly(
            now,
            &hourly,
            expected_per_hour(poll_interval, &meter_times),
        ))
    }

    /// Counts for the hours ending with the one holding `now` and the days ending with
    /// yesterday, from `hourly`
    /// (hour start in Unix ms → readings stored in it; hours absent hold none).
    pub fn from_hourly(
        now: DateTime<Utc>,
        hourly: &BTreeMap<i64, u64>,
        expected: (u32, Option<u32>),
    ) -> Completeness {
        const HOUR_MS: i64 = 3_600_000;
        const DAY_MS: i64 = 24 * HOUR_MS;
        let now_ms = now.timestamp_millis();
        let first_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS - (HOURS as i64 - 1) * HOUR_MS;
        let first_day = now_ms.div_euclid(DAY_MS) * DAY_MS - DAYS as i64 * DAY_MS;
        let sum = |from: i64, length: i64| {
            let total: u64 = hourly.range(from..from + length).map(|(_, n)| n).sum();
            u32::try_from(total).unwrap_or(u32::MAX)
        };
        let at = |ms: i64| timestamp(DateTime::from_timestamp_millis(ms).unwrap_or_default());
        Completeness {
            hours_from: at(first_hour),
            per_hour: (0..HOURS as i64)
                .map(|h| sum(first_hour + h * HOUR_MS, HOUR_MS))
                .collect(),
            days_from: at(first_day),
            per_day: (0..DAYS as i64)
                .map(|d| sum(first_day + d * DAY_MS, DAY_MS))
                .collect(),
            expected_per_hour: expected.0,
            meter_interval_s: expected.1,
        }
    }
}

/// Everything a heartbeat says, gathered by the engine and handed in: the heartbeat knows
/// nothing of where the facts come from (the LED's state, in particular, is a plain string).
#[derive(Debug, Clone)]
pub struct HeartbeatFacts {
    /// Household id.
    pub household: String,
    /// When the heartbeat is written.
    pub now: DateTime<Utc>,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// The buffer's state.
    pub store: StatusReport,
    /// Length of a batch period (for the oldest pending period's start).
    pub batch_period: std::time::Duration,
    /// The last upload error, if uploads are failing.
    pub last_error: Option<String>,
    /// Free bytes on the buffer's filesystem.
    pub free_disk_bytes: Option<u64>,
    /// Readings per hour and per day.
    pub completeness: Completeness,
    /// What the status LED shows, and since when (at least), when known.
    pub led: Option<(String, DateTime<Utc>)>,
}

impl Heartbeat {
    /// The heartbeat these facts make.
    pub fn from_facts(facts: HeartbeatFacts) -> Heartbeat {
        let store = facts.store;
        let period = facts.batch_period;
        let (led_state, led_state_since) = facts.led.unzip();
        Heartbeat {
            household: facts.household,
            version: env!("CARGO_PKG_VERSION").to_string(),
            time: timestamp(facts.now),
            uptime_s: facts.uptime_s,
            last_reading: store
                .last_reading
                .as_ref()
                .map(|r| timestamp(r.reading.time)),
            pending_rows: store.pending_upload,
            oldest_pending_period: store
                .first_pending
                .map(|t| timestamp(Period::containing(t.timestamp_millis(), period).start())),
            last_upload: store.last_upload.map(timestamp),
            last_error: facts.last_error,
            free_disk_bytes: facts.free_disk_bytes,
            dropped_rows: store.dropped_rows(),
            led_state,
            buffer_set_aside: Counter::BufferSetAside.find(&store.events).map(|e| {
                let message = e.last_message.as_deref().unwrap_or_default();
                format!("{}: {message}", timestamp(e.last_at))
            }),
            led_state_since: led_state_since.map(timestamp),
            poll_failures: store
                .events
                .iter()
                .filter(|e| Counter::is_poll_failure(&e.name))
                .map(|e| (e.name.clone(), e.count))
                .collect(),
            completeness: Some(facts.completeness),
        }
    }

    /// The document's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// RFC 3339 with seconds, as the heartbeat writes times.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Free bytes available to the daemon on the filesystem holding `path`.
pub fn free_disk_bytes(path: &Path) -> Option<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let c_path = CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct we own; the path is NUL-terminated.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) };
    // The field types are 32-bit on 32-bit ARM and 64-bit here.
    #[allow(clippy::useless_conversion)]
    let free = u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize));
    (rc == 0).then_some(free)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_follows_the_slower_of_poll_and_meter() {
        let every = |step: i64| {
            (0..60)
                .map(|i| 1_700_000_000 + i * step)
                .collect::<Vec<_>>()
        };
        let six_s = std::time::Duration::from_secs(6);
        assert_eq!(expected_per_hour(six_s, &every(10)), (360, Some(10)));
        assert_eq!(expected_per_hour(six_s, &every(2)), (600, Some(2)));
        // Too few updates to tell: the poll interval alone.
        assert_eq!(expected_per_hour(six_s, &every(10)[..3]), (600, None));
        // An outage (one long gap) does not move the median.
        let mut outage = every(10);
        outage.extend(every(10).iter().map(|t| t + 10_000));
        assert_eq!(expected_per_hour(six_s, &outage).0, 360);
    }

    #[test]
    fn counts_land_in_their_hour_and_day() {
        let now = DateTime::parse_from_rfc3339("2026-03-07T09:30:00Z")
            .unwrap()
            .to_utc();
        let hour = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_millis()
        };
        let hourly = BTreeMap::from([
            (hour("2026-03-07T09:00:00Z"), 300),
            (hour("2026-03-07T08:00:00Z"), 600),
            (hour("2026-03-06T23:00:00Z"), 10),
            (hour("2026-03-05T09:00:00Z"), 7), // 48 h ago: past the hourly window
        ]);
        let c = Completeness::from_hourly(now, &hourly, (600, None));
        assert_eq!(c.per_hour.len(), HOURS);
        assert_eq!(c.hours_from, "2026-03-05T10:00:00Z");
        assert_eq!(&c.per_hour[HOURS - 2..], &[600, 300]);
        assert_eq!(c.per_hour.iter().sum::<u32>(), 910);
        assert_eq!(c.days_from, "2026-02-21T00:00:00Z");
        assert_eq!(&c.per_day[DAYS - 2..], &[7, 10]);
    }

    #[test]
    fn free_disk_is_measured() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_disk_bytes(&dir.path().join("readings.db")).unwrap();
        assert!(free > 0);
        assert_eq!(free_disk_bytes(Path::new("/nonexistent/dir/x.db")), None);
    }
}
