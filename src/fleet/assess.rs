//! From status objects to one [`Assessment`] per object: its state, the reason in words, since
//! when, and how complete its data is. Everything text here is already escaped
//! ([`crate::terminal::sanitize`]) and shortened, so renderers cannot print a household's
//! control characters nor pages of its text.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::read::{Content, StatusObject};
use crate::terminal::sanitize;
use crate::upload::Heartbeat;

/// A household's state, worst first (the attention list's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The status object is not a trustworthy heartbeat (unreadable, too large, not JSON,
    /// another household's id, a key outside the layout).
    Broken,
    /// No heartbeat for two batch periods: the box, its power or its network is down.
    Stale,
    /// The box cannot work until someone edits its config file.
    ConfigError,
    /// The card is full or the buffer cannot be written.
    Storage,
    /// The EAGLE does not answer.
    EagleUnreachable,
    /// The EAGLE answers but the meter sends no values.
    MeterNotReporting,
    /// Readings pile up on the card; S3 refuses or cannot be reached.
    UploadFailing,
    /// All is well by the LED, but the last 24 h hold fewer readings than [`INCOMPLETE_BELOW`]
    /// of the expected (judged once the daemon has run for a day).
    Incomplete,
    /// All is well.
    Healthy,
}

impl State {
    /// The order of the summary line: the good news first, then by kind of trouble.
    pub const SUMMARY_ORDER: [State; 9] = [
        State::Healthy,
        State::Stale,
        State::EagleUnreachable,
        State::MeterNotReporting,
        State::UploadFailing,
        State::ConfigError,
        State::Storage,
        State::Incomplete,
        State::Broken,
    ];

    /// Whether someone should look at this household.
    pub fn needs_attention(self) -> bool {
        self != State::Healthy
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Broken => "broken",
            State::Stale => "stale",
            State::ConfigError => "config error",
            State::Storage => "storage",
            State::EagleUnreachable => "EAGLE unreachable",
            State::MeterNotReporting => "meter not reporting",
            State::UploadFailing => "upload failing",
            State::Incomplete => "incomplete",
            State::Healthy => "healthy",
        })
    }
}

/// A healthy household whose last 24 h hold less than this share of the expected readings
/// needs attention too: a box that uploads but misses polls must not look healthy.
pub const INCOMPLETE_BELOW: f64 = 0.8;

/// A daemon running for less than a day (a new install, a restart) is not judged incomplete:
/// its 24 h window began before it did.
const JUDGED_AFTER_S: u64 = 86_400;

/// Longest text kept from a heartbeat field (an error message is a line, not a page).
const MAX_TEXT_CHARS: usize = 200;

/// One status object, judged.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The household, from the object's key (or the escaped key itself when it names none).
    pub household: String,
    /// The object's key below the prefix (escaped).
    pub key: String,
    /// Its state.
    pub state: State,
    /// Why, in words.
    pub reason: String,
    /// Since when (at least), when known.
    pub since: Option<DateTime<Utc>>,
    /// When the store last wrote the object.
    pub stored: Option<DateTime<Utc>>,
    /// Seconds since then.
    pub age_s: Option<i64>,
    /// Share of the expected readings stored in the 24 complete hours before now (0–1).
    pub completeness_24h: Option<f64>,
    /// Share of the expected readings stored on each of the [`crate::upload::DAYS`] complete
    /// UTC days before today, oldest first; `None` where the heartbeat says nothing.
    pub daily: Vec<Option<f64>>,
    /// The heartbeat, its text escaped and shortened; absent for a broken object.
    pub heartbeat: Option<Heartbeat>,
}

