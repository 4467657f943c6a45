//! The running logger: the poll loop, the upload engine, the health model on the LED and
//! systemd, the watchdog and the household page, assembled in one place ([`Logger`]) that
//! `run`, `demo` and the tests share.
//!
//! ```text
//!   Daemon ─ events ─→ HealthTracker ─→ Indicator ─→ LED task (pattern engine)
//!     │  │                   ↑                   └─→ systemd STATUS= (and the log)
//!     │  │    Uploader ─ status ┘ (and the LED state into its heartbeat)
//!     │  └ events ─→ household page (when `web.enable`)
//!     └ last_tick ─→ watchdog ─→ systemd WATCHDOG=1 (only while the loop ticks)
//! ```
//!
//! [`Notifier`] speaks the `sd_notify` protocol itself (a datagram to `$NOTIFY_SOCKET`):
//! `READY=1` once the buffer is open, `WATCHDOG=1`, `STATUS=`, `STOPPING=1`.

mod assembly;
mod indicator;
mod notify;
mod page;
mod supervise;
mod timing;
mod watchdog;

pub use assembly::{Logger, Parts, Running};
pub use indicator::Indicator;
pub use notify::Notifier;
pub use timing::{ServiceTiming, STALL_MARGIN};
pub use watchdog::feed_watchdog;
