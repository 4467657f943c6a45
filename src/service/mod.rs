//! Running as a systemd service: the daemon plus its companions.
//!
//! ```text
//!   Daemon ─ events ─→ HealthTracker ─→ Indicator ─→ LED task (pattern engine)
//!          │                                     └─→ systemd STATUS= (and the log)
//!          └ last_tick ─→ watchdog ─→ systemd WATCHDOG=1 (only while the loop ticks)
//! ```
//!
//! [`Notifier`] speaks the `sd_notify` protocol itself (a datagram to `$NOTIFY_SOCKET`):
//! `READY=1` once the buffer is open, `WATCHDOG=1`, `STATUS=`, `STOPPING=1`.

mod indicator;
mod notify;
mod supervise;
mod timing;
mod watchdog;

pub use indicator::Indicator;
pub use notify::Notifier;
pub use supervise::{supervise, UploadWatch};
pub use timing::{ServiceTiming, RECHECK, STALL_MARGIN};
pub use watchdog::feed_watchdog;