/// Judges every object at `now`; a heartbeat older than `stale_after` (by the store's clock)
/// is stale. Sorted worst first: by state, then longest-standing, then household.
pub fn assess_all(
    objects: Vec<StatusObject>,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> Vec<Assessment> {
    let mut judged: Vec<Assessment> = objects
        .into_iter()
        .map(|object| assess(object, now, stale_after))
        .collect();
    judged.sort_by(|a, b| {
        (a.state, a.since.is_none(), a.since, &a.household).cmp(&(
            b.state,
            b.since.is_none(),
            b.since,
            &b.household,
        ))
    });
    judged
}

fn assess(object: StatusObject, now: DateTime<Utc>, stale_after: Duration) -> Assessment {
    let key = clean(&object.key);
    let age_s = object.stored.map(|t| (now - t).num_seconds());
    let mut judged = Assessment {
        household: object
            .household
            .as_deref()
            .map_or_else(|| key.clone(), clean),
        key,
        state: State::Broken,
        reason: String::new(),
        since: object.stored,
        stored: object.stored,
        age_s,
        completeness_24h: None,
        daily: vec![None; crate::upload::DAYS],
        heartbeat: None,
    };
    let heartbeat = match object.content {
        Content::Broken(reason) => {
            judged.reason = format!("BROKEN: {}", clean(&reason));
            return judged;
        }
        Content::Heartbeat(heartbeat) => *heartbeat,
    };
    let Some(household) = object.household else {
        judged.reason = "BROKEN: the key is not status/household={id}.json".into();
        return judged;
    };
    if heartbeat.household != clean(&household) {
        judged.reason = format!(
            "BROKEN: the heartbeat claims to be household {:?}",
            heartbeat.household
        );
        judged.heartbeat = Some(heartbeat);
        return judged;
    }
    let Some(stored) = object.stored else {
        judged.reason = "BROKEN: the store gave no time for the object".into();
        return judged;
    };
    judged.completeness_24h = completeness_24h(&heartbeat, now);
    judged.daily = daily(&heartbeat, now);
    let limit = i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
    let (state, reason, since) = if age_s.is_some_and(|age| age > limit) {
        let last = heartbeat.led_state.as_deref().unwrap_or("unknown");
        (
            State::Stale,
            format!(
                "no heartbeat for {} (it last said: {last})",
                words(now - stored)
            ),
            Some(stored),
        )
    } else {
        by_led(&heartbeat, judged.completeness_24h)
    };
    judged.state = state;
    judged.reason = reason;
    judged.since = since.or(Some(stored));
    judged.heartbeat = Some(heartbeat);
    judged
}

/// State, reason and start from a fresh heartbeat's LED state (the Display strings of
/// [`crate::health::LedState`]).
fn by_led(h: &Heartbeat, completeness: Option<f64>) -> (State, String, Option<DateTime<Utc>>) {
    let since = h.led_state_since.as_deref().and_then(parse_time);
    let error = h.last_error.as_deref().unwrap_or("none recorded");
    let last_reading = h.last_reading.as_deref().unwrap_or("never");
    match h.led_state.as_deref() {
        Some("config error") => (State::ConfigError, format!("config error: {error}"), since),
        Some("storage failure") => (
            State::Storage,
            format!(
                "storage failure: the buffer cannot be written ({} free)",
                h.free_disk_bytes.map_or("? bytes".into(), |b| format!("{b} bytes"))
            ),
            since,
        ),
        Some("EAGLE unreachable") => (
            State::EagleUnreachable,
            format!("EAGLE unreachable: no new reading since {last_reading}"),
            since.or_else(|| h.last_reading.as_deref().and_then(parse_time)),
        ),
        Some("meter not reporting") => (
            State::MeterNotReporting,
            format!("meter not reporting: the EAGLE answers without values (last reading {last_reading})"),
            since.or_else(|| h.last_reading.as_deref().and_then(parse_time)),
        ),
        Some("upload failing") => (
            State::UploadFailing,
            format!("upload failing: {} rows pending; last error: {error}", h.pending_rows),
            since.or_else(|| h.oldest_pending_period.as_deref().and_then(parse_time)),
        ),
        Some("healthy") | None => match completeness {
            Some(share) if share < INCOMPLETE_BELOW && h.uptime_s >= JUDGED_AFTER_S => (
                State::Incomplete,
                format!(
                    "incomplete: {:.0}% of the expected readings in the last 24 h",
                    share * 100.0
                ),
                None,
            ),
            _ => (State::Healthy, "healthy".into(), since),
        },
        Some(other) => (
            State::Broken,
            format!("BROKEN: unknown LED state {other:?}"),
            None,
        ),
    }
}

const HOUR_S: i64 = 3600;

/// Readings counted in `[from, to)` (whole hours) from the heartbeat's hourly counts; hours
/// the counts do not cover (after a stale box's last heartbeat) hold none.
fn counted(h: &Heartbeat, from: i64, to: i64) -> Option<(u64, u32)> {
    let c = h.completeness.as_ref()?;
    let first = parse_time(&c.hours_from)?.timestamp();
    let total = (from..to)
        .step_by(HOUR_S as usize)
        .filter_map(|hour| {
            usize::try_from((hour - first).div_euclid(HOUR_S))
                .ok()
                .filter(|_| hour >= first)
        })
        .filter_map(|index| c.per_hour.get(index))
        .map(|n| u64::from(*n))
        .sum();
    Some((total, c.expected_per_hour))
}

/// Share of the 24 complete hours before `now`'s hour, capped at 1 (the expectation is an
/// estimate).
fn completeness_24h(h: &Heartbeat, now: DateTime<Utc>) -> Option<f64> {
    let end = now.timestamp().div_euclid(HOUR_S) * HOUR_S;
    let (total, expected) = counted(h, end - 24 * HOUR_S, end)?;
    share(total, u64::from(expected) * 24)
}

/// Per complete UTC day before today, from the heartbeat's daily counts.
fn daily(h: &Heartbeat, now: DateTime<Utc>) -> Vec<Option<f64>> {
    const DAY_S: i64 = 24 * HOUR_S;
    let days = crate::upload::DAYS;
    let today = now.timestamp().div_euclid(DAY_S) * DAY_S;
    let Some(c) = h.completeness.as_ref() else {
        return vec![None; days];
    };
    let first = parse_time(&c.days_from).map(|t| t.timestamp());
    (0..days as i64)
        .map(|d| {
            let day = today - (days as i64 - d) * DAY_S;
            let index = usize::try_from((day - first?).div_euclid(DAY_S)).ok()?;
            // Days after the heartbeat's last day (a stale box) held nothing we know of.
            let count = c.per_day.get(index).copied().unwrap_or(0);
            share(u64::from(count), u64::from(c.expected_per_hour) * 24)
        })
        .collect()
}

fn share(count: u64, expected: u64) -> Option<f64> {
    (expected > 0).then(|| (count as f64 / expected as f64).min(1.0))
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// "3 h 5 min", "2 days 4 h", "45 s".
pub fn words(span: chrono::TimeDelta) -> String {
    let s = span.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} days {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// `text` escaped for a terminal and cut to [`MAX_TEXT_CHARS`].
fn clean(text: &str) -> String {
    let mut kept: String = text.chars().take(MAX_TEXT_CHARS).collect();
    if kept.len() < text.len() {
        kept.push('…');
    }
    sanitize(&kept).into_owned()
}

/// The heartbeat with every text field [`clean`]ed and its counts cut to their fixed sizes.
pub(super) fn escaped(h: Heartbeat) -> Heartbeat {
    let opt = |t: Option<String>| t.as_deref().map(clean);
    Heartbeat {
        household: clean(&h.household),
        version: clean(&h.version),
        time: clean(&h.time),
        last_reading: opt(h.last_reading),
        oldest_pending_period: opt(h.oldest_pending_period),
        last_upload: opt(h.last_upload),
        last_error: opt(h.last_error),
        led_state: opt(h.led_state),
        buffer_set_aside: opt(h.buffer_set_aside),
        led_state_since: opt(h.led_state_since),
        poll_failures: h
            .poll_failures
            .iter()
            .take(32)
            .map(|(kind, n)| (clean(kind), *n))
            .collect(),
        completeness: h.completeness.map(|mut c| {
            c.hours_from = clean(&c.hours_from);
            c.days_from = clean(&c.days_from);
            c.per_hour.truncate(crate::upload::HOURS);
            c.per_day.truncate(crate::upload::DAYS);
            c
        }),
        ..h
    }
}
