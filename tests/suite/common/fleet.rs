//! A bucket of heartbeats for the `fleet` tests and bench: fresh or stale, in any LED state,
//! with any completeness, plus whatever hostile bytes a household may write instead.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use rainforest_logger::upload::{Completeness, Heartbeat, DAYS, HOURS};

/// A heartbeat of `household` written at `time`, its LED showing `led_state`, with every
/// hour of the last 48 and each of the 14 days before today holding `share` of 600 readings an hour.
pub fn heartbeat(household: &str, time: DateTime<Utc>, led_state: &str, share: f64) -> Heartbeat {
    let per_hour = (600.0 * share).round() as u32;
    let hour = time.timestamp() / 3600 * 3600;
    let day = time.timestamp() / 86_400 * 86_400;
    let at = |s: i64| rainforest_logger::upload::timestamp(DateTime::from_timestamp(s, 0).unwrap());
    Heartbeat {
        household: household.into(),
        version: "0.1.0".into(),
        time: at(time.timestamp()),
        uptime_s: 86_400 * 20,
        last_reading: Some(at(time.timestamp() - 6)),
        pending_rows: 120,
        oldest_pending_period: Some(at(hour)),
        last_upload: Some(at(hour)),
        last_error: None,
        free_disk_bytes: Some(20 << 30),
        dropped_rows: 0,
        led_state: Some(led_state.into()),
        buffer_set_aside: None,
        led_state_since: Some(at(time.timestamp() - 7200)),
        poll_failures: Default::default(),
        completeness: Some(Completeness {
            hours_from: at(hour - (HOURS as i64 - 1) * 3600),
            per_hour: vec![per_hour; HOURS],
            days_from: at(day - DAYS as i64 * 86_400),
            per_day: vec![per_hour * 24; DAYS],
            expected_per_hour: 600,
            meter_interval_s: None,
        }),
    }
}

/// Writes `bytes` as the status object of `name` (`household={id}.json`) into the bucket
/// directory `bucket` (the S3 server's `root/BUCKET`, or a `file://` target), with the
/// store's time set to `stored`: what S3 reports as `LastModified` and a directory as mtime.
pub fn put_status(bucket: &Path, name: &str, bytes: &[u8], stored: DateTime<Utc>) {
    let path = bucket.join("status").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    set_stored(&path, stored);
}

/// Sets the store's time of the object at `path`.
pub fn set_stored(path: &Path, stored: DateTime<Utc>) {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(stored.timestamp().max(0) as u64);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// Runs `rainforest-logger fleet ARGS --config CONFIG`; returns exit code and stdout.
pub fn run_fleet(config: &Path, args: &[&str]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .arg("fleet")
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("fleet prints UTF-8"),
    )
}

/// The first character a terminal would act on rather than show, if any.
pub fn terminal_control(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
                | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}
