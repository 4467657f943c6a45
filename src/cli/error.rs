//! Why a command failed, and the exit code that says so (docs/design.md §5: 1 user error,
//! 2 runtime).

use thiserror::Error;

use crate::config::ConfigError;
use crate::daemon::DaemonError;
use crate::eagle::EagleError;
use crate::provision::ProvisionError;
use crate::store::StoreError;
use crate::upload::UploadError;

/// A failed command.
#[derive(Debug, Error)]
pub enum CommandError {
    /// The config file is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The EAGLE could not be read.
    #[error(transparent)]
    Eagle(#[from] EagleError),
    /// The buffer could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The daemon could not start.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// An upload (or reading the bucket) failed.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// `provision` could not write a file of the Pi's setup.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// A wrong command-line value.
    #[error("{0}")]
    Usage(String),
    /// `fleet` found households that need attention (its report says which): exit 3, so a
    /// cron job or CI step can alert.
    #[error("{0} household(s) need attention")]
    NeedsAttention(usize),
    /// Anything else the operating system refused.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl CommandError {
    /// 1 for what the user can fix (config, credentials, arguments), 2 for runtime failures,
    /// 3 for `fleet`'s "households need attention".
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::NeedsAttention(_) => 3,
            CommandError::Config(_)
            | CommandError::Usage(_)
            | CommandError::Upload(UploadError::Config(_)) => 1,
            CommandError::Eagle(e) | CommandError::Daemon(DaemonError::Eagle(e))
                if e.is_credential_error() =>
            {
                1
            }
            _ => 2,
        }
    }
}
