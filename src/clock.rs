//! The Pi's clock, and what the logger knows about it (docs/design.md §6).
//!
//! A Pi has no real-time clock: it boots with a stale time until NTP syncs. Each reading
//! records whether the clock was synchronized, plus the boot id and boot-relative monotonic
//! time, so a later stage can correct readings taken before the sync.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::reading::ClockStamp;

/// Where systemd-timesyncd signals a completed sync.
pub const TIMESYNCD_FLAG: &str = "/run/systemd/timesync/synchronized";

/// The source of "now" for readings; tests inject their own.
pub trait Clock: Send + Sync {
    /// Wall-clock time now.
    fn now(&self) -> DateTime<Utc>;
    /// The clock's state now.
    fn stamp(&self) -> ClockStamp;
}

/// The system clock, with sync status from systemd-timesyncd's flag file or the kernel.
#[derive(Debug, Clone)]
pub struct SystemClock {
    boot_id: String,
    sync_flag: PathBuf,
}

impl SystemClock {
    /// Reads the boot id once; it cannot change while the process lives.
    pub fn new() -> SystemClock {
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|id| id.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        SystemClock {
            boot_id,
            sync_flag: PathBuf::from(TIMESYNCD_FLAG),
        }
    }

    /// True when the clock is known to be synchronized: timesyncd says so, or the kernel's
    /// NTP status has no `STA_UNSYNC`.
    pub fn is_synchronized(&self) -> bool {
        self.sync_flag.exists() || kernel_says_synchronized()
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn stamp(&self) -> ClockStamp {
        ClockStamp {
            synced: self.is_synchronized(),
            boot_id: self.boot_id.clone(),
            monotonic_ms: boot_time_ms(),
        }
    }
}

/// Milliseconds since boot, counting suspend (`CLOCK_BOOTTIME`).
pub fn boot_time_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_BOOTTIME exists on every Linux the
    // logger supports (2.6.39+).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1000
        + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1_000_000
}

/// The kernel's view: `adjtimex` in read-only mode (modes = 0) and the `STA_UNSYNC` bit.
fn kernel_says_synchronized() -> bool {
    // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_time_advances() {
        let first = boot_time_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = boot_time_ms();
        assert!(first > 0);
        assert!(second >= first + 20, "{first} → {second}");
    }

    #[test]
    fn timesyncd_flag_means_synced() {
        let dir = tempfile::tempdir().unwrap();
        let flag = dir.path().join("synchronized");
        let clock = SystemClock {
            boot_id: "b".into(),
            sync_flag: flag.clone(),
        };
        let kernel = kernel_says_synchronized();
        assert_eq!(clock.is_synchronized(), kernel);
        std::fs::write(&flag, "").unwrap();
        assert!(clock.is_synchronized());
        assert_eq!(clock.stamp().boot_id, "b");
    }

    #[test]
    fn boot_id_is_read() {
        let clock = SystemClock::new();
        assert_eq!(clock.boot_id.len(), 36, "{}", clock.boot_id);
    }
}
