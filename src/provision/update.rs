//! Unattended upgrades, from `[update]` and `[household] id`: which suite of the program's
//! apt repository the box follows, whether unattended-upgrades runs at all, and when.
//!
//! The SD image carries the repository's source entry (when it was built with one) and the
//! static unattended-upgrades settings (which origins, reboots only when a package needs
//! one, keep local conffiles); this part writes what differs per box:
//!
//! - the entry's `Suites:` line (`stable` or `canary`), so a channel change needs no new image;
//! - an apt.conf snippet that turns the daily runs on or off and sets the reboot time;
//! - systemd timer drop-ins moving apt's daily runs to a time of night made from the
//!   household id, so a thousand boxes do not fetch a release, or reboot, in the same minute
//!   (the same hash as the upload's fleet spread). systemd reads them at the next boot.
//!
//! An image built without a repository has no source entry: there the same nightly runs
//! install Debian's security updates only (the image's static settings name no other
//! origin that apt can reach), and `off` turns them off too.

use std::time::Duration;

use super::MANAGED;
use crate::config::UpdateChannel;
use crate::upload::fleet_delay;

/// The first minute of the night window (01:00, the box's local time) and its length: apt's
/// lists are fetched from 01:00, upgrades installed 30 minutes later, and a reboot a package
/// asks for happens 30 minutes after that, so everything happens between 01:00 and 05:00.
const WINDOW_START_MINUTE: u32 = 60;
const WINDOW_SPREAD_MINUTES: u32 = 180;
const STEP_MINUTES: u32 = 30;

/// When this box's nightly update steps run, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UpdateTimes {
    /// apt-daily.timer: fetch the package lists.
    pub lists: u32,
    /// apt-daily-upgrade.timer: unattended-upgrade installs.
    pub upgrade: u32,
    /// `Unattended-Upgrade::Automatic-Reboot-Time`, when an upgrade needs a reboot.
    pub reboot: u32,
}

impl UpdateTimes {
    /// The household's times: stable for an id, spread evenly over the window across ids.
    pub(super) fn of(household_id: &str) -> UpdateTimes {
        let spread = Duration::from_secs(u64::from(WINDOW_SPREAD_MINUTES - 1) * 60);
        // At most WINDOW_SPREAD_MINUTES - 1, so the cast cannot truncate.
        let offset = (fleet_delay(household_id, spread).as_secs() / 60) as u32;
        let lists = WINDOW_START_MINUTE + offset;
        UpdateTimes {
            lists,
            upgrade: lists + STEP_MINUTES,
            reboot: lists + 2 * STEP_MINUTES,
        }
    }
}

/// `HH:MM`.
pub(super) fn clock_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The apt.conf snippet: the daily runs on (`stable`, `canary`) or off, and the reboot time.
/// `repository` is whether the image has the program's source entry; without it the runs
/// bring Debian's security updates alone.
pub(super) fn apt_conf(channel: UpdateChannel, repository: bool, times: UpdateTimes) -> String {
    let (on, why) = match (channel, repository) {
        (UpdateChannel::Off, _) => ("0", "off: update.channel = \"off\""),
        (UpdateChannel::Stable | UpdateChannel::Canary, true) => ("1", "on"),
        (UpdateChannel::Stable | UpdateChannel::Canary, false) => (
            "1",
            "on for Debian's security updates only: this image has no rainforest-logger \
             repository",
        ),
    };
    format!(
        "// {MANAGED} update.channel and household.id\n\
         // Unattended upgrades {why}.\n\
         APT::Periodic::Update-Package-Lists \"{on}\";\n\
         APT::Periodic::Unattended-Upgrade \"{on}\";\n\
         Unattended-Upgrade::Automatic-Reboot-Time \"{reboot}\";\n",
        reboot = clock_time(times.reboot),
    )
}

/// A drop-in replacing a timer's calendar with one fixed time of day. `Persistent=` stays as
/// Debian set it (a box that was off catches up when it boots; a reboot still waits for the
/// night, see [`apt_conf`]).
pub(super) fn timer_drop_in(minutes: u32) -> String {
    format!(
        "# {MANAGED} household.id\n\
         [Timer]\n\
         OnCalendar=\n\
         OnCalendar=*-*-* {time}\n\
         RandomizedDelaySec=0\n",
        time = clock_time(minutes),
    )
}

