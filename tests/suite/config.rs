//! The config loader through its public API: the shipped example, a realistic broken file,
//! environment overrides and secrecy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rainforest_logger::config::{
    load, locate, ApiKind, ClockSettings, ConfigError, EagleSettings, Endpoint, HealthyPattern,
    HouseholdSettings, LedBackend, LedSettings, Problem, S3Settings, Secret, Settings, SshSettings,
    StorageSettings, UpdateChannel, UpdateSettings, WebSettings, SEARCH_PATHS,
};

const EXAMPLE: &str = include_str!("../../config/example.toml");

fn no_env(_: &str) -> Option<String> {
    None
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml")
}

#[test]
fn example_loads_with_every_default() {
    let path = example_path();
    let settings = load(&path, &no_env).unwrap();
    let expected = Settings {
        source: path,
        household: HouseholdSettings {
            id: "h-0001".into(),
        },
        eagle: EagleSettings {
            base_url: "http://eagle-0123ab.local".into(),
            cloud_id: "0123ab".into(),
            install_code: Secret::new("0123456789abcdef"),
            api: ApiKind::Auto,
            meter: None,
            poll_interval: Duration::from_secs(6),
            timeout: Duration::from_secs(10),
            certificate_sha256: None,
        },
        storage: StorageSettings {
            path: "/var/lib/rainforest-logger/readings.db".into(),
            retention: Duration::from_secs(30 * 86_400),
            max_size: 1 << 30,
            commit_interval: Duration::from_secs(60),
            database_interval: Duration::from_secs(3_600),
            journal_dir: Some("/run/rainforest-logger".into()),
        },
        s3: S3Settings {
            bucket: "iseif-rainforest".into(),
            region: "us-east-1".into(),
            endpoint: Endpoint::Aws,
            path_style: false,
            prefix: String::new(),
            access_key_id: None,
            secret_access_key: None,
            batch_period: Duration::from_secs(3_600),
            key_template: None,
            fleet_spread: Duration::from_secs(300),
        },
        led: LedSettings {
            backend: LedBackend::Sysfs,
            sysfs_path: "/sys/class/leds/ACT".into(),
            gpio_chip: "/dev/gpiochip0".into(),
            gpio_line: 17,
            active_low: false,
            healthy: HealthyPattern::Heartbeat,
        },
        clock: ClockSettings { require_sync: true },
        web: WebSettings {
            enable: false,
            listen: "0.0.0.0:80".parse().unwrap(),
        },
        wifi: None,
        ssh: SshSettings {
            authorized_keys: Vec::new(),
        },
        update: UpdateSettings {
            channel: UpdateChannel::Stable,
        },
    };
    assert_eq!(settings, expected);
}

#[test]
fn a_file_saved_on_windows_or_macos_loads_the_same() {
    let source = Path::new("/x.toml");
    let unix = Settings::from_toml_str(EXAMPLE, source, &no_env).unwrap();
    let crlf = EXAMPLE.replace('\n', "\r\n");
    assert!(crlf.contains("\r\n[wifi]\r\n"));
    for text in [
        crlf.clone(),
        format!("\u{feff}{EXAMPLE}"),
        format!("\u{feff}{crlf}"),
    ] {
        assert_eq!(
            Settings::from_toml_str(&text, source, &no_env).unwrap(),
            unix
        );
    }
}

#[test]
fn example_settings_equal_the_defaults_of_a_minimal_file() {
    let minimal = include_str!("../fixtures/minimal_config.toml");
    let source = Path::new("/x.toml");
    let mut example = Settings::from_toml_str(EXAMPLE, source, &no_env).unwrap();
    // The one deliberate difference: the packaged config keeps the journal on /run (the
    // unit's RuntimeDirectory=), where a plain run without systemd need not be able to write.
    assert_eq!(
        example.storage.journal_dir.take(),
        Some("/run/rainforest-logger".into())
    );
    assert_eq!(
        Settings::from_toml_str(minimal, source, &no_env).unwrap(),
        example
    );
}

#[test]
fn every_problem_is_reported_with_file_and_key() {
    let text = EXAMPLE
        .replace("poll_interval = \"6s\"", "pol_interval = \"6s\"")
        .replace("timeout = \"10s\"", "timeout = \"10 seconds\"")
        .replace("bucket = \"iseif-rainforest\"", "");
    let source = Path::new("/boot/firmware/rainforest-logger.toml");
    let error = Settings::from_toml_str(&text, source, &no_env).unwrap_err();
    assert!(matches!(&error, ConfigError::Invalid { path, .. } if path == source));
    let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["eagle.timeout", "eagle.pol_interval", "s3.bucket"]);
    let shown = error.to_string();
    let lines: Vec<&str> = shown.lines().skip(1).collect();
    assert_eq!(
        shown.lines().next(),
        Some("/boot/firmware/rainforest-logger.toml: 3 problems")
    );
    assert_eq!(lines.len(), 3, "{shown}");
    assert_eq!(
        lines[0],
        r#"/boot/firmware/rainforest-logger.toml: eagle.timeout: expected a duration such as "10s" or "1m", found "10 seconds""#
    );
    assert_eq!(
        lines[1],
        "/boot/firmware/rainforest-logger.toml: eagle.pol_interval: unknown key (did you mean `poll_interval`?)"
    );
    assert!(
        lines[2].starts_with(
            "/boot/firmware/rainforest-logger.toml: s3.bucket: required key is missing; expected an S3 bucket name"
        ),
        "{shown}"
    );
}

