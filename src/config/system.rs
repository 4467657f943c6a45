//! The sections about the Pi's operating system rather than the logger (`[household]` for
//! the host name, `[wifi]`, `[ssh]`, `[update]`), each validated on its own for `provision`.
//!
//! `provision` must apply whatever part of the file is right: a broken `[eagle]` is no reason
//! to leave the Wi-Fi unset, and a typo in `[wifi]` no reason to leave the host name out. So
//! each part gets its own problems, from the same section validators [`crate::config::load`] uses.
//!
//! One kind of mistake is not confined to a part: a name that no validator knows (`[WIFI]`,
//! `[Wi-Fi]`, a forgotten `[ssh]` header that puts `authorized_keys` into `[wifi]`). Then the
//! file says something provision did not understand, and an absent `[wifi]` or an empty key
//! list may not mean "no Wi-Fi", "no SSH". Such names are collected in
//! [`SystemSettings::unknown`], and provision then leaves every part that can cut a box off its
//! network exactly as it was.

use std::path::{Path, PathBuf};

use toml::Table;

use super::error::{ConfigError, Problem};
use super::load;
use super::raw;
use super::reader::{self, Section};
use super::settings::{HouseholdSettings, SshSettings, UpdateSettings, WifiSettings};
use super::validate;

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
    /// Every section or key of the file that no part of the program knows, outside the parts
    /// above (whose own unknown keys are among their problems). Any name here, or an unknown
    /// key in a part, means the file was not understood as a whole: see
    /// [`SystemSettings::understood`].
    pub unknown: Vec<Problem>,
}

impl SystemSettings {
    /// Validates config text already read; `source` names the file in problems. Fails only
    /// when the text is not TOML: then nothing of it can be trusted.
    pub fn from_toml_str(text: &str, source: &Path) -> Result<SystemSettings, ConfigError> {
        let table = raw::parse(text, source)?;
        Ok(parts(&table, source))
    }

    /// Whether every section and key of the file is one the program knows (values may still
    /// be wrong). Only then may provision take an absent `[wifi]` or an empty
    /// `ssh.authorized_keys` at its word and remove access.
    pub fn understood(&self) -> bool {
        self.unknown.is_empty() && self.part_problems().all(|p| !reader::is_unknown_key(p))
    }

    /// Every problem of the parts, then the unknown names elsewhere, as one error that lists
    /// them like `check-config` does; `None` when there is none.
    pub fn problems(&self) -> Option<ConfigError> {
        let problems: Vec<Problem> = self.part_problems().chain(&self.unknown).cloned().collect();
        (!problems.is_empty()).then(|| ConfigError::Invalid {
            path: self.source.clone(),
            problems,
        })
    }

    /// The problems of the three parts, in file-section order.
    fn part_problems(&self) -> impl Iterator<Item = &Problem> {
        [
            self.household.as_ref().err(),
            self.wifi.as_ref().err(),
            self.ssh.as_ref().err(),
            self.update.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .flatten()
    }
}

/// Reads the file at `path` and validates its system parts. A file that cannot be read or is
/// not TOML is an error (nothing is applied); problems in a part are inside the result.
pub fn load_system(path: &Path) -> Result<SystemSettings, ConfigError> {
    SystemSettings::from_toml_str(&load::read(path)?, path)
}

fn parts(table: &Table, source: &Path) -> SystemSettings {
    let mut root = Section::root(table);
    let mut household_problems = Vec::new();
    let mut wifi_problems = Vec::new();
    let mut ssh_problems = Vec::new();
    let mut update_problems = Vec::new();
    let household = root.section("household", &mut household_problems, validate::household);
    let wifi = root.section("wifi", &mut wifi_problems, validate::wifi);
    let ssh = root.section("ssh", &mut ssh_problems, validate::ssh);
    let update = root.section("update", &mut update_problems, validate::update);
    let mut system = SystemSettings {
        source: source.to_path_buf(),
        household: valid(household, household_problems),
        wifi: valid(wifi, wifi_problems),
        ssh: valid(ssh, ssh_problems),
        update: valid(update, update_problems),
        unknown: Vec::new(),
    };
    // The full validation is the one list of every known section and key (the daemon's
    // included); of its problems only the unknown names matter here, the daemon's values not.
    let everything = validate::validate(table, source).err();
    let all = everything.as_ref().map_or(&[][..], ConfigError::problems);
    system.unknown = all
        .iter()
        .filter(|problem| reader::is_unknown_key(problem))
        .filter(|problem| !system.part_problems().any(|known| known == *problem))
        .cloned()
        .collect();
    system
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
    use crate::config::error::tests::keys;
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
        // A misspelt section is a name nobody knows: the file is not understood, so provision
        // holds the update part (as it holds Wi-Fi and SSH) rather than apply the default.
        let settings = system(&format!("{GOOD}\n[updates]\nchannel = \"off\"\n"));
        assert!(!settings.understood());
        assert_eq!(keys(&settings.unknown), ["updates"]);
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
    fn names_nobody_knows_mean_the_file_was_not_understood() {
        assert!(system(GOOD).understood());
        // Misspelt headers: the parts read as absent, and the names are reported.
        let settings = system(&GOOD.replace("[wifi]", "[WIFI]").replace("[ssh]", "[Wi-Fi]"));
        assert!(!settings.understood());
        assert_eq!(settings.wifi, Ok(None));
        assert_eq!(keys(&settings.unknown), ["WIFI", "Wi-Fi"]);
        assert_eq!(
            settings.unknown[0].message,
            "unknown key (did you mean `wifi`?)"
        );
        // A daemon section counts too, and so does a key of any section.
        for text in [
            format!("{GOOD}\n[eagel]\nx = 1\n"),
            format!("{GOOD}\n[s3]\nbucket = \"b\"\nssid = \"HomeNet\"\n"),
            format!("top = 1\n{GOOD}"),
        ] {
            let settings = system(&text);
            assert!(!settings.understood(), "{text}");
            assert!(settings.problems().is_some(), "{text}");
            assert!(settings.wifi.is_ok() && settings.ssh.is_ok(), "{text}");
        }
        // A forgotten [ssh] header puts its key into [wifi]: listed once, as wifi's problem.
        let settings = system(&GOOD.replace("[ssh]", ""));
        assert!(!settings.understood());
        assert_eq!(
            keys(&settings.wifi.clone().unwrap_err()),
            ["wifi.authorized_keys"]
        );
        assert!(settings.unknown.is_empty(), "{:?}", settings.unknown);
        assert_eq!(settings.problems().unwrap().problems().len(), 1);
        // Wrong values in the daemon's sections are not provisioning's concern.
        let settings = system(&format!("{GOOD}\n[eagle]\nhost = 5\n"));
        assert!(settings.understood());
        assert!(settings.problems().is_none());
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
