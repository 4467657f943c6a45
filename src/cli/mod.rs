//! The commands of the `rainforest-logger` binary, one file each; `main.rs` only parses the
//! arguments, starts logging and the runtime, and maps errors to exit codes.

mod args;
mod check_config;
#[cfg(feature = "demo")]
mod demo;
mod error;
mod fleet;
mod flush;
mod probe;
mod provision;
mod run;
mod status;

use std::path::{Path, PathBuf};

pub use args::{Cli, Command, VERSION};
pub use error::CommandError;

use crate::config::{self, ConfigError, Settings};

/// Runs one command to completion.
pub async fn execute(command: Command) -> Result<(), CommandError> {
    match command {
        Command::Run { config } => run::run(config.as_deref()).await,
        Command::CheckConfig { path, config } => {
            check_config::check_config(path.or(config).as_deref())
        }
        Command::Probe { config } => probe::probe(config.as_deref()).await,
        Command::Status { config } => status::status(config.as_deref()),
        Command::Flush { config } => flush::flush(config.as_deref()).await,
        Command::Fleet {
            config,
            json,
            all,
            html,
        } => fleet::fleet(config.as_deref(), fleet::FleetOptions { all, json, html }).await,
        Command::Provision { config, root } => provision::provision(config.as_deref(), &root),
        #[cfg(feature = "demo")]
        Command::Demo { profile, duration } => demo::demo(&profile, duration.as_deref()).await,
    }
}

/// Finds the config file (explicit path or the search order of docs/design.md §4) and loads
/// it, with the real environment's AWS_* overrides.
fn load_settings(explicit: Option<&Path>) -> Result<Settings, ConfigError> {
    config::load(&config_path(explicit)?, &config::process_env)
}

/// The config file: the explicit path, or the first of the search order of docs/design.md §4.
fn config_path(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let candidates: Vec<&Path> = config::SEARCH_PATHS.iter().map(Path::new).collect();
    config::locate(explicit, &candidates)
}