#[test]
fn environment_overrides_the_file_and_is_validated() {
    let text = EXAMPLE
        .replace("access_key_id = \"\"", "access_key_id = \"FILEKEYID\"")
        .replace("region = \"us-east-1\"", "region = \"eu-west-1\"");
    let env = |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some("ENVKEYID".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("ENVSECRETKEY".to_string()),
        "AWS_REGION" => Some(String::new()), // empty: ignored
        _ => None,
    };
    let settings = Settings::from_toml_str(&text, Path::new("/x.toml"), &env).unwrap();
    assert_eq!(settings.s3.access_key_id, Some(Secret::new("ENVKEYID")));
    assert_eq!(
        settings.s3.secret_access_key,
        Some(Secret::new("ENVSECRETKEY"))
    );
    assert_eq!(settings.s3.region, "eu-west-1");

    let env = |name: &str| (name == "AWS_REGION").then(|| "ap-south-1".to_string());
    let settings = Settings::from_toml_str(&text, Path::new("/x.toml"), &env).unwrap();
    assert_eq!(settings.s3.region, "ap-south-1");
    assert_eq!(settings.s3.access_key_id, Some(Secret::new("FILEKEYID")));

    // The override reaches a file without an [s3] section; the missing bucket is still reported.
    let without_s3 = EXAMPLE.split("\n[s3]\n").next().unwrap();
    let error = Settings::from_toml_str(without_s3, Path::new("/x.toml"), &env).unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    assert_eq!(error.problems()[0].key, "s3.bucket");
}

/// `AWS_REGION` is checked like the file's `s3.region`, and the problem says the variable set
/// it: fixing the file would not help.
#[test]
fn a_region_from_the_environment_is_checked_and_named() {
    for region in ["http://127.0.0.1:9000", "us-east1"] {
        let env = |name: &str| (name == "AWS_REGION").then(|| region.to_string());
        let error = Settings::from_toml_str(EXAMPLE, Path::new("/x.toml"), &env).unwrap_err();
        assert_eq!(error.problems().len(), 1, "{error}");
        let problem = &error.problems()[0];
        assert_eq!(problem.key, "s3.region");
        assert!(
            problem.message.starts_with(
                "set by the environment variable AWS_REGION (which overrides the file): \
                 expected an AWS region name"
            ),
            "{problem}"
        );
        assert!(
            problem.message.contains(&format!("found {region:?}")),
            "{problem}"
        );
    }
    // The same value in the file is the file's problem.
    let text = EXAMPLE.replace("region = \"us-east-1\"", "region = \"us-east1\"");
    let error = Settings::from_toml_str(&text, Path::new("/x.toml"), &no_env).unwrap_err();
    assert!(
        error.problems()[0]
            .message
            .starts_with("expected an AWS region name"),
        "{error}"
    );
}

#[test]
fn debug_output_holds_no_secret() {
    let text = EXAMPLE.replace(
        "secret_access_key = \"\"",
        "secret_access_key = \"FILESECRET\"",
    );
    let env = |name: &str| (name == "AWS_ACCESS_KEY_ID").then(|| "ENVKEYID".to_string());
    let settings = Settings::from_toml_str(&text, Path::new("/x.toml"), &env).unwrap();
    let debug = format!("{settings:?} {settings:#?}");
    for secret in ["0123456789abcdef", "FILESECRET", "ENVKEYID"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn invalid_secrets_are_not_echoed() {
    let text = EXAMPLE.replace("\"0123456789abcdef\"", "\"0123456789abcdeZ\"");
    let error = Settings::from_toml_str(&text, Path::new("/x.toml"), &no_env).unwrap_err();
    assert_eq!(
        error.problems(),
        [Problem::new(
            "eagle.install_code",
            "expected 16 hex digits (the Install Code on the EAGLE's label), found 16 characters"
        )]
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("0123456789abcdeZ"), "{shown}");
}

#[test]
fn syntax_error_on_the_install_code_line_does_not_leak_it() {
    // Unquoted, and with a missing closing quote: both make the toml crate point at the line.
    for broken in [
        "install_code = 0123456789abcdef",
        "install_code = \"0123456789abcdef",
    ] {
        let text = EXAMPLE.replace("install_code = \"0123456789abcdef\"", broken);
        let error = Settings::from_toml_str(&text, Path::new("/x.toml"), &no_env).unwrap_err();
        let ConfigError::Syntax { message, .. } = &error else {
            panic!("expected a syntax error, got {error:?}");
        };
        let line = EXAMPLE
            .lines()
            .position(|l| l.starts_with("install_code"))
            .unwrap()
            + 1;
        assert!(
            message.starts_with(&format!("line {line}, column ")),
            "{message}"
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(shown.starts_with("/x.toml: invalid TOML: line "), "{shown}");
    }
}

#[test]
fn load_reports_unreadable_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let error = load(&missing, &no_env).unwrap_err();
    assert!(matches!(&error, ConfigError::Read { path, .. } if path == &missing));
    assert!(error.to_string().contains("missing.toml"));

    let error = locate(Some(&missing), &[]).unwrap_err();
    assert!(
        matches!(&error, ConfigError::NotFound { tried } if tried == std::slice::from_ref(&missing))
    );
}

#[test]
fn locate_then_load() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.toml");
    let second = dir.path().join("second.toml");
    std::fs::write(&second, EXAMPLE).unwrap();
    let path = locate(None, &[&first, &second]).unwrap();
    assert_eq!(path, second);
    assert_eq!(load(&path, &no_env).unwrap().source, second);
}

#[test]
fn search_paths_follow_the_design() {
    assert_eq!(
        SEARCH_PATHS,
        [
            "/boot/firmware/rainforest-logger.toml",
            "/etc/rainforest-logger/config.toml"
        ]
    );
}
