//! rainforest-logger: an unattended energy-data logger for a Rainforest EAGLE gateway.
//!
//! The modules follow the data path of one reading:
//! [`config`] → [`eagle`] (client and parsing) → [`store`] (SQLite buffer) → [`daemon`]
//! (poll loop and shutdown). Beside it, [`health`] turns what the daemon knows into one state,
//! [`led`] shows that state on the status LED, and [`service`] ties both and systemd's
//! notifications to the daemon. [`sim`] is the EAGLE simulator the tests and `demo` talk to;
//! [`cli`] holds the commands of the `rainforest-logger` binary.

pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod eagle;
pub mod health;
pub mod led;
pub mod reading;
pub mod service;
pub mod sim;
pub mod store;
