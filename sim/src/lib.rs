//! The EAGLE simulator: a real HTTP server that answers `POST /cgi-bin/post_manager` like a
//! Rainforest EAGLE-200 / EAGLE 3 (or a legacy RFA-Z109), with firmware-quirk
//! [profiles](Profile) and runtime [faults](Fault). The tests and `rainforest-logger demo` point
//! the real client at it in-process ([`start`]); the `rainforest-eagle-sim simulate` binary runs
//! one on its own for the benches and the SD image's boot test. A crate of its own so the
//! logger the Pi runs carries neither this code nor an HTTP server.
//!
//! Behaviour, following docs/eagle-api.md:
//! - Reached over plain http, or over https with a self-signed certificate made at start, or
//!   (a 2026 EAGLE 3) over http that redirects every request to https on the access point's
//!   address, per the profile's listener.
//! - Only `POST /cgi-bin/post_manager` (other paths 404, other methods 405). HTTP Basic auth,
//!   user = Cloud ID (case-insensitive), password = Install Code; otherwise 401 with
//!   `WWW-Authenticate: Basic realm="EAGLE"`.
//! - The body is an XML `<Command>` (or legacy `<LocalCommand>`), element names
//!   case-insensitive, any whitespace, any Content-Type. **A body that does not parse, an
//!   unknown command, a command of the other API generation or an unknown HardwareAddress /
//!   MacId gets 400** with a short text body: the device's real answer is undocumented, and
//!   this is the choice the client is written against.
//! - Replies: `Content-Type: text/html`, `Access-Control-Allow-Credentials: true`,
//!   `Access-Control-Allow-Headers: Authorization`, `Date`; framing per [`Framing`].
//! - The meter is deterministic from [`SimConfig::seed`]: one new reading every
//!   [`SimConfig::meter_update`], `LastContact` advancing with it. [`SimHandle::served`] logs
//!   the true values of every reading a reply carried, for comparison with what a client stored.

#![warn(missing_docs)]

mod auth;
mod fault;
mod framing;
mod handler;
mod meter;
mod profile;
mod render;
mod render_legacy;
mod request;
mod served;
mod server;
mod state;
mod stats;
mod tls;
mod variables;

use std::time::Duration;

pub use fault::{Fault, OVERSIZED_BYTES};
pub use framing::Framing;
pub use handler::BUSY_BODY;
pub use profile::{Profile, UnknownProfile};
pub use served::ServedReading;
pub use server::{start, SimHandle, ACCESS_POINT};
pub use stats::{SimStats, UNPARSED_COMMAND};

/// The only path the device answers.
pub const POST_MANAGER: &str = "/cgi-bin/post_manager";

/// The Wi-Fi key `wifi_status` leaks in `<Key>` (as the real device does). Tests can search
/// logs and uploads for it to prove the client never records it.
pub const WIFI_KEY: &str = "sim-wifi-key-5ecret-0451";

/// How to run a simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Firmware generation and quirk.
    pub profile: Profile,
    /// The Basic-auth user (6 hex digits on the label); compared case-insensitively.
    pub cloud_id: String,
    /// The Basic-auth password (16 hex digits on the label).
    pub install_code: String,
    /// Content-Length or chunked replies.
    pub framing: Framing,
    /// Seeds the meter's addresses, counters and noise: same seed, same readings.
    pub seed: u64,
    /// How often the meter pushes a new reading; `None` = the profile's default (4 s; 10 s
    /// for the legacy profiles). `LastContact` moves by this period rounded to whole seconds
    /// (at least 1 s), so with a sub-second period the meter's clock runs ahead of real time,
    /// which lets tests see many readings quickly.
    pub meter_update: Option<Duration>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            profile: Profile::default(),
            cloud_id: "0123ab".to_string(),
            install_code: "0123456789abcdef".to_string(),
            framing: Framing::Auto,
            seed: 1,
            meter_update: None,
        }
    }
}

impl SimConfig {
    /// The default configuration with another profile.
    pub fn with_profile(profile: Profile) -> SimConfig {
        SimConfig {
            profile,
            ..SimConfig::default()
        }
    }
}
