//! The sections about the Pi's operating system rather than the logger (`[household]` for
//! the host name, `[wifi]`, `[ssh]`, `[update]`), each validated on its own for `provision`.
//!
//! `provision` must apply whatever part of the file is right: a broken `[eagle]` is no reason
//! to leave the Wi-Fi unset, and a typo in `[wifi]` no reason to leave the SSH keys out. So
//! each part gets its own problems, from the same section validators [`crate::config::load`] uses.

use std::path::{Path, PathBuf};

use toml::Table;

use super::error::{ConfigError, Problem};
use super::load;
use super::raw;
use super::reader::Section;
use super::settings::{HouseholdSettings, SshSettings, UpdateSettings, WifiSettings};
use super::suggest;
use super::validate;

/// The sections `provision` reads. A misspelt one (`[wfi]`) counts as a problem of the part
/// it is nearest to, so a typo keeps that part's files as they are instead of removing them.
const SYSTEM_SECTIONS: [&str; 4] = ["household", "wifi", "ssh", "update"];

/// The daemon's sections: `provision` does not read them, only knows their names.
const DAEMON_SECTIONS: [&str; 5] = ["eagle", "storage", "s3", "led", "clock"];

/// The parts of a config file that `provision` applies, each valid or with its own problems.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSettings {
    /// The file they came from.
    pub source: PathBuf,
    /// `[household]` (the host name is made from its id).
    pub household: Result<HouseholdSettings, Vec<Problem>>,
    /// `[wifi]`: `Ok(None)` = no Wi-Fi.
    pub wifi: Result<Option<WifiSettings>, Vec<Problem>>,
    /// `[ssh]`.
    pub ssh: Result<SshSettings, Vec<Problem>>,
    /// `[update]`.
    pub update: Result<UpdateSettings, Vec<Problem>>,
}

impl SystemSettings {
    /// Validates config text already read; `source` names the file in problems. Fails only
    /// when the text is not TOML: then nothing of it can be trusted.
    pub fn from_toml_str(text: &str, source: &Path) -> Result<SystemSettings, ConfigError> {
        let table = raw::parse(text, source)?;
        Ok(parts(&table, source))
    }

    /// Every problem of the parts, in file-section order, as one error that lists them like
    /// `check-config` does; `None` when every part is valid.
    pub fn problems(&self) -> Option<ConfigError> {
        let problems: Vec<Problem> = [
            self.household.as_ref().err(),
            self.wifi.as_ref().err(),
            self.ssh.as_ref().err(),
            self.update.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .cloned()
        .collect();
        (!problems.is_empty()).then(|| ConfigError::Invalid {
            path: self.source.clone(),
            problems,
        })
    }
}

/// Reads the file at `path` and validates its system parts. A file that cannot be read or is
/// not TOML is an error (nothing is applied); problems in a part are inside the result.
pub fn load_system(path: &Path) -> Result<SystemSettings, ConfigError> {
    SystemSettings::from_toml_str(&load::read(path)?, path)
}

fn parts(table: &Table, source: &Path) -> SystemSettings {
    let mut root = Section::root(table);
    let mut problems: [Vec<Problem>; 4] = Default::default();
    let [household_problems, wifi_problems, ssh_problems, update_problems] = &mut problems;
    let household = root.section("household", household_problems, validate::household);
    let wifi = root.section("wifi", wifi_problems, validate::wifi);
    let ssh = root.section("ssh", ssh_problems, validate::ssh);
    let update = root.section("update", update_problems, validate::update);
    // Taken only so that they are known names; their contents are the daemon's business.
    for name in DAEMON_SECTIONS {
        let _ = root.table(name, &mut Vec::new());
    }
    let mut unknown = Vec::new();
    root.finish(&mut unknown);
    let known: Vec<&str> = SYSTEM_SECTIONS
        .iter()
        .chain(&DAEMON_SECTIONS)
        .copied()
        .collect();
    for problem in unknown {
        let near = suggest::closest(&problem.key, &known);
        if let Some(index) = SYSTEM_SECTIONS.iter().position(|&name| Some(name) == near) {
            problems[index].push(problem);
        }
    }
    let [household_problems, wifi_problems, ssh_problems, update_problems] = problems;
    SystemSettings {
        source: source.to_path_buf(),
        household: valid(household, household_problems),
        wifi: valid(wifi, wifi_problems),
        ssh: valid(ssh, ssh_problems),
        update: valid(update, update_problems),
    }
}

/// A part's settings if it has no problem at all.
fn valid<T>(settings: Option<T>, problems: Vec<Problem>) -> Result<T, Vec<Problem>> {
    match settings {
        Some(settings) if problems.is_empty() => Ok(settings),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, UpdateChannel, WifiSecurity};

    const GOOD: &str = r#"
        [household]
        id = "h-0001"
        [wifi]
        ssid = "HomeNet"
        passphrase = "correct horse"
        country = "gb"
        [ssh]
        authorized_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKXN9hkJZwXriTDMX8ua3rxHW4nEeeyHiuyeiSV7TcJ1 staff@laptop"]
    "#;

    fn system(text: &str) -> SystemSettings {
        SystemSettings::from_toml_str(text, Path::new("/boot/c.toml")).unwrap()
    }

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems
            .iter()
            .map(|problem| problem.key.as_str())
            .collect()
    }

