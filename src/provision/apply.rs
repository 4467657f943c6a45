//! Each part of the config applied to its files under a root directory, independently of the
//! others.

use std::fs;
use std::io;
use std::path::Path;

use super::authorized_keys::authorized_keys_file;
use super::error::ProvisionError;
use super::file;
use super::hostname::{host_name, hostname_file, hosts_file};
use super::report::{Applied, Outcome, Report};
use super::update::{apt_conf, clock_time, timer_drop_in, with_suite, UpdateTimes};
use super::wpa::wpa_supplicant_conf;
use crate::config::{
    HouseholdSettings, Problem, SshSettings, SystemSettings, UpdateChannel, UpdateSettings,
    WifiSettings,
};

const HOSTNAME: &str = "etc/hostname";
const HOSTS: &str = "etc/hosts";
const WPA_SUPPLICANT: &str = "etc/wpa_supplicant/wpa_supplicant-wlan0.conf";
const SSH_DIR: &str = "root/.ssh";
const AUTHORIZED_KEYS: &str = "root/.ssh/authorized_keys";
/// Written by image/build.sh when the image was built with a repository.
const APT_SOURCE: &str = "etc/apt/sources.list.d/rainforest-logger.sources";
/// After unattended-upgrades' 20auto-upgrades and 50unattended-upgrades: this one wins.
const APT_CONF: &str = "etc/apt/apt.conf.d/51rainforest-logger-update";
const LISTS_TIMER: &str = "etc/systemd/system/apt-daily.timer.d/rainforest-logger.conf";
const UPGRADE_TIMER: &str = "etc/systemd/system/apt-daily-upgrade.timer.d/rainforest-logger.conf";

/// Writes what `system` says into the files under `root` (`/` on the Pi), part by part: a
/// part with problems, or one whose files cannot be written, does not stop the others. The
/// parts that give access to the box are applied only from a file that was understood whole.
pub fn apply(system: &SystemSettings, root: &Path) -> Report {
    let understood = system.understood();
    // The update times come from the household id: a problem in either section leaves it.
    let update_inputs = match (&system.household, &system.update) {
        (Ok(household), Ok(update)) => Ok((household, update)),
        _ => Err(Vec::new()),
    };
    Report {
        hostname: part(&system.household, |household| hostname(household, root)),
        wifi: access_part(understood, &system.wifi, |wifi| {
            self::wifi(wifi.as_ref(), root)
        }),
        ssh: access_part(understood, &system.ssh, |ssh| self::ssh(ssh, root)),
        // Held too: `[UPDATE]` would otherwise read as "no [update]", the default channel.
        update: access_part(understood, &update_inputs, |&(household, update)| {
            self::update(household, update, root)
        }),
    }
}

/// A part through which staff reach the box: applied like any [`part`], but held as it is
/// when the file has names nobody knows. `[WIFI]` instead of `[wifi]` reads as "no Wi-Fi",
/// and writing that would cut a remote box off its network by a typo.
fn access_part<T>(
    understood: bool,
    settings: &Result<T, Vec<Problem>>,
    apply: impl FnOnce(&T) -> Result<Applied, ProvisionError>,
) -> Outcome {
    match settings {
        Ok(_) if !understood => Outcome::Held,
        _ => part(settings, apply),
    }
}

fn part<T>(
    settings: &Result<T, Vec<Problem>>,
    apply: impl FnOnce(&T) -> Result<Applied, ProvisionError>,
) -> Outcome {
    match settings.as_ref().map(apply) {
        Err(_) => Outcome::Invalid,
        Ok(Ok(applied)) => Outcome::Applied(applied),
        Ok(Err(error)) => Outcome::Failed(error),
    }
}

