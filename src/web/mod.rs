//! The household page: an opt-in, read-only page on the home's LAN showing what the home uses
//! now, today's kWh and the LED state in words (`[web]`, off by default).
//!
//! ```text
//!   poll loop ─ DaemonEvent::Stored ─┐
//!   LED state (watch) ───────────────┼→ feed → watch<PageView> → GET /        (HTML)
//!   upload status (watch) ───────────┘                         → GET /events  (SSE, ≤ 5)
//! ```
//!
//! The feed is the only reader of the daemon's channels; every client reads the one latest
//! [`PageView`] from a `watch`, so a slow or stalled client skips views instead of holding
//! anything up, and the poll loop never waits for the page.

mod escape;
mod events;
mod facts;
mod feed;
mod page;
mod request;
mod response;
mod server;
mod view;

pub use escape::escape_html;
pub use facts::{local_day_start, PageFacts};
pub use feed::PageSources;
pub use request::{HEADER_TIMEOUT, MAX_HEAD};
pub use server::{start, WebHandle, MAX_CONNECTIONS, MAX_STREAMS};
pub use view::PageView;
