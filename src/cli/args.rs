//! The command line (docs/design.md §5), declared with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// What `--version` prints after the name: the release, the git commit and the target triple
/// (both from build.rs), e.g. `0.1.0 (commit 574bb7d, aarch64-unknown-linux-gnu)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("RAINFOREST_COMMIT"),
    ", ",
    env!("RAINFOREST_TARGET"),
    ")"
);

/// Logs a Rainforest EAGLE energy gateway to SQLite and S3, unattended.
#[derive(Debug, Parser)]
#[command(name = "rainforest-logger", version = VERSION, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the logger daemon (polls the EAGLE, buffers readings).
    Run {
        /// Config file (default: /boot/firmware/rainforest-logger.toml, then
        /// /etc/rainforest-logger/config.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate a config file; exit 0, or 1 listing every problem.
    CheckConfig {
        /// Config file to check (same as --config).
        path: Option<PathBuf>,
        /// Config file (default search order as for `run`).
        #[arg(long, conflicts_with = "path")]
        config: Option<PathBuf>,
    },
    /// Query the EAGLE once: list its meters, read the chosen one, print a table.
    Probe {
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show the local buffer: readings stored, pending upload, last reading, last error.
    Status {
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Upload every complete pending period now, one line per object, then exit.
    Flush {
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Counts by state, then the households that need attention, worst first, from the
    /// heartbeats in the bucket (needs credentials that may list and read `{prefix}status/`).
    /// Exits 3 when any household needs attention.
    Fleet {
        /// Config file (its [s3] section names the bucket; the household id is not used).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON for machines (every household, worst first) instead of the table.
        #[arg(long)]
        json: bool,
        /// List every household, not only those that need attention.
        #[arg(long)]
        all: bool,
        /// Also write a self-contained HTML report (tiles, attention list, 14-day heatmap).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Write hostname, Wi-Fi and SSH settings from the config into the OS (run as root at boot
    /// by the SD image).
    Provision {
        /// Config file (default search order as for `run`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory the OS files are written under (`etc/hostname`, …); other than `/` only
        /// for building an image or testing.
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
    /// Run simulator and logger together with a temporary buffer, printing readings live.
    #[cfg(feature = "demo")]
    Demo {
        /// Firmware profile for the simulated EAGLE.
        #[arg(long, default_value = "eagle200-2019")]
        profile: String,
        /// Stop after this long (e.g. "30s"); default: until Ctrl-C.
        #[arg(long)]
        duration: Option<String>,
    },
}