fn hostname(household: &HouseholdSettings, root: &Path) -> Result<Applied, ProvisionError> {
    let name = host_name(&household.id);
    let hostname = file::ensure(&root.join(HOSTNAME), hostname_file(&name).as_bytes(), 0o644)?;
    let hosts = file::ensure(&root.join(HOSTS), hosts_file(&name).as_bytes(), 0o644)?;
    Ok(Applied {
        summary: name,
        changed: hostname || hosts,
    })
}

fn wifi(wifi: Option<&WifiSettings>, root: &Path) -> Result<Applied, ProvisionError> {
    let path = root.join(WPA_SUPPLICANT);
    match wifi {
        Some(wifi) => {
            let conf = wpa_supplicant_conf(wifi);
            Ok(Applied {
                summary: format!("network {:?} (country {})", wifi.ssid, wifi.country),
                changed: file::ensure(&path, conf.as_bytes(), 0o600)?,
            })
        }
        None => {
            let removed = file::remove(&path)?;
            let state = if removed { "removed" } else { "off" };
            Ok(Applied {
                summary: format!("{state} (no [wifi] ssid)"),
                changed: removed,
            })
        }
    }
}

fn ssh(ssh: &SshSettings, root: &Path) -> Result<Applied, ProvisionError> {
    let path = root.join(AUTHORIZED_KEYS);
    let (summary, changed) = match ssh.authorized_keys.len() {
        // The image's ssh.service runs only if this file exists: no keys, no SSH.
        0 => ("off (no authorized keys)".to_string(), file::remove(&path)?),
        count => {
            let dir = file::ensure_dir(&root.join(SSH_DIR), 0o700)?;
            let keys = authorized_keys_file(&ssh.authorized_keys);
            let written = file::ensure(&path, keys.as_bytes(), 0o600)?;
            let plural = if count == 1 { "" } else { "s" };
            (format!("{count} authorized key{plural}"), dir || written)
        }
    };
    Ok(Applied { summary, changed })
}

fn update(
    household: &HouseholdSettings,
    update: &UpdateSettings,
    root: &Path,
) -> Result<Applied, ProvisionError> {
    let source = root.join(APT_SOURCE);
    let entry = match fs::read_to_string(&source) {
        Ok(entry) => Some(entry),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(source_error) => return Err(read_error(&source, source_error)),
    };
    let mut changed = false;
    if let (Some(entry), UpdateChannel::Stable | UpdateChannel::Canary) = (&entry, update.channel) {
        let suite = update.channel.name();
        let entry = with_suite(entry, suite).ok_or_else(|| {
            let malformed = io::Error::new(io::ErrorKind::InvalidData, "it has no `Suites:` line");
            read_error(&source, malformed)
        })?;
        changed |= file::ensure(&source, entry.as_bytes(), 0o644)?;
    }
    let times = UpdateTimes::of(&household.id);
    let conf = apt_conf(update.channel, entry.is_some(), times);
    changed |= file::ensure(&root.join(APT_CONF), conf.as_bytes(), 0o644)?;
    let lists = timer_drop_in(times.lists);
    changed |= file::ensure(&root.join(LISTS_TIMER), lists.as_bytes(), 0o644)?;
    let upgrade = timer_drop_in(times.upgrade);
    changed |= file::ensure(&root.join(UPGRADE_TIMER), upgrade.as_bytes(), 0o644)?;
    let summary = match (entry.is_some(), update.channel) {
        (_, UpdateChannel::Off) => "off (update.channel = \"off\")".to_string(),
        (false, _) => format!(
            "Debian security updates only, nightly at {} (this image has no rainforest-logger \
             repository)",
            clock_time(times.upgrade)
        ),
        (true, channel) => format!(
            "{} nightly at {}, a reboot if needed at {}",
            channel.name(),
            clock_time(times.upgrade),
            clock_time(times.reboot)
        ),
    };
    Ok(Applied { summary, changed })
}

fn read_error(path: &Path, source: io::Error) -> ProvisionError {
    ProvisionError::Read {
        path: path.to_path_buf(),
        source,
    }
}
