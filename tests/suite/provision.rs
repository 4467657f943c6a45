//! `rainforest-logger provision` as the SD image's boot unit runs it, against a temporary root
//! directory: the files it writes, what it leaves alone, and what it prints.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSPHRASE: &str = "correct horse battery";
/// Real public keys (ssh-keygen; the private halves were discarded).
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKXN9hkJZwXriTDMX8ua3rxHW4nEeeyHiuyeiSV7TcJ1 staff@laptop";
const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMR4GcUH88FAb6bJvTDZbHP5vu/raB0SaGSQFifm3+YXVmSa5V093sHAnhqZ8gl8h5eVf/stvZhf5sGVWhgScGc= ops";

const HOSTNAME: &str = "etc/hostname";
const HOSTS: &str = "etc/hosts";
const WPA: &str = "etc/wpa_supplicant/wpa_supplicant-wlan0.conf";
const SSH_DIR: &str = "root/.ssh";
const AUTHORIZED_KEYS: &str = "root/.ssh/authorized_keys";
const APT_SOURCE: &str = "etc/apt/sources.list.d/rainforest-logger.sources";
const APT_CONF: &str = "etc/apt/apt.conf.d/51rainforest-logger-update";
const LISTS_TIMER: &str = "etc/systemd/system/apt-daily.timer.d/rainforest-logger.conf";
const UPGRADE_TIMER: &str = "etc/systemd/system/apt-daily-upgrade.timer.d/rainforest-logger.conf";

/// A config file and a root directory to provision.
struct Card {
    _dir: tempfile::TempDir,
    config: PathBuf,
    root: PathBuf,
}

impl Card {
    fn new() -> Card {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("rainforest-logger.toml");
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        Card {
            _dir: dir,
            config,
            root,
        }
    }

    fn write_config(&self, text: &str) {
        fs::write(&self.config, text).unwrap();
    }

    fn provision(&self) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
            .args(["provision", "--config"])
            .arg(&self.config)
            .arg("--root")
            .arg(&self.root)
            .output()
            .expect("run rainforest-logger provision");
        Run::new(output)
    }

    /// [`Card::provision`], checking it exits with `code`.
    fn provision_expecting(&self, code: i32) -> Run {
        let run = self.provision();
        assert_eq!(run.code, Some(code), "{}", run.all());
        run
    }

    /// A card provisioned once (exit 0) from [`good_config`].
    fn provisioned() -> Card {
        let card = Card::new();
        card.write_config(&good_config());
        card.provision_expecting(0);
        card
    }

    /// `provision` exiting 0 and printing exactly `lines`.
    fn provision_printing(&self, lines: &[&str]) -> Run {
        let run = self.provision_expecting(0);
        assert_eq!(run.stdout_lines(), lines);
        run
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).unwrap()
    }

    fn mode(&self, relative: &str) -> u32 {
        fs::metadata(self.path(relative))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    /// Content, inode, modification and change times: what a rewrite or a chmod would change.
    fn state(&self, relative: &str) -> (String, u64, [i64; 4]) {
        let metadata = fs::metadata(self.path(relative)).unwrap();
        let times = [
            metadata.mtime(),
            metadata.mtime_nsec(),
            metadata.ctime(),
            metadata.ctime_nsec(),
        ];
        (self.read(relative), metadata.ino(), times)
    }
}

/// What one run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn new(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

fn config(id: &str, wifi: &str, keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|key| format!("{key:?}")).collect();
    format!(
        "[household]\nid = \"{id}\"\n\n[wifi]\n{wifi}\n\n[ssh]\nauthorized_keys = [{}]\n",
        keys.join(", ")
    )
}

fn home_wifi() -> String {
    format!("ssid = \"HomeNet\"\npassphrase = \"{PASSPHRASE}\"\ncountry = \"gb\"")
}

fn good_config() -> String {
    config("H_0001", &home_wifi(), &[ED25519, ECDSA])
}

