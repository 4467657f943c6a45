//! Why a file of the Pi's setup could not be written: always naming the path, never the
//! content (it may hold the Wi-Fi passphrase).

use std::io;
use std::path::PathBuf;

/// An operating-system refusal while provisioning one file or directory.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The existing file could not be read to compare it with what it should hold.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A directory could not be created, or its permissions set.
    #[error("cannot create directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file could not be written, renamed into place, synced, or given its permissions.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file could not be removed.
    #[error("cannot remove {}: {source}", path.display())]
    Remove {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}
