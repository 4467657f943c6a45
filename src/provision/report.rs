//! What `provision` did with each part of the config.

use super::error::ProvisionError;

/// A part whose files now say what the config says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What the part is now, as a person reads it: `rainforest-h-0001`,
    /// `network "HomeNet" (country GB)`, `2 authorized keys`, `off (no authorized keys)`.
    /// Never a passphrase.
    pub summary: String,
    /// Whether any file was written, removed or had its mode fixed just now.
    pub changed: bool,
}

/// The outcome of one part.
#[derive(Debug)]
pub enum Outcome {
    /// Applied (or already in place).
    Applied(Applied),
    /// The part has config problems ([`crate::config::SystemSettings::problems`] lists them):
    /// its files were left exactly as they were.
    Invalid,
    /// The part can cut the box off its network (Wi-Fi, SSH) and the file has sections or keys
    /// the program does not know ([`crate::config::SystemSettings::unknown`]): what the file
    /// means for this part is uncertain, so its files were left exactly as they were.
    Held,
    /// Writing failed; the part may be half applied (one of its files written).
    Failed(ProvisionError),
}

/// The outcome of every part.
#[derive(Debug)]
pub struct Report {
    /// `/etc/hostname` and `/etc/hosts`, from `[household]`.
    pub hostname: Outcome,
    /// wpa_supplicant's file, from `[wifi]`.
    pub wifi: Outcome,
    /// root's `authorized_keys`, from `[ssh]`.
    pub ssh: Outcome,
    /// The apt source entry's suite, the unattended-upgrades switch and times, from
    /// `[update]` and `[household] id`.
    pub update: Outcome,
}

impl Report {
    /// Each part with the name it is reported under, in file order.
    pub fn into_parts(self) -> [(&'static str, Outcome); 4] {
        [
            ("hostname", self.hostname),
            ("wifi", self.wifi),
            ("ssh", self.ssh),
            ("update", self.update),
        ]
    }
}
