//! rainforest-logger: an unattended energy-data logger for a Rainforest EAGLE gateway.
//!
//! The modules follow the data path of one [`reading`]:
//! [`config`] (validated settings) → [`eagle`] (client and parsing) → [`daemon`] (the poll
//! loop) → [`store`] (SQLite buffer) → [`upload`] (hourly batches to S3) → [`health`] (one
//! state from what the poll loop and uploader know) → [`led`] (that state on the status LED)
//! → [`logger`] (the running logger: all of it assembled once, supervised, told to systemd,
//! with the household page of [`web`]). [`cli`] holds the commands of the `rainforest-logger`
//! binary; [`clock`], [`problems`], [`durable`] (atomic file replacement) and [`terminal`]
//! (untrusted text made safe to print) serve them all. Apart from the data path, [`fleet`]
//! reads many households' heartbeats back for staff, and [`provision`] writes the Pi's host
//! name, Wi-Fi and SSH keys from the same config file.

pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod durable;
pub mod eagle;
pub mod fleet;
pub mod health;
pub mod led;
pub mod logger;
pub mod problems;
pub mod provision;
pub mod reading;
pub mod store;
pub mod terminal;
pub mod upload;
pub mod web;
