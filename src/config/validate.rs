//! Raw TOML table → typed [`Settings`]: the rules of docs/design.md §4, collecting every
//! problem.
//!
//! Each section function reads all of its keys before building its settings, so one bad key
//! never hides another; a section's settings are `None` when any of its keys had a problem.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Table;

use super::address::{self, ENDPOINT_EXPECTED, HOST_EXPECTED};
use super::authorized_key;
use super::error::{ConfigError, Problem};
use super::key_template;
use super::reader::{Key, Reported, Section};
use super::region;
use super::secret::Secret;
use super::settings::*;
use super::units::{parse_duration, parse_size};
use super::wifi::{self, COUNTRY_EXPECTED, PASSPHRASE_EXPECTED, SSID_EXPECTED};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);
const MIB: u64 = 1 << 20;

const DURATION: &str = r#"a duration such as "10s" or "1m""#;
const SIZE: &str = r#"a size such as "512MiB" or "1GiB""#;

const HOUSEHOLD_ID: Key = Key::plain("id", "1 to 64 letters, digits, '-' or '_'");

const HOST: Key = Key::plain("host", HOST_EXPECTED);
const CLOUD_ID: Key = Key::plain(
    "cloud_id",
    "6 hex digits (the Cloud ID on the EAGLE's label)",
);
const INSTALL_CODE: Key = Key::secret(
    "install_code",
    "16 hex digits (the Install Code on the EAGLE's label)",
);
const API: Key = Key::plain("api", r#"one of "auto", "eagle200", "legacy""#);
const METER: Key = Key::plain("meter", r#""" or "0x" followed by 16 hex digits"#);
const POLL_INTERVAL: Key = Key::plain("poll_interval", DURATION);
const TIMEOUT: Key = Key::plain("timeout", DURATION);
const CERTIFICATE_SHA256: Key = Key::plain(
    "certificate_sha256",
    "\"\" or the SHA-256 of the EAGLE's https certificate: 64 hex digits, colons allowed \
     (as probe prints it)",
);

const STORAGE_PATH: Key = Key::plain("path", "a non-empty file path");
const RETENTION: Key = Key::plain("retention", DURATION);
const MAX_SIZE: Key = Key::plain("max_size", SIZE);
const COMMIT_INTERVAL: Key = Key::plain(
    "commit_interval",
    "a duration from 0s (commit every reading) to 1h, such as \"60s\"",
);
const DATABASE_INTERVAL: Key = Key::plain(
    "database_interval",
    "a duration from 0s (with every commit) to 24h, such as \"1h\"",
);
const JOURNAL_DIR: Key = Key::plain(
    "journal_dir",
    "\"\" (the journal beside the buffer) or an absolute directory path, such as \
     \"/run/rainforest-logger\"",
);

const BUCKET: Key = Key::plain(
    "bucket",
    "an S3 bucket name: 3 to 63 lowercase letters, digits, '.' or '-', starting and ending \
     with a letter or digit (required unless s3.endpoint is a file:// directory)",
);
const REGION: Key = Key::plain("region", region::AWS_EXPECTED);
const ENDPOINT: Key = Key::plain("endpoint", ENDPOINT_EXPECTED);
const PREFIX: Key = Key::plain("prefix", key_template::PREFIX_EXPECTED);
const ACCESS_KEY_ID: Key = Key::secret("access_key_id", "a string");
const SECRET_ACCESS_KEY: Key = Key::secret("secret_access_key", "a string");
const BATCH_PERIOD: Key = Key::plain("batch_period", DURATION);
const KEY_TEMPLATE: Key = Key::plain("key_template", "a string");
const FLEET_SPREAD: Key = Key::plain("fleet_spread", DURATION);

const LED_BACKEND: Key = Key::plain("backend", r#"one of "none", "sysfs", "gpio""#);
const SYSFS_PATH: Key = Key::plain("sysfs_path", "a path");
const GPIO_CHIP: Key = Key::plain("gpio_chip", "a path");
const GPIO_LINE: Key = Key::plain("gpio_line", "an integer from 0 to 1023");
const HEALTHY: Key = Key::plain("healthy", r#"one of "heartbeat", "on", "off""#);

const LISTEN: Key = Key::plain(
    "listen",
    r#"an IP address and a port from 1 to 65535, such as "0.0.0.0:80" or "[::]:8080""#,
);

const SSID: Key = Key::plain("ssid", SSID_EXPECTED);
const PASSPHRASE: Key = Key::secret("passphrase", PASSPHRASE_EXPECTED);
const COUNTRY: Key = Key::plain("country", COUNTRY_EXPECTED);

const AUTHORIZED_KEYS: Key = Key::plain("authorized_keys", authorized_key::EXPECTED);

const CHANNEL: Key = Key::plain("channel", r#"one of "stable", "canary", "off""#);

/// Validates the whole document. `source` goes into the settings and every problem.
pub(super) fn validate(table: &Table, source: &Path) -> Result<Settings, ConfigError> {
    let mut problems = Vec::new();
    let p = &mut problems;
    let mut root = Section::root(table);
    // A section that is not a table has been reported; its keys are not checked again.
    let household = root.section("household", p, household);
    let eagle = root.section("eagle", p, eagle);
    let storage = root.section("storage", p, storage);
    let s3 = root.section("s3", p, s3);
    let led = root.section("led", p, led);
    let clock = root.section("clock", p, clock);
    let web = root.section("web", p, web);
    let wifi = root.section("wifi", p, wifi);
    let ssh = root.section("ssh", p, ssh);
    let update = root.section("update", p, update);
    root.finish(p);

    let settings = (|| {
        Some(Settings {
            source: source.to_path_buf(),
            household: household?,
            eagle: eagle?,
            storage: storage?,
            s3: s3?,
            led: led?,
            clock: clock?,
            web: web?,
            wifi: wifi?,
            ssh: ssh?,
            update: update?,
        })
    })();
    match settings {
        Some(settings) if problems.is_empty() => Ok(settings),
        _ => Err(ConfigError::Invalid {
            path: source.to_path_buf(),
            problems,
        }),
    }
}

pub(super) fn household(mut s: Section, p: &mut Vec<Problem>) -> Option<HouseholdSettings> {
    let id = s.required(&HOUSEHOLD_ID, p, |text| {
        let valid = (1..=64).contains(&text.chars().count())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(text.to_string())
        } else {
            Err(HOUSEHOLD_ID.expected)
        }
    });
    s.finish(p);
    Some(HouseholdSettings { id: id? })
}

fn eagle(mut s: Section, p: &mut Vec<Problem>) -> Option<EagleSettings> {
    let base_url = s.required(&HOST, p, address::eagle_base_url);
    let cloud_id = s.required(&CLOUD_ID, p, |text| {
        hex_digits(text, 6)
            .then(|| text.to_ascii_lowercase())
            .ok_or(CLOUD_ID.expected)
    });
    let install_code = s.required(&INSTALL_CODE, p, |text| {
        hex_digits(text, 16)
            .then(|| Secret::new(text))
            .ok_or(INSTALL_CODE.expected)
    });
    let api = s.optional(&API, ApiKind::Auto, p, |text| match text {
        "auto" => Ok(ApiKind::Auto),
        "eagle200" => Ok(ApiKind::Eagle200),
        "legacy" => Ok(ApiKind::Legacy),
        _ => Err(API.expected),
    });
    let meter = s.optional(&METER, None, p, |text| {
        if text.is_empty() {
            return Ok(None);
        }
        match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(digits) if hex_digits(digits, 16) => {
                Ok(Some(format!("0x{}", digits.to_ascii_lowercase())))
            }
            _ => Err(METER.expected),
        }
    });
    let poll_interval = s.optional(&POLL_INTERVAL, 6 * SECOND, p, |text| {
        duration_within(text, SECOND.., "a duration of at least 1s")
    });
    let timeout = s.optional(&TIMEOUT, 10 * SECOND, p, |text| {
        duration_within(text, SECOND..=5 * MINUTE, "a duration between 1s and 5m")
    });
    let certificate_sha256 = s.optional(&CERTIFICATE_SHA256, None, p, |text| {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| CERTIFICATE_SHA256.expected)
    });
    s.finish(p);
    Some(EagleSettings {
        base_url: base_url?,
        cloud_id: cloud_id?,
        install_code: install_code?,
        api: api?,
        meter: meter?,
        poll_interval: poll_interval?,
        timeout: timeout?,
        certificate_sha256: certificate_sha256?,
    })
}

fn storage(mut s: Section, p: &mut Vec<Problem>) -> Option<StorageSettings> {
    let default_path = PathBuf::from("/var/lib/rainforest-logger/readings.db");
    let path = s.optional(&STORAGE_PATH, default_path, p, |text| {
        if text.is_empty() {
            Err(STORAGE_PATH.expected)
        } else {
            Ok(PathBuf::from(text))
        }
    });
    let retention = s.optional(&RETENTION, 30 * DAY, p, |text| {
        duration_within(text, HOUR.., "a duration of at least 1h")
    });
    let max_size = s.optional(&MAX_SIZE, 1024 * MIB, p, |text| {
        let size = parse_size(text).map_err(|_| SIZE)?;
        if size >= 16 * MIB {
            Ok(size)
        } else {
            Err("a size of at least 16MiB")
        }
    });
    // An hour bounds what a power cut may take; 0s is the old commit per reading.
    let commit_interval =
        s.optional(
            &COMMIT_INTERVAL,
            Duration::from_secs(60),
            p,
            |text| match parse_duration(text) {
                Ok(interval) if interval <= HOUR => Ok(interval),
                _ => Err(COMMIT_INTERVAL.expected),
            },
        );
    // A day bounds how long counters wait for the buffer; uploads never wait for it, since
    // each upload period's end brings a commit to the database of its own.
    let database_interval = s.optional(&DATABASE_INTERVAL, HOUR, p, |text| {
        match parse_duration(text) {
            Ok(interval) if interval <= 24 * HOUR => Ok(interval),
            _ => Err(DATABASE_INTERVAL.expected),
        }
    });
    // Absolute only: `status`, run from any directory, must find the journal the daemon
    // writes, or it would not count the readings waiting there.
    let journal_dir = s.optional(&JOURNAL_DIR, None, p, |text| match Path::new(text) {
        _ if text.is_empty() => Ok(None),
        dir if dir.is_absolute() => Ok(Some(dir.to_path_buf())),
        _ => Err(JOURNAL_DIR.expected),
    });
    s.finish(p);
    Some(StorageSettings {
        path: path?,
        retention: retention?,
        max_size: max_size?,
        commit_interval: commit_interval?,
        database_interval: database_interval?,
        journal_dir: journal_dir?,
    })
}

fn s3(mut s: Section, p: &mut Vec<Problem>) -> Option<S3Settings> {
    let given_bucket = s.string(&BUCKET, p);
    let given_region = s.string(&REGION, p);
    let endpoint = s.optional(&ENDPOINT, Endpoint::Aws, p, address::endpoint);
    // Which names are regions depends on the endpoint: read both first.
    let region = match given_region {
        Err(Reported) => None,
        Ok(None) => Some("us-east-1".to_string()),
        Ok(Some(text)) => region::check(text, endpoint.as_ref())
            .map_err(|message| s.report(REGION.name, message, p))
            .ok(),
    };
    let bucket = match (given_bucket, &endpoint) {
        (Err(Reported), _) => None,
        (Ok(Some(name)), _) if !name.is_empty() => {
            if is_bucket_name(name) {
                Some(name.to_string())
            } else {
                s.reject(&BUCKET, BUCKET.expected, name, p);
                None
            }
        }
        // From here the bucket is empty or absent: fine only for a local directory.
        (_, Some(Endpoint::Directory(_))) => Some(String::new()),
        // The endpoint is invalid (and reported): whether a bucket is needed is unknown.
        (_, None) => None,
        (Ok(None), Some(_)) => {
            s.missing(&BUCKET, p);
            None
        }
        (Ok(Some(empty)), Some(_)) => {
            s.reject(&BUCKET, BUCKET.expected, empty, p);
            None
        }
    };
    let path_style = s.boolean("path_style", false, p);
    let prefix = s.optional(&PREFIX, String::new(), p, key_template::prefix);
    let access_key_id = s.optional(&ACCESS_KEY_ID, None, p, optional_secret);
    let secret_access_key = s.optional(&SECRET_ACCESS_KEY, None, p, optional_secret);
    let batch_period = s.optional(&BATCH_PERIOD, HOUR, p, |text| {
        let period = duration_within(text, MINUTE..=DAY, "a duration between 1m and 1d")?;
        if period.as_millis() % MINUTE.as_millis() != 0 {
            Err("a whole number of minutes")
        } else if DAY.as_millis() % period.as_millis() != 0 {
            // Periods start at UTC midnight; one that does not divide the day would drift.
            Err("a period that divides 24h evenly, such as 5m, 15m, 1h or 6h")
        } else {
            Ok(period)
        }
    });
    let key_template = match s.string(&KEY_TEMPLATE, p) {
        Err(Reported) => None,
        Ok(None) => Some(None),
        Ok(Some("")) => Some(None),
        Ok(Some(template)) => {
            let found = key_template::problems(template, batch_period, prefix.as_deref());
            for message in &found {
                s.report(KEY_TEMPLATE.name, message.clone(), p);
            }
            found.is_empty().then(|| Some(template.to_string()))
        }
    };
    let fleet_spread = s.optional(&FLEET_SPREAD, 5 * MINUTE, p, |text| {
        duration_within(text, ..=HOUR, "a duration from 0s to 1h")
    });
    s.finish(p);
    Some(S3Settings {
        bucket: bucket?,
        region: region?,
        endpoint: endpoint?,
        path_style: path_style?,
        prefix: prefix?,
        access_key_id: access_key_id?,
        secret_access_key: secret_access_key?,
        batch_period: batch_period?,
        key_template: key_template?,
        fleet_spread: fleet_spread?,
    })
}

pub(super) fn led(mut s: Section, p: &mut Vec<Problem>) -> Option<LedSettings> {
    let backend = s.optional(&LED_BACKEND, LedBackend::Sysfs, p, |text| match text {
        "none" => Ok(LedBackend::None),
        "sysfs" => Ok(LedBackend::Sysfs),
        "gpio" => Ok(LedBackend::Gpio),
        _ => Err(LED_BACKEND.expected),
    });
    let sysfs_path = s.optional(&SYSFS_PATH, "/sys/class/leds/ACT".into(), p, |text| {
        Ok(PathBuf::from(text))
    });
    let gpio_chip = s.optional(&GPIO_CHIP, "/dev/gpiochip0".into(), p, |text| {
        Ok(PathBuf::from(text))
    });
    let gpio_line = s.integer(&GPIO_LINE, 17, p, |line| {
        u32::try_from(line).ok().filter(|&line| line <= 1023)
    });
    let active_low = s.boolean("active_low", false, p);
    let healthy = s.optional(&HEALTHY, HealthyPattern::Heartbeat, p, |text| match text {
        "heartbeat" => Ok(HealthyPattern::Heartbeat),
        "on" => Ok(HealthyPattern::On),
        "off" => Ok(HealthyPattern::Off),
        _ => Err(HEALTHY.expected),
    });
    s.finish(p);
    Some(LedSettings {
        backend: backend?,
        sysfs_path: sysfs_path?,
        gpio_chip: gpio_chip?,
        gpio_line: gpio_line?,
        active_low: active_low?,
        healthy: healthy?,
    })
}

fn clock(mut s: Section, p: &mut Vec<Problem>) -> Option<ClockSettings> {
    let require_sync = s.boolean("require_sync", true, p);
    s.finish(p);
    Some(ClockSettings {
        require_sync: require_sync?,
    })
}

/// The household page's port is 80 on every IPv4 address by default: the address a phone on
/// the LAN reaches as `http://rainforest-<household>.local/`.
pub(super) const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80);

fn web(mut s: Section, p: &mut Vec<Problem>) -> Option<WebSettings> {
    let enable = s.boolean("enable", false, p);
    let listen = s.optional(&LISTEN, DEFAULT_LISTEN, p, |text| {
        match text.parse::<SocketAddr>() {
            // Port 0 would pick a different port at every start: nobody could find the page.
            Ok(address) if address.port() != 0 => Ok(address),
            _ => Err(LISTEN.expected),
        }
    });
    s.finish(p);
    Some(WebSettings {
        enable: enable?,
        listen: listen?,
    })
}

/// `Some(None)` for a section without a network (no Wi-Fi, Ethernet only).
pub(super) fn wifi(mut s: Section, p: &mut Vec<Problem>) -> Option<Option<WifiSettings>> {
    let ssid = s.optional(&SSID, None, p, wifi::ssid);
    let security = s.optional(&PASSPHRASE, WifiSecurity::Open, p, wifi::security);
    let country = match (&ssid, s.optional(&COUNTRY, None, p, wifi::country)) {
        (Some(Some(_)), Some(None)) => {
            let message = format!(
                "required when wifi.ssid is set, because the Wi-Fi regulatory domain must be \
                 set; expected {COUNTRY_EXPECTED}"
            );
            s.report(COUNTRY.name, message, p);
            None
        }
        (_, country) => country,
    };
    s.finish(p);
    let (ssid, security, country) = (ssid?, security?, country?);
    // Both or neither: a network without a country was reported above.
    Some(ssid.zip(country).map(|(ssid, country)| WifiSettings {
        ssid,
        security,
        country,
    }))
}

pub(super) fn ssh(mut s: Section, p: &mut Vec<Problem>) -> Option<SshSettings> {
    let authorized_keys = s.strings(&AUTHORIZED_KEYS, p, authorized_key::check);
    s.finish(p);
    Some(SshSettings {
        authorized_keys: authorized_keys?,
    })
}

pub(super) fn update(mut s: Section, p: &mut Vec<Problem>) -> Option<UpdateSettings> {
    let channel = s.optional(&CHANNEL, UpdateChannel::Stable, p, |text| match text {
        "stable" => Ok(UpdateChannel::Stable),
        "canary" => Ok(UpdateChannel::Canary),
        "off" => Ok(UpdateChannel::Off),
        _ => Err(CHANNEL.expected),
    });
    s.finish(p);
    Some(UpdateSettings { channel: channel? })
}

/// `text` as a duration in `range`; else what was expected: [`DURATION`] for text that is no
/// duration, `expected` (which names the range) for one outside it.
fn duration_within(
    text: &str,
    range: impl RangeBounds<Duration>,
    expected: &'static str,
) -> Result<Duration, &'static str> {
    let duration = parse_duration(text).map_err(|_| DURATION)?;
    if range.contains(&duration) {
        Ok(duration)
    } else {
        Err(expected)
    }
}

