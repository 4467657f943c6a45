//! Validated, typed settings: what the rest of the program reads. Built only by
//! [`crate::config::load`] / [`Settings::from_toml_str`] from the raw TOML.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::secret::Secret;
use crate::eagle::Fingerprint;

/// Every setting of one household's logger, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The file the settings came from (named in every error and in `status`).
    pub source: PathBuf,
    /// `[household]`.
    pub household: HouseholdSettings,
    /// `[eagle]`.
    pub eagle: EagleSettings,
    /// `[storage]`.
    pub storage: StorageSettings,
    /// `[s3]`.
    pub s3: S3Settings,
    /// `[led]`.
    pub led: LedSettings,
    /// `[clock]`.
    pub clock: ClockSettings,
    /// `[web]`.
    pub web: WebSettings,
    /// `[wifi]`: `None` when `wifi.ssid` is empty or absent (Ethernet only). Read by
    /// `provision`, not by the daemon.
    pub wifi: Option<WifiSettings>,
    /// `[ssh]`. Read by `provision`, not by the daemon.
    pub ssh: SshSettings,
    /// `[update]`. Read by `provision`, not by the daemon.
    pub update: UpdateSettings,
}

/// `[household]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdSettings {
    /// Letters, digits, `-`, `_` (1–64 characters); used in S3 keys.
    pub id: String,
}

/// Which EAGLE local API to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    /// Detect at start-up: EAGLE-200/EAGLE 3 first, then the legacy RFA-Z109.
    Auto,
    /// EAGLE-200 / EAGLE 3 `post_manager` XML API.
    Eagle200,
    /// Legacy RFA-Z109 `post_manager` with `<Format>JSON</Format>` hex replies.
    Legacy,
}

/// `[eagle]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EagleSettings {
    /// Base URL of the gateway, always with scheme and without a trailing slash,
    /// e.g. `http://eagle-0123ab.local` or `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Cloud ID: 6 hex digits, lowercase. Basic-auth user name.
    pub cloud_id: String,
    /// Install Code: 16 hex digits. Basic-auth password. Never printed.
    pub install_code: Secret,
    /// Which API to speak.
    pub api: ApiKind,
    /// The meter's HardwareAddress (lowercase); `None` = the joined electric meter.
    pub meter: Option<String>,
    /// Time between polls (default 6 s, at least 1 s).
    pub poll_interval: Duration,
    /// Time limit for one HTTP request (default 10 s, at least 1 s).
    pub timeout: Duration,
    /// The EAGLE's https certificate, pinned up front; `None` = trust the first one met and
    /// keep it in the buffer.
    pub certificate_sha256: Option<Fingerprint>,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSettings {
    /// SQLite database file.
    pub path: PathBuf,
    /// Uploaded rows older than this are pruned (default 30 days).
    pub retention: Duration,
    /// Size limit of the database in bytes (default 1 GiB).
    pub max_size: u64,
    /// How often the daemon makes its readings durable on the card, in the window file
    /// (default 60 s; zero = each reading as it is taken); between commits they wait in the
    /// readings journal.
    pub commit_interval: Duration,
    /// How long, at most, committed readings wait in the card's window file before they are
    /// committed to the database (default 1 h; also at the end of each upload period).
    pub database_interval: Duration,
    /// Where the readings journal lives: `None` = beside the buffer (`PATH.journal`), else
    /// this directory (the buffer's file name + `.journal` in it). The shipped config puts it
    /// on /run, in memory: it has only to outlive the process, never a power cut.
    pub journal_dir: Option<PathBuf>,
}

/// Where batches go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Amazon S3 itself (`s3.endpoint` empty).
    Aws,
    /// An S3-compatible service at this URL (`http://…` or `https://…`).
    Custom(String),
    /// A local directory (`file:///some/dir`): same keys and bytes, written atomically.
    Directory(PathBuf),
}