/// The image's deb822 source entry with its `Suites:` field set to `suite`, everything
/// else kept; `None` if it has no `Suites:` field (not the entry the image writes).
pub(super) fn with_suite(entry: &str, suite: &str) -> Option<String> {
    let mut found = false;
    let mut out = String::with_capacity(entry.len());
    for line in entry.lines() {
        if line.starts_with("Suites:") {
            found = true;
            out.push_str("Suites: ");
            out.push_str(suite);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_the_night_window_stable_and_spread() {
        assert_eq!(UpdateTimes::of("h-0001"), UpdateTimes::of("h-0001"));
        let all: Vec<UpdateTimes> = (0..1800)
            .map(|i| UpdateTimes::of(&format!("h-{i:04}")))
            .collect();
        for times in &all {
            assert!((60..240).contains(&times.lists), "{times:?}");
            assert_eq!(times.upgrade, times.lists + 30);
            assert_eq!(times.reboot, times.lists + 60);
            assert!(times.reboot < 300, "reboot after 05:00: {times:?}");
        }
        // Each of the three hours gets a fair share of the boxes.
        for hour in 1..=3 {
            let count = all.iter().filter(|t| t.lists / 60 == hour).count();
            assert!((500..=700).contains(&count), "{hour}h: {count}");
        }
        assert_eq!(clock_time(61), "01:01");
        assert_eq!(clock_time(299), "04:59");
    }

    #[test]
    fn the_apt_conf_turns_updates_off_only_for_channel_off() {
        let times = UpdateTimes {
            lists: 75,
            upgrade: 105,
            reboot: 135,
        };
        let on = apt_conf(UpdateChannel::Canary, true, times);
        assert!(on.starts_with("// "), "{on}");
        assert!(
            on.contains("\nAPT::Periodic::Update-Package-Lists \"1\";\n"),
            "{on}"
        );
        assert!(
            on.contains("\nAPT::Periodic::Unattended-Upgrade \"1\";\n"),
            "{on}"
        );
        assert!(on.contains("\nUnattended-Upgrade::Automatic-Reboot-Time \"02:15\";\n"));
        assert_eq!(on, apt_conf(UpdateChannel::Stable, true, times));
        let security_only = apt_conf(UpdateChannel::Stable, false, times);
        assert!(
            security_only.contains("\nAPT::Periodic::Unattended-Upgrade \"1\";\n"),
            "{security_only}"
        );
        assert!(security_only.contains("security updates only"));
        for off in [
            apt_conf(UpdateChannel::Off, true, times),
            apt_conf(UpdateChannel::Off, false, times),
        ] {
            assert!(
                off.contains("\nAPT::Periodic::Unattended-Upgrade \"0\";\n"),
                "{off}"
            );
            assert!(off.contains("\nAPT::Periodic::Update-Package-Lists \"0\";\n"));
        }
    }

    #[test]
    fn a_timer_drop_in_replaces_the_calendar() {
        let drop_in = timer_drop_in(100);
        let body = drop_in.split_once('\n').unwrap().1;
        assert_eq!(
            body,
            "[Timer]\nOnCalendar=\nOnCalendar=*-*-* 01:40\nRandomizedDelaySec=0\n"
        );
    }

    #[test]
    fn only_the_suites_line_changes() {
        let entry = "# the image's\nTypes: deb\nURIs: https://apt.example.org/rainforest\n\
                     Suites: stable\nComponents: main\nSigned-By: /usr/share/keyrings/k.gpg\n";
        let canary = with_suite(entry, "canary").unwrap();
        assert_eq!(canary, entry.replace("Suites: stable", "Suites: canary"));
        assert_eq!(with_suite(&canary, "stable").unwrap(), entry);
        assert_eq!(with_suite("Types: deb\nURIs: x\n", "stable"), None);
    }
}
