//! A clock that runs faster than real time and can be set like NTP sets a Pi's clock, so a
//! test sees minutes of batch periods, an unsynced boot and clock jumps in seconds.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use rainforest_logger::clock::Clock;
use rainforest_logger::reading::ClockStamp;

/// The boot id a [`ScaledClock`] reports.
pub const SCALED_BOOT_ID: &str = "5ca1ed00-0000-0000-0000-000000000000";

/// Wall time and boot-relative time both run `speed` times faster than real time; the wall
/// clock can jump or be synchronized, the boot-relative clock never jumps.
pub struct ScaledClock {
    started: Instant,
    speed: u32,
    /// Wall time at `started` (moved by jumps), and whether the clock is synchronized.
    wall: Mutex<(DateTime<Utc>, bool)>,
}

/// Boot-relative time at `started`: the Pi has been up ten minutes.
const BOOT_MS: u64 = 600_000;

impl ScaledClock {
    /// Starts at `now`, synchronized or not.
    pub fn new(now: DateTime<Utc>, speed: u32, synced: bool) -> Arc<ScaledClock> {
        Arc::new(ScaledClock {
            started: Instant::now(),
            speed,
            wall: Mutex::new((now, synced)),
        })
    }

    fn elapsed(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.started.elapsed() * self.speed).unwrap()
    }

    /// The wall clock steps by `by` (forwards or backwards), as a manual `date -s` would.
    pub fn jump(&self, by: chrono::Duration) {
        self.wall.lock().unwrap().0 += by;
    }

    /// NTP sets the wall clock to `now` and reports it synchronized.
    pub fn sync_to(&self, now: DateTime<Utc>) {
        let elapsed = self.elapsed();
        *self.wall.lock().unwrap() = (now - elapsed, true);
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.wall.lock().unwrap().0 + self.elapsed()
    }

    fn stamp(&self) -> ClockStamp {
        let synced = self.wall.lock().unwrap().1;
        ClockStamp {
            synced,
            boot_id: SCALED_BOOT_ID.into(),
            monotonic_ms: BOOT_MS + self.elapsed().num_milliseconds().unsigned_abs(),
        }
    }
}