    #[test]
    fn the_daemon_sections_do_not_matter() {
        // No [eagle] or [s3] at all, and a broken [led]: `load` would refuse this file.
        let settings = system(&format!("{GOOD}\n[led]\nbackend = \"blinkenlights\"\n"));
        assert_eq!(settings.household.unwrap().id, "h-0001");
        let wifi = settings.wifi.unwrap().unwrap();
        assert_eq!(wifi.ssid, "HomeNet");
        assert_eq!(wifi.country, "GB");
        assert_eq!(
            wifi.security,
            WifiSecurity::Passphrase(Secret::new("correct horse"))
        );
        assert_eq!(settings.ssh.unwrap().authorized_keys.len(), 1);
        assert_eq!(settings.update.unwrap().channel, UpdateChannel::Stable);
    }

    #[test]
    fn a_wrong_channel_stays_in_the_update_part() {
        let settings = system(&format!("{GOOD}\n[update]\nchannel = \"nightly\"\n"));
        assert_eq!(
            keys(&settings.update.clone().unwrap_err()),
            ["update.channel"]
        );
        assert!(settings.household.is_ok() && settings.wifi.is_ok() && settings.ssh.is_ok());
        let error = settings.problems().unwrap().to_string();
        assert!(
            error.contains(r#"/boot/c.toml: update.channel: expected one of "stable", "canary", "off", found "nightly""#),
            "{error}"
        );
        let settings = system(&format!("{GOOD}\n[updates]\nchannel = \"off\"\n"));
        assert_eq!(keys(&settings.update.unwrap_err()), ["updates"]);
        let settings = system(&format!("{GOOD}\n[update]\nchannel = \"canary\"\n"));
        assert_eq!(settings.update.unwrap().channel, UpdateChannel::Canary);
    }

    #[test]
    fn a_problem_stays_in_its_part() {
        let settings = system(&GOOD.replace("correct horse", "short"));
        assert!(settings.household.is_ok());
        assert!(settings.ssh.is_ok());
        assert_eq!(
            keys(&settings.wifi.clone().unwrap_err()),
            ["wifi.passphrase"]
        );
        let error = settings.problems().unwrap();
        assert_eq!(
            error.to_string(),
            "/boot/c.toml: 1 problem\n/boot/c.toml: wifi.passphrase: expected 8 to 63 \
             printable ASCII characters (letters, digits, space, punctuation), exactly 64 hex \
             digits, or \"\" for an open network, found 5 characters"
        );
        assert!(!format!("{error:?}{settings:?}").contains("short"));
    }

    #[test]
    fn problems_of_every_part_are_listed_in_file_order() {
        let text = GOOD
            .replace("h-0001", "h 0001")
            .replace("country = \"gb\"", "")
            .replace("ssh-ed25519 AAAA", "ssh-ed2519 AAAA");
        let settings = system(&text);
        let error = settings.problems().unwrap();
        assert_eq!(
            keys(error.problems()),
            ["household.id", "wifi.country", "ssh.authorized_keys[0]"]
        );
        assert!(error.problems()[1]
            .message
            .contains("the Wi-Fi regulatory domain must be set"));
        assert_eq!(system(GOOD).problems().map(|e| e.to_string()), None);
    }

    #[test]
    fn a_misspelt_system_section_is_a_problem_of_its_part() {
        let settings = system(&GOOD.replace("[wifi]", "[wfi]"));
        assert_eq!(keys(&settings.wifi.unwrap_err()), ["wfi"]);
        let settings = system(&GOOD.replace("[ssh]", "[shh]"));
        assert_eq!(keys(&settings.ssh.unwrap_err()), ["shh"]);
        assert!(settings.wifi.is_ok());
        // A misspelt daemon section is not provisioning's concern, even one near "ssh".
        let settings = system(&format!("{GOOD}\n[eagel]\nx = 1\n[s3x]\ny = 1\n"));
        assert!(settings.problems().is_none(), "{:?}", settings.problems());
    }

    #[test]
    fn every_section_of_the_full_validation_is_known_here() {
        let table: Table = "zzz = 1".parse().unwrap();
        let error = validate::validate(&table, Path::new("/c.toml")).unwrap_err();
        let message = &error
            .problems()
            .iter()
            .find(|problem| problem.key == "zzz")
            .unwrap()
            .message;
        let listed = message
            .strip_prefix("unknown key (known sections: ")
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap();
        let mut listed: Vec<&str> = listed.split(", ").collect();
        let mut here: Vec<&str> = SYSTEM_SECTIONS
            .iter()
            .chain(&DAEMON_SECTIONS)
            .copied()
            .collect();
        listed.sort_unstable();
        here.sort_unstable();
        assert_eq!(listed, here);
    }

    #[test]
    fn a_file_that_is_not_toml_gives_nothing() {
        let error = SystemSettings::from_toml_str("[wifi\nssid = 1", Path::new("/c.toml"));
        assert!(
            matches!(error, Err(ConfigError::Syntax { .. })),
            "{error:?}"
        );
        let error = load_system(Path::new("/nonexistent/c.toml")).unwrap_err();
        assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    }
}