#[test]
fn writes_every_file_with_its_mode() {
    let card = Card::new();
    card.write_config(&good_config());
    let run = card.provision_printing(&[
        "hostname: rainforest-h-0001-55b2ac8b",
        "wifi: network \"HomeNet\" (country GB)",
        "ssh: 2 authorized keys",
        "update: Debian security updates only, nightly at 03:28 (this image has no \
         rainforest-logger repository)",
    ]);
    assert!(!run.all().contains(PASSPHRASE), "{}", run.all());

    assert_eq!(card.read(HOSTNAME), "rainforest-h-0001-55b2ac8b\n");
    let hosts = card.read(HOSTS);
    let entries: Vec<&str> = hosts.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        entries,
        [
            "127.0.0.1\tlocalhost",
            "127.0.1.1\trainforest-h-0001-55b2ac8b",
            "::1\t\tlocalhost ip6-localhost ip6-loopback",
            "ff02::1\t\tip6-allnodes",
            "ff02::2\t\tip6-allrouters",
        ]
    );

    let wpa = card.read(WPA);
    let settings: Vec<&str> = wpa
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        settings,
        [
            "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev",
            "update_config=0",
            "country=GB",
            "network={",
            "ssid=486f6d654e6574",
            "scan_ssid=1",
            &format!("psk=\"{PASSPHRASE}\""),
            "}",
        ]
    );

    let keys = card.read(AUTHORIZED_KEYS);
    let keys: Vec<&str> = keys.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(keys, [ED25519, ECDSA]);

    assert_eq!(card.mode(HOSTNAME), 0o644);
    assert_eq!(card.mode(HOSTS), 0o644);
    assert_eq!(card.mode(WPA), 0o600);
    assert_eq!(card.mode(SSH_DIR), 0o700);
    assert_eq!(card.mode(AUTHORIZED_KEYS), 0o600);
}

#[test]
fn open_and_psk_networks() {
    let card = Card::new();
    let psk = "0123456789abcdef".repeat(4);
    let wifi = format!("ssid = \"Café\"\npassphrase = \"{psk}\"\ncountry = \"US\"");
    card.write_config(&config("h-0001", &wifi, &[]));
    let run = card.provision_expecting(0);
    let wpa = card.read(WPA);
    assert!(wpa.contains("\n\tssid=436166c3a9\n"), "{wpa}");
    assert!(wpa.contains(&format!("\n\tpsk={psk}\n")), "{wpa}");
    assert!(!run.all().contains(&psk), "{}", run.all());

    card.write_config(&config("h-0001", "ssid = \"Cafe\"\ncountry = \"US\"", &[]));
    card.provision_expecting(0);
    let wpa = card.read(WPA);
    assert!(wpa.contains("\n\tkey_mgmt=NONE\n"), "{wpa}");
    assert!(!wpa.contains("psk"), "{wpa}");
}

#[test]
fn a_second_run_changes_nothing() {
    let card = Card::provisioned();
    let ssh_dir = || {
        let metadata = fs::metadata(card.path(SSH_DIR)).unwrap();
        (metadata.mtime_nsec(), metadata.ctime_nsec())
    };
    let files = [HOSTNAME, HOSTS, WPA, AUTHORIZED_KEYS];
    let before: Vec<_> = files.iter().map(|file| card.state(file)).collect();
    let ssh_dir_before = ssh_dir();

    card.provision_printing(&["unchanged: hostname, wifi, ssh, update"]);
    let after: Vec<_> = files.iter().map(|file| card.state(file)).collect();
    assert_eq!(before, after);
    assert_eq!(ssh_dir(), ssh_dir_before);
}

