//! Talking to the Rainforest EAGLE over its local HTTP API.
//!
//! [`Eagle`] is what the daemon polls: it detects the API generation, picks the meter, sends
//! the requests built in [`request`] through [`transport`] (https pinned by [`certificate`]),
//! and decodes the replies ([`device_list`], [`device_query`], [`legacy`]) into a
//! [`MeterSample`]. Parsing is tolerant of every firmware quirk in docs/eagle-api.md, and never
//! guesses a number.

pub mod certificate;
pub mod device_list;
pub mod device_query;
pub mod element_tree;
mod error;
mod gateway;
pub mod legacy;
pub mod plain_xml;
pub mod request;
mod sample;
pub mod text_field;
pub mod transport;
pub mod value;
pub mod xml;

pub use certificate::{Fingerprint, PinSource};
pub use error::{EagleError, EMPTY_BODY};
pub use gateway::{Api, Eagle};
pub use sample::{Anomaly, MeterSample};

/// A reply fixture from `tests/fixtures/` (recorded replies; their sources are in its
/// README), for the unit tests.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
