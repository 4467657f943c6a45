//! The integration tests, one binary: each module was its own test binary, and each of them
//! compiled `common` again (and, using only part of it, had to silence the dead-code lint).
//! Run one module with `cargo test --locked --test suite upload::` (the filter is a substring
//! of `module::test_name`).

mod common;

mod analyst_queries;
mod buffer_files;
mod cli;
mod config;
mod corpus;
mod crash;
mod daemon_sim;
mod eagle_tls;
mod end_to_end;
mod faults;
mod fleet;
mod hostile_replies;
mod led;
mod meter_not_reporting;
mod poll_cadence;
mod provision;
mod simulator;
mod soak;
mod store;
mod store_props;
mod systemd;
mod upload;
mod web;
mod web_hostile;