/// `[s3]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Bucket name (may be empty only for a [`Endpoint::Directory`] target).
    pub bucket: String,
    /// Region, after the `AWS_REGION` override.
    pub region: String,
    /// Where to send objects.
    pub endpoint: Endpoint,
    /// Path-style addressing (needed by most S3-compatible servers).
    pub path_style: bool,
    /// Key prefix, e.g. `study-2026/` (may be empty).
    pub prefix: String,
    /// Access key id, after the `AWS_ACCESS_KEY_ID` override; `None` if unset.
    pub access_key_id: Option<Secret>,
    /// Secret access key, after the `AWS_SECRET_ACCESS_KEY` override; `None` if unset.
    pub secret_access_key: Option<Secret>,
    /// Length of one batch period, UTC-aligned (1 minute to 1 day, dividing a day evenly).
    pub batch_period: Duration,
    /// Object key template; `None` = the default layout of docs/design.md §3.
    pub key_template: Option<String>,
    /// The first upload after a period ends waits a household-specific share of this
    /// (default 5 min), so a fleet does not PUT in the same second.
    pub fleet_spread: Duration,
}

/// Which LED backend drives the status light.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedBackend {
    /// No LED.
    None,
    /// An LED-class device under `/sys/class/leds/<name>`.
    Sysfs,
    /// A GPIO line through the character device.
    Gpio,
}

/// What the LED shows when all is well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthyPattern {
    /// A slow heartbeat blink.
    Heartbeat,
    /// Steadily on.
    On,
    /// Dark (for bedrooms).
    Off,
}

/// `[led]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedSettings {
    /// Which backend.
    pub backend: LedBackend,
    /// LED-class directory for [`LedBackend::Sysfs`].
    pub sysfs_path: PathBuf,
    /// GPIO character device for [`LedBackend::Gpio`].
    pub gpio_chip: PathBuf,
    /// GPIO line offset on that chip.
    pub gpio_line: u32,
    /// The LED lights when the line is low.
    pub active_low: bool,
    /// Pattern when healthy.
    pub healthy: HealthyPattern,
}

/// `[clock]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSettings {
    /// Wait for NTP sync before uploading (false where the clock is trusted as it is).
    pub require_sync: bool,
}

/// `[web]`: the household page (src/web).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebSettings {
    /// Serve the page (default false: showing a household its use is itself an intervention
    /// in a study, so the program turns it on per home).
    pub enable: bool,
    /// Where to listen (default `0.0.0.0:80`: port 80 on every IPv4 address of the Pi, which
    /// are its LAN interfaces' addresses and loopback; `[::]:80` adds IPv6).
    pub listen: SocketAddr,
}

/// `[wifi]` with a network set: what `provision` writes into wpa_supplicant's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiSettings {
    /// The network name: 1 to 32 bytes of UTF-8, no control characters.
    pub ssid: String,
    /// How to authenticate to it.
    pub security: WifiSecurity,
    /// ISO 3166 country code, two uppercase letters: the regulatory domain (which channels
    /// and transmit powers are legal), without which the radio keeps to the few channels
    /// allowed everywhere and may not see the home's network.
    pub country: String,
}

/// The key of a Wi-Fi network. Both keyed forms are secrets and never printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WifiSecurity {
    /// An open network (`wifi.passphrase = ""`).
    Open,
    /// A WPA passphrase: 8 to 63 printable ASCII characters.
    Passphrase(Secret),
    /// A WPA pre-shared key given directly: 64 hex digits, as typed.
    Psk(Secret),
}

/// `[ssh]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSettings {
    /// OpenSSH public key lines (`type base64 [comment]`), trimmed, in file order; empty =
    /// SSH stays off. Public keys, not secrets.
    pub authorized_keys: Vec<String>,
}

/// Which suite of the program's apt repository a box follows (`update.channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateChannel {
    /// Releases every box gets (the default).
    Stable,
    /// Releases on trial in a few homes before they are promoted to stable.
    Canary,
    /// No unattended upgrades at all, neither the logger's nor Debian's security updates.
    Off,
}

impl UpdateChannel {
    /// The name in the config file, which is also the repository's suite.
    pub fn name(self) -> &'static str {
        match self {
            UpdateChannel::Stable => "stable",
            UpdateChannel::Canary => "canary",
            UpdateChannel::Off => "off",
        }
    }
}

/// `[update]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateSettings {
    /// The suite followed, or `Off`.
    pub channel: UpdateChannel,
}