/// Exactly `count` ASCII hex digits, either case.
fn hex_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// S3 bucket-naming rules (the subset that matters for typos).
fn is_bucket_name(name: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last())
}

/// An empty credential means "not set": the uploader then has no static credentials.
fn optional_secret(text: &str) -> Result<Option<Secret>, &'static str> {
    Ok((!text.is_empty()).then(|| Secret::new(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::tests::keys;
    use toml::Value;

    /// A real public key (ssh-keygen; the private half was discarded).
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKXN9hkJZwXriTDMX8ua3rxHW4nEeeyHiuyeiSV7TcJ1 staff@laptop";

    /// The smallest valid file, shared with the integration tests.
    const BASE: &str = include_str!("../../tests/fixtures/minimal_config.toml");

    fn run(table: &Table) -> Result<Settings, Vec<Problem>> {
        validate(table, Path::new("/c.toml")).map_err(|error| error.problems().to_vec())
    }

    /// The base config with `section.key = value` (a TOML value) set, then validated.
    fn with(section: &str, key: &str, value: &str) -> Result<Settings, Vec<Problem>> {
        let mut table: Table = BASE.parse().unwrap();
        let value: Table = format!("v = {value}").parse().unwrap();
        let section = table
            .entry(section)
            .or_insert_with(|| Value::Table(Table::new()));
        section
            .as_table_mut()
            .unwrap()
            .insert(key.into(), value["v"].clone());
        run(&table)
    }

    #[test]
    fn base_gets_every_default() {
        let settings = run(&BASE.parse().unwrap()).unwrap();
        assert_eq!(settings.eagle.api, ApiKind::Auto);
        assert_eq!(settings.eagle.meter, None);
        assert_eq!(settings.eagle.poll_interval, 6 * SECOND);
        assert_eq!(settings.eagle.timeout, 10 * SECOND);
        assert_eq!(settings.storage.retention, 30 * DAY);
        assert_eq!(settings.storage.max_size, 1 << 30);
        assert_eq!(settings.storage.commit_interval, 60 * SECOND);
        assert_eq!(settings.storage.database_interval, HOUR);
        assert_eq!(settings.storage.journal_dir, None);
        assert_eq!(settings.s3.region, "us-east-1");
        assert_eq!(settings.s3.endpoint, Endpoint::Aws);
        assert_eq!(settings.s3.batch_period, HOUR);
        assert_eq!(settings.s3.key_template, None);
        assert_eq!(settings.led.backend, LedBackend::Sysfs);
        assert_eq!(settings.led.gpio_line, 17);
        assert!(settings.clock.require_sync);
        assert!(!settings.web.enable);
        assert_eq!(settings.web.listen, DEFAULT_LISTEN);
        assert_eq!(settings.wifi, None);
        assert!(settings.ssh.authorized_keys.is_empty());
        assert_eq!(settings.update.channel, UpdateChannel::Stable);
    }

    #[test]
    fn rules_accept() {
        type Check = fn(&Settings) -> bool;
        let long_id = format!("\"{}\"", "a".repeat(64));
        let long_bucket = format!("\"{}\"", "b".repeat(63));
        const PIN: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let pin_with_colons = format!(
            "\"{}\"",
            PIN.as_bytes()
                .chunks(2)
                .map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(":")
        );
        let cases: &[(&str, &str, &str, Check)] = &[
            ("household", "id", "\"A_b-9\"", |s| {
                s.household.id == "A_b-9"
            }),
            ("household", "id", &long_id, |s| s.household.id.len() == 64),
            ("eagle", "host", "\"127.0.0.1:8080\"", |s| {
                s.eagle.base_url == "http://127.0.0.1:8080"
            }),
            ("eagle", "host", "\"https://eagle/\"", |s| {
                s.eagle.base_url == "https://eagle"
            }),
            ("eagle", "cloud_id", "\"0123AB\"", |s| {
                s.eagle.cloud_id == "0123ab"
            }),
            ("eagle", "certificate_sha256", &pin_with_colons, |s| {
                s.eagle.certificate_sha256.map(|f| f.to_string()).as_deref() == Some(PIN)
            }),
            ("eagle", "certificate_sha256", "\"\"", |s| {
                s.eagle.certificate_sha256.is_none()
            }),
            ("eagle", "install_code", "\"0123456789ABCDEF\"", |s| {
                s.eagle.install_code.expose() == "0123456789ABCDEF"
            }),
            ("eagle", "api", "\"eagle200\"", |s| {
                s.eagle.api == ApiKind::Eagle200
            }),
            ("eagle", "api", "\"legacy\"", |s| {
                s.eagle.api == ApiKind::Legacy
            }),
            ("eagle", "meter", "\"0x00135001000000AB\"", |s| {
                s.eagle.meter.as_deref() == Some("0x00135001000000ab")
            }),
            ("eagle", "meter", "\"\"", |s| s.eagle.meter.is_none()),
            ("eagle", "poll_interval", "\"1s\"", |s| {
                s.eagle.poll_interval == SECOND
            }),
            ("eagle", "timeout", "\"1s\"", |s| s.eagle.timeout == SECOND),
            ("eagle", "timeout", "\"5m\"", |s| {
                s.eagle.timeout == 5 * MINUTE
            }),
            ("storage", "path", "\"/tmp/r.db\"", |s| {
                s.storage.path == Path::new("/tmp/r.db")
            }),
            ("storage", "commit_interval", "\"0s\"", |s| {
                s.storage.commit_interval.is_zero()
            }),
            ("storage", "commit_interval", "\"30s\"", |s| {
                s.storage.commit_interval == 30 * SECOND
            }),
            ("storage", "database_interval", "\"1s\"", |s| {
                s.storage.database_interval == SECOND
            }),
            (
                "storage",
                "journal_dir",
                "\"/run/rainforest-logger\"",
                |s| s.storage.journal_dir.as_deref() == Some(Path::new("/run/rainforest-logger")),
            ),
            ("storage", "journal_dir", "\"\"", |s| {
                s.storage.journal_dir.is_none()
            }),
            ("storage", "retention", "\"1h\"", |s| {
                s.storage.retention == HOUR
            }),
            ("storage", "max_size", "\"16MiB\"", |s| {
                s.storage.max_size == 16 * MIB
            }),
            ("s3", "bucket", "\"a.b-c\"", |s| s.s3.bucket == "a.b-c"),
            ("s3", "bucket", &long_bucket, |s| s.s3.bucket.len() == 63),
            ("s3", "region", "\"eu-west-1\"", |s| {
                s.s3.region == "eu-west-1"
            }),
            ("s3", "region", "\"us-gov-west-1\"", |s| {
                s.s3.region == "us-gov-west-1"
            }),
            ("s3", "prefix", "\"a.b/..c/d\"", |s| {
                s.s3.prefix == "a.b/..c/d"
            }),
            ("s3", "endpoint", "\"https://minio:9000/\"", |s| {
                s.s3.endpoint == Endpoint::Custom("https://minio:9000".into())
            }),
            ("s3", "endpoint", "\"file:///srv/b\"", |s| {
                s.s3.endpoint == Endpoint::Directory("/srv/b".into())
            }),
            ("s3", "path_style", "true", |s| s.s3.path_style),
            ("s3", "prefix", "\"study-2026/\"", |s| {
                s.s3.prefix == "study-2026/"
            }),
            ("s3", "access_key_id", "\"AKIAEXAMPLE\"", |s| {
                s.s3.access_key_id.as_ref().map(Secret::expose) == Some("AKIAEXAMPLE")
            }),
            ("s3", "access_key_id", "\"\"", |s| {
                s.s3.access_key_id.is_none()
            }),
            ("s3", "secret_access_key", "\"wJalr/XUtn\"", |s| {
                s.s3.secret_access_key.as_ref().map(Secret::expose) == Some("wJalr/XUtn")
            }),
            ("s3", "batch_period", "\"1m\"", |s| {
                s.s3.batch_period == MINUTE
            }),
            ("s3", "batch_period", "\"15min\"", |s| {
                s.s3.batch_period == 15 * MINUTE
            }),
            ("s3", "batch_period", "\"1d\"", |s| s.s3.batch_period == DAY),
            ("s3", "fleet_spread", "\"0s\"", |s| {
                s.s3.fleet_spread.is_zero()
            }),
            (
                "s3",
                "key_template",
                "\"{prefix}{household}/{yyyy}{mm}{dd}{hh}.gz\"",
                |s| {
                    s.s3.key_template.as_deref()
                        == Some("{prefix}{household}/{yyyy}{mm}{dd}{hh}.gz")
                },
            ),
            ("s3", "key_template", "\"\"", |s| {
                s.s3.key_template.is_none()
            }),
            ("led", "backend", "\"gpio\"", |s| {
                s.led.backend == LedBackend::Gpio
            }),
            ("led", "backend", "\"none\"", |s| {
                s.led.backend == LedBackend::None
            }),
            ("led", "sysfs_path", "\"/sys/class/leds/PWR\"", |s| {
                s.led.sysfs_path == Path::new("/sys/class/leds/PWR")
            }),
            ("led", "gpio_chip", "\"/dev/gpiochip4\"", |s| {
                s.led.gpio_chip == Path::new("/dev/gpiochip4")
            }),
            ("led", "gpio_line", "0", |s| s.led.gpio_line == 0),
            ("led", "gpio_line", "1023", |s| s.led.gpio_line == 1023),
            ("led", "active_low", "true", |s| s.led.active_low),
            ("led", "healthy", "\"on\"", |s| {
                s.led.healthy == HealthyPattern::On
            }),
            ("led", "healthy", "\"off\"", |s| {
                s.led.healthy == HealthyPattern::Off
            }),
            ("clock", "require_sync", "false", |s| !s.clock.require_sync),
            ("web", "enable", "true", |s| s.web.enable),
            ("web", "listen", "\"127.0.0.1:8080\"", |s| {
                s.web.listen == SocketAddr::from(([127, 0, 0, 1], 8080))
            }),
            ("web", "listen", "\"[::]:80\"", |s| {
                s.web.listen == SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 80))
            }),
            ("wifi", "ssid", "\"\"", |s| s.wifi.is_none()),
            // Without a network, a country or passphrase is harmless.
            ("wifi", "country", "\"us\"", |s| s.wifi.is_none()),
            ("wifi", "passphrase", "\"12345678\"", |s| s.wifi.is_none()),
            ("ssh", "authorized_keys", "[]", |s| {
                s.ssh.authorized_keys.is_empty()
            }),
            (
                "ssh",
                "authorized_keys",
                &format!("[\"{ED25519}\", \" {ED25519} \"]"),
                |s| s.ssh.authorized_keys == [ED25519, ED25519],
            ),
            ("update", "channel", "\"canary\"", |s| {
                s.update.channel == UpdateChannel::Canary
            }),
            ("update", "channel", "\"off\"", |s| {
                s.update.channel == UpdateChannel::Off
            }),
        ];
        for (section, key, value, check) in cases {
            match with(section, key, value) {
                Ok(settings) => {
                    assert!(check(&settings), "{section}.{key} = {value}: {settings:?}")
                }
                Err(problems) => panic!("{section}.{key} = {value}: {problems:?}"),
            }
        }
    }

    #[test]
    fn rules_reject() {
        let long_id = format!("\"{}\"", "a".repeat(65));
        let long_bucket = format!("\"{}\"", "b".repeat(64));
        let long_ssid = format!("\"{}\"", "s".repeat(33));
        let cases: &[(&str, &str, &str, &str)] = &[
            ("household", "id", "\"\"", r#"found """#),
            ("household", "id", &long_id, "1 to 64"),
            ("household", "id", "\"h 0001\"", r#"found "h 0001""#),
            ("household", "id", "1", "found the integer 1"),
            ("eagle", "host", "\"ftp://eagle\"", r#"found "ftp://eagle""#),
            ("eagle", "host", "\"http://eagle/api\"", "without a path"),
            ("eagle", "cloud_id", "\"0123a\"", r#"expected 6 hex digits (the Cloud ID on the EAGLE's label), found "0123a""#),
            ("eagle", "cloud_id", "\"0123ag\"", "6 hex digits"),
            ("eagle", "install_code", "\"0123456789abcde\"", "expected 16 hex digits (the Install Code on the EAGLE's label), found 15 characters"),
            ("eagle", "install_code", "\"0123456789abcdeg\"", "found 16 characters"),
            ("eagle", "install_code", "123", "found an integer"),
            ("eagle", "api", "\"eagle-200\"", r#"expected one of "auto", "eagle200", "legacy", found "eagle-200""#),
            ("eagle", "meter", "\"00135001000000ab\"", "\"0x\" followed by 16 hex digits"),
            ("eagle", "meter", "\"0x0013500100\"", "16 hex digits"),
            ("eagle", "poll_interval", "\"500ms\"", r#"expected a duration of at least 1s, found "500ms""#),
            ("eagle", "poll_interval", "6", r#"expected a duration such as "10s" or "1m", found the integer 6"#),
            ("eagle", "timeout", "\"0s\"", "between 1s and 5m"),
            ("eagle", "certificate_sha256", "\"00112233\"", r#"expected "" or the SHA-256 of the EAGLE's https certificate: 64 hex digits, colons allowed (as probe prints it), found "00112233""#),
            ("eagle", "timeout", "\"301s\"", "between 1s and 5m"),
            ("eagle", "timeout", "\"10 seconds\"", r#"expected a duration such as "10s" or "1m", found "10 seconds""#),
            ("storage", "path", "\"\"", "a non-empty file path"),
            ("storage", "commit_interval", "\"61m\"", r#"expected a duration from 0s (commit every reading) to 1h, such as "60s", found "61m""#),
            ("storage", "commit_interval", "\"soon\"", "from 0s (commit every reading) to 1h"),
            ("storage", "database_interval", "\"25h\"", r#"expected a duration from 0s (with every commit) to 24h, such as "1h", found "25h""#),
            ("storage", "journal_dir", "\"run/rainforest-logger\"", r#"expected "" (the journal beside the buffer) or an absolute directory path, such as "/run/rainforest-logger", found "run/rainforest-logger""#),
            ("storage", "journal_dir", "5", "an absolute directory path"),
            ("storage", "retention", "\"59m\"", "at least 1h"),
            ("storage", "max_size", "\"15MiB\"", r#"expected a size of at least 16MiB, found "15MiB""#),
            ("storage", "max_size", "\"1G\"", r#"expected a size such as "512MiB" or "1GiB", found "1G""#),
            ("s3", "bucket", "\"ab\"", r#"found "ab""#),
            ("s3", "bucket", &long_bucket, "3 to 63"),
            ("s3", "bucket", "\"My_Bucket\"", r#"found "My_Bucket""#),
            ("s3", "bucket", "\"-abc\"", "starting and ending"),
            ("s3", "bucket", "\"abc.\"", "starting and ending"),
            ("s3", "bucket", "\"\"", r#"file:// directory), found """#),
            ("s3", "region", "\"\"", r#"expected an AWS region name such as "us-east-1", "eu-central-2""#),
            ("s3", "region", "\"us-east1\"", r#"found "us-east1" (did you mean "us-east-1"?)"#),
            ("s3", "region", "\"http://127.0.0.1:9000\"", r#"(s3.endpoint is "", i.e. Amazon S3; for another S3 service set s3.endpoint to its URL), found "http://127.0.0.1:9000""#),
            ("s3", "region", "\"nyc3\"", "expected an AWS region name"),
            ("s3", "region", "5", "expected an AWS region name"),
            ("s3", "prefix", "\"../x/\"", r#"none of them empty, "." or "..", not starting with '/', without control characters, found "../x/""#),
            ("s3", "prefix", "\"a//b/\"", "none of them empty"),
            ("s3", "prefix", "\"a\\u000cb/\"", "without control characters"),
            ("s3", "key_template", "\"{yyyy}{mm}{dd}{hh}\"", "expected {household} in the template"),
            ("s3", "key_template", "\"{prefix}{household}/../{yyyy}{mm}{dd}{hh}\"", r#"no empty, "." or ".." segment"#),
            ("s3", "endpoint", "\"minio:9000\"", r#"found "minio:9000""#),
            ("s3", "endpoint", "\"file://data\"", "absolute directory"),
            ("s3", "path_style", "\"yes\"", r#"expected true or false, found the string "yes""#),
            ("s3", "prefix", "\"/study\"", "not starting with '/'"),
            ("s3", "access_key_id", "5", "expected a string, found an integer"),
            ("s3", "batch_period", "\"30s\"", "between 1m and 1d"),
            ("s3", "fleet_spread", "\"2h\"", "from 0s to 1h"),
            ("s3", "batch_period", "\"2d\"", "between 1m and 1d"),
            ("s3", "batch_period", "\"90s\"", "a whole number of minutes"),
            ("s3", "batch_period", "\"7m\"", "divides 24h evenly"),
            ("s3", "key_template", "\"{household}{yyyy}{mm}{dd}\"", "expected {hh} in the template"),
            ("s3", "key_template", "\"{household}{yyyy}{mm}{dd}{hh}{x}\"", "found {x}"),
            ("s3", "key_template", "\"/{household}{yyyy}{mm}{dd}{hh}\"", "not starting with '/'"),
            ("led", "backend", "\"GPIO\"", r#"expected one of "none", "sysfs", "gpio", found "GPIO""#),
            ("led", "sysfs_path", "1", "expected a path, found the integer 1"),
            ("led", "gpio_chip", "true", "expected a path, found the boolean true"),
            ("led", "gpio_line", "1024", "expected an integer from 0 to 1023, found the integer 1024"),
            ("led", "gpio_line", "-1", "found the integer -1"),
            ("led", "gpio_line", "\"17\"", r#"found the string "17""#),
            ("led", "active_low", "1", "expected true or false"),
            ("led", "healthy", "\"blink\"", r#"found "blink""#),
            ("clock", "require_sync", "\"false\"", "expected true or false"),
            ("web", "enable", "\"yes\"", r#"expected true or false, found the string "yes""#),
            ("web", "listen", "\"0.0.0.0\"", r#"expected an IP address and a port from 1 to 65535, such as "0.0.0.0:80" or "[::]:8080", found "0.0.0.0""#),
            ("web", "listen", "\"rainforest.local:80\"", r#"found "rainforest.local:80""#),
            ("web", "listen", "\"0.0.0.0:0\"", r#"found "0.0.0.0:0""#),
            ("web", "listen", "80", "found the integer 80"),
            ("web", "port", "80", "unknown key (known keys in [web]: enable, listen)"),
            ("wifi", "ssid", &long_ssid, "at most 32 bytes"),
            ("wifi", "ssid", "\"Home\\tNet\"", "without control characters"),
            ("wifi", "ssid", "5", "found the integer 5"),
            ("wifi", "passphrase", "\"short\"", "exactly 64 hex digits, or \"\" for an open network, found 5 characters"),
            ("wifi", "passphrase", "12345678", "found an integer"),
            ("wifi", "country", "\"USA\"", r#"expected a two-letter ISO 3166 country code such as "US" or "GB", found "USA""#),
            ("wifi", "country", "\"uk\"", "\"GB\" for the United Kingdom"),
            ("wifi", "password", "\"12345678\"", "unknown key (known keys in [wifi]: ssid, passphrase, country)"),
            ("ssh", "authorized_keys", &format!("\"{ED25519}\""), "expected an array of strings, each an OpenSSH public key line"),
            ("ssh", "authorized_key", "[]", "unknown key (did you mean `authorized_keys`?)"),
            ("update", "channel", "\"Stable\"", r#"expected one of "stable", "canary", "off", found "Stable""#),
            ("update", "channel", "\"beta\"", r#"found "beta""#),
            ("update", "channel", "false", r#"found the boolean false"#),
            ("update", "chanel", "\"off\"", "unknown key (did you mean `channel`?)"),
        ];
        for (section, key, value, message) in cases {
            let problems =
                with(section, key, value).expect_err(&format!("{section}.{key} = {value}"));
            assert_eq!(problems.len(), 1, "{section}.{key} = {value}: {problems:?}");
            assert_eq!(problems[0].key, format!("{section}.{key}"));
            assert!(
                problems[0].message.contains(message),
                "{section}.{key} = {value}: {:?} lacks {message:?}",
                problems[0].message
            );
        }
    }

    #[test]
    fn secrets_are_never_quoted() {
        for (section, key, value) in [
            ("eagle", "install_code", "0123456789abcdeX"),
            ("eagle", "install_code", "0123456789abcdef0"),
            ("eagle", "instal_code", "0123456789abcdef"),
        ] {
            let problems = with(section, key, &format!("\"{value}\"")).unwrap_err();
            assert!(!format!("{problems:?}").contains(value), "{problems:?}");
        }
    }

    #[test]
    fn bucket_is_optional_only_for_a_directory_endpoint() {
        let mut table: Table = BASE.parse().unwrap();
        let s3 = table["s3"].as_table_mut().unwrap();
        s3.remove("bucket");
        assert_eq!(
            run(&table).unwrap_err(),
            vec![Problem::new(
                "s3.bucket",
                format!("required key is missing; expected {}", BUCKET.expected)
            )]
        );
        let s3 = table["s3"].as_table_mut().unwrap();
        s3.insert(
            "endpoint".into(),
            Value::String("file:///srv/bucket".into()),
        );
        let settings = run(&table).unwrap();
        assert_eq!(settings.s3.bucket, "");
        assert_eq!(
            settings.s3.endpoint,
            Endpoint::Directory("/srv/bucket".into())
        );
        // An invalid endpoint is reported alone: whether a bucket is needed is unknown.
        let s3 = table["s3"].as_table_mut().unwrap();
        s3.insert("endpoint".into(), Value::String("file://relative".into()));
        let problems = run(&table).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "s3.endpoint");
    }

    #[test]
    fn key_template_is_checked_against_the_batch_period() {
        let mut table: Table = BASE.parse().unwrap();
        let s3 = table["s3"].as_table_mut().unwrap();
        s3.insert("batch_period".into(), Value::String("5m".into()));
        s3.insert(
            "key_template".into(),
            Value::String("{household}{yyyy}{mm}{dd}{hh}".into()),
        );
        let problems = run(&table).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("expected {MM}"),
            "{problems:?}"
        );
        let s3 = table["s3"].as_table_mut().unwrap();
        s3.insert("batch_period".into(), Value::String("1d".into()));
        s3.insert(
            "key_template".into(),
            Value::String("{household}/{yyyy}{mm}{dd}".into()),
        );
        assert_eq!(run(&table).unwrap().s3.batch_period, DAY);
    }

    /// The base config with these `[s3]` keys (TOML values) set, then validated.
    fn with_s3(keys: &[(&str, &str)]) -> Result<Settings, Vec<Problem>> {
        let mut table: Table = BASE.parse().unwrap();
        let s3 = table["s3"].as_table_mut().unwrap();
        for (key, value) in keys {
            let value: Table = format!("v = {value}").parse().unwrap();
            s3.insert(key.to_string(), value["v"].clone());
        }
        run(&table)
    }

    #[test]
    fn which_regions_are_names_depends_on_the_endpoint() {
        let custom = ("endpoint", "\"http://127.0.0.1:9000\"");
        let settings = with_s3(&[custom, ("region", "\"garage\"")]).unwrap();
        assert_eq!(settings.s3.region, "garage");
        let problems = with_s3(&[custom, ("region", "\"http://evil:9000\"")]).unwrap_err();
        assert_eq!(keys(&problems), ["s3.region"]);
        assert!(
            problems[0]
                .message
                .contains("the server's address goes in s3.endpoint"),
            "{problems:?}"
        );
        // With an invalid endpoint, only the rule every endpoint shares is applied.
        let problems = with_s3(&[("endpoint", "\"minio\""), ("region", "\"garage\"")]);
        assert_eq!(keys(&problems.unwrap_err()), ["s3.endpoint"]);
        let problems = with_s3(&[("endpoint", "\"minio\""), ("region", "\"a:b\"")]);
        assert_eq!(keys(&problems.unwrap_err()), ["s3.endpoint", "s3.region"]);
    }

    #[test]
    fn the_key_template_is_checked_with_the_prefix() {
        let template = (
            "key_template",
            "\"{prefix}/{household}/{yyyy}{mm}{dd}{hh}\"",
        );
        let settings = with_s3(&[template, ("prefix", "\"study\"")]).unwrap();
        assert_eq!(settings.s3.prefix, "study");
        let problems = with_s3(&[template]).unwrap_err();
        assert_eq!(keys(&problems), ["s3.key_template"]);
        assert!(
            problems[0].message.contains("(with s3.prefix = \"\")"),
            "{problems:?}"
        );
        // A wrong prefix is reported alone, not again through the template.
        let problems = with_s3(&[template, ("prefix", "\"../x/\"")]).unwrap_err();
        assert_eq!(keys(&problems), ["s3.prefix"]);
    }

    #[test]
    fn unknown_keys_and_sections() {
        let mut table: Table = BASE.parse().unwrap();
        let extra: Table = "[eagel]\nx = 1\n[led]\ncolour = \"red\"\n[eagle.sub]\ny = 1\n[s3]\n"
            .parse()
            .unwrap();
        table.insert("eagel".into(), extra["eagel"].clone());
        table.insert("led".into(), extra["led"].clone());
        table["eagle"]
            .as_table_mut()
            .unwrap()
            .insert("sub".into(), extra["eagle"]["sub"].clone());
        let problems = run(&table).unwrap_err();
        assert_eq!(
            problems,
            vec![
                Problem::new(
                    "eagle.sub",
                    "unknown key (known keys in [eagle]: host, cloud_id, install_code, api, meter, poll_interval, timeout, certificate_sha256)"
                ),
                Problem::new(
                    "led.colour",
                    "unknown key (known keys in [led]: backend, sysfs_path, gpio_chip, gpio_line, active_low, healthy)"
                ),
                Problem::new("eagel", "unknown key (did you mean `eagle`?)"),
            ]
        );
    }

    #[test]
    fn missing_and_mistyped_sections() {
        let mut table: Table = BASE.parse().unwrap();
        table.remove("eagle");
        table.insert("household".into(), Value::String("h-0001".into()));
        let problems = run(&table).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "household",
                "eagle.host",
                "eagle.cloud_id",
                "eagle.install_code"
            ]
        );
        assert_eq!(
            problems[0].message,
            r#"expected a table (a [section]), found the string "h-0001""#
        );
    }

    #[test]
    fn optional_sections_may_be_absent_and_empty_sections_give_defaults() {
        let mut table: Table = BASE.parse().unwrap();
        table.insert("led".into(), Value::Table(Table::new()));
        let settings = run(&table).unwrap();
        assert_eq!(settings.led.sysfs_path, Path::new("/sys/class/leds/ACT"));
        assert_eq!(settings.led.gpio_chip, Path::new("/dev/gpiochip0"));
        assert_eq!(settings.led.healthy, HealthyPattern::Heartbeat);
        assert_eq!(
            settings.storage.path,
            Path::new("/var/lib/rainforest-logger/readings.db")
        );
    }

    /// The base config with this `[wifi]` section.
    fn with_wifi(section: &str) -> Result<Settings, Vec<Problem>> {
        run(&format!("{BASE}\n[wifi]\n{section}").parse().unwrap())
    }

    #[test]
    fn wifi_networks() {
        let psk = "0123456789abcdef".repeat(4);
        let cases = [
            (
                "passphrase = \"correct horse\"",
                WifiSecurity::Passphrase(Secret::new("correct horse")),
            ),
            ("passphrase = \"\"", WifiSecurity::Open),
            ("", WifiSecurity::Open),
            (
                &*format!("passphrase = \"{psk}\""),
                WifiSecurity::Psk(Secret::new(psk.clone())),
            ),
        ];
        for (passphrase, security) in cases {
            let section = format!("ssid = \"Café 5G\"\ncountry = \"gb\"\n{passphrase}");
            let wifi = with_wifi(&section).unwrap().wifi;
            assert_eq!(
                wifi,
                Some(WifiSettings {
                    ssid: "Café 5G".into(),
                    security,
                    country: "GB".into(),
                }),
                "{passphrase}"
            );
        }
    }

    #[test]
    fn a_network_needs_a_country() {
        for country in ["", "country = \"\""] {
            let problems = with_wifi(&format!("ssid = \"HomeNet\"\n{country}")).unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].key, "wifi.country");
            assert_eq!(
                problems[0].message,
                "required when wifi.ssid is set, because the Wi-Fi regulatory domain must be \
                 set; expected a two-letter ISO 3166 country code such as \"US\" or \"GB\""
            );
        }
        // Every problem at once: the passphrase's too.
        let problems = with_wifi("ssid = \"HomeNet\"\npassphrase = \"1234\"").unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["wifi.passphrase", "wifi.country"]);
    }

    #[test]
    fn a_passphrase_is_never_shown() {
        let wrong = [
            "Sh0rt!",
            "pässwörd-with-umlauts",
            "tab\there-and-more",
            &"NotHexButSixtyFourCharactersLong".repeat(2),
            &"x".repeat(70),
        ];
        for passphrase in wrong {
            let section = format!(
                "ssid = \"HomeNet\"\ncountry = \"GB\"\npassphrase = {}",
                toml::Value::String(passphrase.to_string())
            );
            let problems = with_wifi(&section).unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].key, "wifi.passphrase");
            let shown = format!("{problems:?} {}", problems[0]);
            assert!(!shown.contains(passphrase), "{shown}");
        }
        // Nor under a misspelt key, nor in the Debug output of valid settings.
        let problems = with_wifi("passphrse = \"Sup3rSecretPass\"").unwrap_err();
        assert!(!format!("{problems:?}").contains("Sup3rSecretPass"));
        let settings =
            with_wifi("ssid = \"HomeNet\"\ncountry = \"GB\"\npassphrase = \"Sup3rSecretPass\"")
                .unwrap();
        assert!(!format!("{settings:?}").contains("Sup3rSecretPass"));
        let psk = "0123456789abcdef".repeat(4);
        let settings = with_wifi(&format!(
            "ssid = \"HomeNet\"\ncountry = \"GB\"\npassphrase = \"{psk}\""
        ))
        .unwrap();
        assert!(!format!("{settings:?}").contains(&psk));
    }

    #[test]
    fn each_bad_authorized_key_is_named_by_its_index() {
        let text = format!(
            "{BASE}\n[ssh]\nauthorized_keys = [\"{ED25519}\", \"ssh-dss AAAAB3NzaC1kc3M=\", 7]\n"
        );
        let problems = run(&text.parse().unwrap()).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["ssh.authorized_keys[1]", "ssh.authorized_keys[2]"]);
        assert!(
            problems[0].message.contains("found \"ssh-dss\""),
            "{problems:?}"
        );
        assert!(
            problems[1].message.ends_with("found the integer 7"),
            "{problems:?}"
        );
    }
}