#[test]
fn a_wrong_mode_alone_is_fixed() {
    let card = Card::provisioned();
    fs::set_permissions(card.path(WPA), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(card.path(SSH_DIR), fs::Permissions::from_mode(0o755)).unwrap();
    card.provision_printing(&[
        "wifi: network \"HomeNet\" (country GB)",
        "ssh: 2 authorized keys",
        "unchanged: hostname, update",
    ]);
    assert_eq!(card.mode(WPA), 0o600);
    assert_eq!(card.mode(SSH_DIR), 0o700);
}

#[test]
fn no_ssid_removes_the_wifi_file_and_no_keys_the_authorized_keys() {
    let card = Card::provisioned();
    assert!(card.path(WPA).exists());

    card.write_config(&config(
        "H_0001",
        "ssid = \"\"\ncountry = \"GB\"",
        &[ED25519, ECDSA],
    ));
    card.provision_printing(&[
        "wifi: removed (no [wifi] ssid)",
        "unchanged: hostname, ssh, update",
    ]);
    assert!(!card.path(WPA).exists());

    card.write_config(&config("H_0001", "", &[]));
    card.provision_printing(&[
        "ssh: off (no authorized keys)",
        "unchanged: hostname, wifi, update",
    ]);
    assert!(!card.path(AUTHORIZED_KEYS).exists());
    assert!(card.path(SSH_DIR).is_dir());

    let run = card.provision();
    assert_eq!(
        run.stdout_lines(),
        ["unchanged: hostname, wifi, ssh, update"]
    );
}

#[test]
fn a_bad_passphrase_keeps_the_wifi_file_but_applies_the_rest() {
    let card = Card::provisioned();
    let wifi_before = card.state(WPA);

    let wrong = "Xq7#z";
    let wifi = format!("ssid = \"OtherNet\"\npassphrase = \"{wrong}\"\ncountry = \"GB\"");
    card.write_config(&config("h-0002", &wifi, &[ED25519]));
    let run = card.provision_expecting(1);
    assert_eq!(card.state(WPA), wifi_before);
    assert_eq!(card.read(HOSTNAME), "rainforest-h-0002\n");
    assert!(card
        .read(HOSTS)
        .contains("\n127.0.1.1\trainforest-h-0002\n"));
    assert!(!card.read(AUTHORIZED_KEYS).contains(ECDSA));
    assert_eq!(
        run.stdout_lines(),
        [
            "hostname: rainforest-h-0002",
            "wifi: left as it was (config problems below)",
            "ssh: 1 authorized key",
            // Another household id: other update times.
            "update: Debian security updates only, nightly at 03:00 (this image has no \
             rainforest-logger repository)",
        ]
    );
    let file = card.config.display().to_string();
    assert!(
        run.stderr
            .lines()
            .any(|line| line.contains(&file) && line.contains("wifi.passphrase: expected 8 to 63")),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains(wrong), "{}", run.all());
}

#[test]
fn a_misspelt_wifi_section_keeps_the_wifi_file() {
    let card = Card::provisioned();
    let before = card.state(WPA);
    card.write_config(&good_config().replace("[wifi]", "[wfi]"));
    let run = card.provision_expecting(1);
    assert_eq!(card.state(WPA), before);
    assert!(
        run.stderr
            .contains("wfi: unknown key (did you mean `wifi`?)"),
        "{}",
        run.stderr
    );
}

/// A file with names provision does not know may mean anything for Wi-Fi and SSH: both stay
/// byte for byte as they were (content, inode, times), the host name is still applied, and
/// the run exits 1 naming the name.
#[test]
fn unknown_sections_or_keys_keep_wifi_and_ssh_exactly_as_they_were() {
    let misread = [
        // Misspelt headers, too far from the known names to be caught as typos of them.
        (
            good_config()
                .replace("[wifi]", "[WIFI]")
                .replace("[ssh]", "[SSH]"),
            "WIFI",
        ),
        (good_config().replace("[wifi]", "[Wi-Fi]"), "Wi-Fi"),
        // A forgotten header: the keys land in the section before it.
        (good_config().replace("[ssh]\n", ""), "wifi.authorized_keys"),
        // A daemon section's misspelling says the file was not understood either.
        (
            format!("{}\n[eagel]\nhost = \"x\"\n", good_config()),
            "eagel",
        ),
    ];
    for (text, name) in misread {
        let card = Card::provisioned();
        let before = [card.state(WPA), card.state(AUTHORIZED_KEYS)];

        card.write_config(&text.replace("H_0001", "h-0002"));
        let run = card.provision();
        assert_eq!(run.code, Some(1), "{name}: {}", run.all());
        assert_eq!(
            [card.state(WPA), card.state(AUTHORIZED_KEYS)],
            before,
            "{name}"
        );
        assert_eq!(card.read(HOSTNAME), "rainforest-h-0002\n", "{name}");
        let file = card.config.display().to_string();
        assert!(
            run.stderr
                .lines()
                .any(|line| line.starts_with(&format!("{file}: {name}: unknown key"))),
            "{name}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("removed"), "{name}: {}", run.stdout);
        assert!(!run.stdout.contains("off"), "{name}: {}", run.stdout);
    }
}

#[test]
fn unknown_names_hold_wifi_and_ssh_with_a_line_that_says_why() {
    let card = Card::provisioned();
    card.write_config(
        &good_config()
            .replace("[wifi]", "[WIFI]")
            .replace("[ssh]", "[SSH]"),
    );
    let run = card.provision();
    assert_eq!(
        run.stdout_lines(),
        [
            "wifi: left as it was (the file has unknown sections or keys, below)",
            "ssh: left as it was (the file has unknown sections or keys, below)",
            "update: left as it was (the file has unknown sections or keys, below)",
            "unchanged: hostname",
        ]
    );
    assert!(
        run.stderr
            .contains("WIFI: unknown key (did you mean `wifi`?)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("SSH: unknown key (did you mean `ssh`?)"),
        "{}",
        run.stderr
    );
}

/// Ids that lowercasing, `_` → `-` or the 63-character limit would make equal get
/// different host names.
#[test]
fn ids_that_map_alike_get_different_host_names() {
    let long = "a".repeat(52);
    let pairs = [
        ("H_1".to_string(), "h-1".to_string()),
        (format!("{long}x"), format!("{long}y")),
    ];
    for (first, second) in pairs {
        let names: Vec<String> = [&first, &second]
            .into_iter()
            .map(|id| {
                let card = Card::new();
                card.write_config(&config(id, "", &[]));
                let run = card.provision();
                assert_eq!(run.code, Some(0), "{id}: {}", run.all());
                card.read(HOSTNAME)
            })
            .collect();
        assert_ne!(names[0], names[1], "{first} and {second}");
        for name in &names {
            assert!(name.trim_end().len() <= 63, "{name}");
        }
    }
}

#[test]
fn the_logger_sections_do_not_matter() {
    let card = Card::new();
    let text = format!(
        "{}\n[eagle]\nhost = 5\ncloud_id = \"nope\"\n",
        good_config()
    );
    card.write_config(&text);
    card.provision_expecting(0);
    assert_eq!(card.read(HOSTNAME), "rainforest-h-0001-55b2ac8b\n");
    assert!(card.path(WPA).exists());
    assert!(card.path(AUTHORIZED_KEYS).exists());
}

#[test]
fn a_file_that_is_not_toml_or_missing_applies_nothing() {
    let card = Card::new();
    card.write_config(&good_config().replace("[ssh]", "[ssh"));
    let run = card.provision_expecting(1);
    assert!(run.stderr.contains("invalid TOML"), "{}", run.stderr);
    assert_eq!(fs::read_dir(&card.root).unwrap().count(), 0);

    card.write_config(&good_config());
    card.provision_expecting(0);
    let before: Vec<_> = [HOSTNAME, WPA, AUTHORIZED_KEYS]
        .iter()
        .map(|file| card.state(file))
        .collect();
    card.write_config(&config("h-0002", "ssid = \"\"", &[]).replace("[ssh]", "[ssh"));
    card.provision_expecting(1);
    let after: Vec<_> = [HOSTNAME, WPA, AUTHORIZED_KEYS]
        .iter()
        .map(|file| card.state(file))
        .collect();
    assert_eq!(before, after);

    fs::remove_file(&card.config).unwrap();
    let run = card.provision_expecting(1);
    assert!(run.stderr.contains(&card.config.display().to_string()));
}

#[test]
fn a_file_saved_on_windows_gives_the_same_files() {
    let unix = Card::new();
    unix.write_config(&good_config());
    assert_eq!(unix.provision().code, Some(0));
    let windows = Card::new();
    windows.write_config(&format!("\u{feff}{}", good_config().replace('\n', "\r\n")));
    let run = windows.provision();
    assert_eq!(run.code, Some(0), "{}", run.all());
    for file in [HOSTNAME, HOSTS, WPA, AUTHORIZED_KEYS] {
        assert_eq!(windows.read(file), unix.read(file), "{file}");
    }
}

#[test]
fn a_write_that_fails_is_exit_2_and_the_other_parts_are_applied() {
    let card = Card::new();
    // A directory where /etc/hostname should be: the OS refuses to read or replace it.
    fs::create_dir_all(card.path(HOSTNAME)).unwrap();
    card.write_config(&good_config());
    let run = card.provision_expecting(2);
    let hostname = card.path(HOSTNAME).display().to_string();
    assert!(run.stderr.contains(&hostname), "{}", run.stderr);
    assert!(card.path(WPA).exists());
    assert!(card.path(AUTHORIZED_KEYS).exists());
    assert!(!run.all().contains(PASSPHRASE));
}

/// The files are found at the paths the image expects, whatever the root.
#[test]
fn paths_are_under_the_root() {
    let card = Card::provisioned();
    let mut written: Vec<PathBuf> = Vec::new();
    collect_files(&card.root, &mut written);
    let mut relative: Vec<String> = written
        .iter()
        .map(|path| path.strip_prefix(&card.root).unwrap().display().to_string())
        .collect();
    relative.sort();
    assert_eq!(
        relative,
        [
            APT_CONF,
            HOSTNAME,
            HOSTS,
            UPGRADE_TIMER,
            LISTS_TIMER,
            WPA,
            AUTHORIZED_KEYS
        ]
    );
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// The source entry image/build.sh writes when given a repository.
const IMAGE_SOURCE: &str = "Types: deb\nURIs: https://apt.example.org/rainforest\nSuites: stable\n\
                            Components: main\n\
                            Signed-By: /usr/share/keyrings/rainforest-logger-archive-keyring.gpg\n";

/// A card whose image has the rainforest-logger repository ([`IMAGE_SOURCE`]).
fn card_with_the_image_source() -> Card {
    let card = Card::new();
    fs::create_dir_all(card.path(APT_SOURCE).parent().unwrap()).unwrap();
    fs::write(card.path(APT_SOURCE), IMAGE_SOURCE).unwrap();
    card
}

fn with_update(channel: &str) -> String {
    format!("{}\n[update]\nchannel = \"{channel}\"\n", good_config())
}

/// The lines of an apt.conf or unit file that are not comments.
fn settings_of(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("//"))
        .collect()
}

#[test]
fn the_channel_picks_the_suite_and_off_stops_updates() {
    let card = card_with_the_image_source();

    card.write_config(&with_update("canary"));
    let run = card.provision_expecting(0);
    assert_eq!(
        card.read(APT_SOURCE),
        IMAGE_SOURCE.replace("stable", "canary")
    );
    let conf = card.read(APT_CONF);
    let reboot = settings_of(&conf)[2].to_string();
    assert_eq!(
        settings_of(&conf)[..2],
        [
            "APT::Periodic::Update-Package-Lists \"1\";",
            "APT::Periodic::Unattended-Upgrade \"1\";"
        ]
    );
    // Within the night window, 30 minutes apart, the same for the same household.
    let lists = settings_of(&card.read(LISTS_TIMER))[2].to_string();
    let upgrade = settings_of(&card.read(UPGRADE_TIMER))[2].to_string();
    let minutes = |line: &str| {
        let time = &line[line.len() - 5..];
        let (h, m) = time.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
    };
    let (lists, upgrade, reboot) = (
        minutes(&lists),
        minutes(&upgrade),
        minutes(&reboot[..reboot.len() - 2]),
    );
    assert!((60..240).contains(&lists), "{lists}");
    assert_eq!((upgrade, reboot), (lists + 30, lists + 60));
    assert_eq!(
        settings_of(&card.read(UPGRADE_TIMER)),
        [
            "[Timer]",
            "OnCalendar=",
            &format!("OnCalendar=*-*-* {:02}:{:02}", upgrade / 60, upgrade % 60),
            "RandomizedDelaySec=0"
        ]
    );
    let line = run
        .stdout_lines()
        .into_iter()
        .find(|l| l.starts_with("update: "))
        .unwrap();
    assert!(line.starts_with("update: canary nightly at "), "{line}");

    card.write_config(&with_update("stable"));
    card.provision_expecting(0);
    assert_eq!(card.read(APT_SOURCE), IMAGE_SOURCE);

    // Off: the daily runs stop; the source entry keeps its suite for staff's manual upgrades.
    card.write_config(&with_update("off"));
    let run = card.provision_expecting(0);
    assert!(
        run.stdout
            .contains("update: off (update.channel = \"off\")\n"),
        "{}",
        run.stdout
    );
    assert_eq!(card.read(APT_SOURCE), IMAGE_SOURCE);
    assert!(card
        .read(APT_CONF)
        .contains("\nAPT::Periodic::Unattended-Upgrade \"0\";\n"));
    assert!(card
        .read(APT_CONF)
        .contains("\nAPT::Periodic::Update-Package-Lists \"0\";\n"));
}

#[test]
fn a_mistake_in_update_or_household_leaves_the_previous_setting() {
    let card = card_with_the_image_source();
    card.write_config(&with_update("canary"));
    card.provision_expecting(0);
    let before = [APT_SOURCE, APT_CONF, LISTS_TIMER, UPGRADE_TIMER].map(|path| card.state(path));

    for broken in [
        with_update("Canary"),
        with_update("off").replace("[update]", "[updates]"),
        with_update("off").replace("H_0001", "H 0001"),
    ] {
        card.write_config(&broken);
        let run = card.provision_expecting(1);
        let after = [APT_SOURCE, APT_CONF, LISTS_TIMER, UPGRADE_TIMER].map(|path| card.state(path));
        assert_eq!(after, before, "{broken}");
        assert!(!run.stdout.contains("update: off"), "{}", run.stdout);
    }
    card.write_config(&with_update("Canary"));
    let run = card.provision();
    assert!(
        run.stderr.contains(&format!(
            "{}: update.channel: expected one of \"stable\", \"canary\", \"off\", found \"Canary\"",
            card.config.display()
        )),
        "{}",
        run.stderr
    );
    // Wi-Fi and SSH were still applied.
    assert!(
        run.stdout.contains("unchanged: hostname, wifi, ssh"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_source_entry_without_suites_is_a_failure_naming_it() {
    let card = Card::new();
    fs::create_dir_all(card.path(APT_SOURCE).parent().unwrap()).unwrap();
    fs::write(
        card.path(APT_SOURCE),
        "Types: deb\nURIs: https://x.invalid/\n",
    )
    .unwrap();
    card.write_config(&with_update("stable"));
    let run = card.provision_expecting(2);
    let source = card.path(APT_SOURCE).display().to_string();
    assert!(
        run.stderr
            .contains(&format!("cannot read {source}: it has no `Suites:` line")),
        "{}",
        run.stderr
    );
}
