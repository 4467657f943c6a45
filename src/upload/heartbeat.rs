//! The heartbeat: a small JSON object per household, rewritten after every upload cycle, from
//! which `fleet` tells which homes went quiet.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

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
    /// Pending rows dropped because the buffer hit `storage.max_size`, since install.
    pub dropped_rows: u64,
    /// What the status LED shows (`healthy`, `EAGLE unreachable`, …), when known.
    pub led_state: Option<String>,
    /// When a damaged buffer was set aside for this one, and the file it was moved to.
    #[serde(default)]
    pub buffer_set_aside: Option<String>,
}

impl Heartbeat {
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
    fn free_disk_is_measured() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_disk_bytes(&dir.path().join("readings.db")).unwrap();
        assert!(free > 0);
        assert_eq!(free_disk_bytes(Path::new("/nonexistent/dir/x.db")), None);
    }
}
