//! Provisioning: the Pi's own settings written from the config file, by `rainforest-logger
//! provision`, which the SD image runs as root at every boot.
//!
//! The household edits one file on the boot partition; this module turns four of its parts
//! into the operating system's files (paths under a root directory, `/` on the Pi):
//!
//! ```text
//! [household] id    → /etc/hostname, /etc/hosts                            (0644)
//! [wifi]            → /etc/wpa_supplicant/wpa_supplicant-wlan0.conf          (0600; removed without an ssid)
//! [ssh] authorized_keys → /root/.ssh/authorized_keys (0600, in /root/.ssh 0700; removed without keys)
//! [update] channel (+ household id) → /etc/apt/sources.list.d/rainforest-logger.sources (its Suites:),
//!                   /etc/apt/apt.conf.d/51rainforest-logger-update,
//!                   /etc/systemd/system/apt-daily{,-upgrade}.timer.d/rainforest-logger.conf  (0644)
//! ```
//!
//! A file is written only when its content or mode differs (the SD card is not rewritten at
//! every boot), and then atomically. The parts are independent: one with a mistake in the
//! config is left exactly as it was (a typo in `[wifi]` must not cut a remote box off its
//! network), and the others are still applied. The values of the rest of the file
//! (`[eagle]`, `[s3]`, …) are the logger's and do not matter here; but a section or key that
//! nothing knows, anywhere, means the file was misread, and then the parts that give access
//! to the box (Wi-Fi, SSH) are held as they are: a part added later decides the same way, by
//! being applied with `part` or `access_part`.

mod apply;
mod authorized_keys;
mod error;
mod file;
mod hostname;
mod report;
mod update;
mod wpa;

pub use apply::apply;
pub use error::ProvisionError;
pub use report::{Applied, Outcome, Report};

/// The first comment line of every file written, so someone reading it on the Pi knows where
/// it comes from and that editing it there is pointless; the part it comes from follows.
const MANAGED: &str =
    "Written by `rainforest-logger provision` at every boot (edits here are overwritten) from";
