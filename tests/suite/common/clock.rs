//! The tests' clocks: the real time, always synchronized ([`TestClock`]); one that moves only
//! when the test says ([`FakeClock`]); and one that runs faster than real time and can be set
//! like NTP sets a Pi's clock ([`ScaledClock`]), so a test sees minutes of batch periods, an
//! unsynced boot and clock jumps in seconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// A clock that is always synchronized and reads the real time.
pub struct TestClock;

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn stamp(&self) -> ClockStamp {
        ClockStamp {
            synced: true,
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            monotonic_ms: 1,
        }
    }
}

/// The clock as an `Arc<dyn Clock>`.
pub fn test_clock() -> Arc<dyn Clock> {
    Arc::new(TestClock)
}

/// A clock the test sets: wall time, sync state, and boot-relative time move only when told.
pub struct FakeClock {
    state: std::sync::Mutex<(DateTime<Utc>, bool, u64)>,
}

pub const FAKE_BOOT_ID: &str = "11111111-2222-3333-4444-555555555555";

impl FakeClock {
    /// Starts at `now`, synchronized or not, 10 minutes after boot.
    pub fn new(now: DateTime<Utc>, synced: bool) -> Arc<FakeClock> {
        Arc::new(FakeClock {
            state: std::sync::Mutex::new((now, synced, 600_000)),
        })
    }

    /// Both clocks move forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap();
        state.0 += chrono::Duration::from_std(by).unwrap();
        state.2 += by.as_millis() as u64;
    }

    /// The wall clock is set (as NTP does), the boot-relative clock is not affected.
    pub fn set_wall(&self, now: DateTime<Utc>, synced: bool) {
        let mut state = self.state.lock().unwrap();
        state.0 = now;
        state.1 = synced;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.state.lock().unwrap().0
    }
    fn stamp(&self) -> ClockStamp {
        let state = self.state.lock().unwrap();
        ClockStamp {
            synced: state.1,
            boot_id: FAKE_BOOT_ID.into(),
            monotonic_ms: state.2,
        }
    }
}
