//! The binary's commands, run as a user runs them.

use std::process::{Command, Output};

fn logger(args: &[&str]) -> Output {
    logger_with_region(args, None)
}

/// The binary with a clean AWS environment, `AWS_REGION` set to `region` if given.
fn logger_with_region(args: &[&str], region: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"));
    command
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION");
    if let Some(region) = region {
        command.env("AWS_REGION", region);
    }
    command.output().expect("run rainforest-logger")
}

/// config/example.toml.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/example.toml");

/// The example config with each `(line, replacement)` made; the line must be in it.
fn example_with(changes: &[(&str, &str)]) -> String {
    let mut config = std::fs::read_to_string(EXAMPLE).unwrap();
    for (line, replacement) in changes {
        assert!(config.contains(line), "{line:?} is not in {EXAMPLE}");
        config = config.replace(line, replacement);
    }
    config
}

/// A `.toml` file holding `config`, removed when dropped.
fn config_file(config: &str) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(file.path(), config).unwrap();
    file
}

/// `rainforest-logger check-config FILE` of the example config with each `(line, replacement)`
/// made: what it printed, once its exit code was checked to be `code`.
fn check_example_with(changes: &[(&str, &str)], code: i32) -> String {
    let file = config_file(&example_with(changes));
    let output = logger(&["check-config", file.path().to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(code), "{out}");
    out
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn example_config_is_valid() {
    let output = logger(&["check-config", EXAMPLE]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("household   h-0001"));
    assert!(text(&output).contains("Wi-Fi       off (Ethernet only)"));
    assert!(text(&output).contains("SSH         0 authorized key(s)"));
    assert!(text(&output).contains("updates     stable"));
    assert!(
        !text(&output).contains("0123456789abcdef"),
        "install code printed"
    );
}

#[test]
fn three_mistakes_are_listed_at_once_with_exit_code_1() {
    let bad = config_file(&example_with(&[
        ("poll_interval = \"6s\"", "pol_interval = \"6s\""),
        ("timeout = \"10s\"", "timeout = \"10 seconds\""),
        ("bucket = \"iseif-rainforest\"", ""),
    ]));
    let output = logger(&["check-config", "--config", bad.path().to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let file = bad.path().display().to_string();
    for key in ["eagle.pol_interval", "eagle.timeout", "s3.bucket"] {
        assert!(
            out.lines().any(|l| l.contains(&file) && l.contains(key)),
            "{key} not reported with the file name:\n{out}"
        );
    }
    assert!(
        out.contains("poll_interval"),
        "no suggestion for the typo:\n{out}"
    );
}

/// A region that would pick the upload host, and a prefix that climbs out of the bucket.
#[test]
fn check_config_refuses_a_region_or_prefix_that_moves_the_readings() {
    let cases = [
        (
            "region = \"us-east-1\"",
            "region = \"http://127.0.0.1:9000\"",
            "s3.region: expected an AWS region name",
        ),
        (
            "region = \"us-east-1\"",
            "region = \"us-east1\"",
            "(did you mean \"us-east-1\"?)",
        ),
        (
            "prefix = \"\"",
            "prefix = \"../x/\"",
            "s3.prefix: expected a key prefix",
        ),
    ];
    for (line, wrong, message) in cases {
        let out = check_example_with(&[(line, wrong)], 1);
        assert!(out.contains(message), "{wrong}: {out}");
    }
    let output = logger_with_region(&["check-config", EXAMPLE], Some("http://127.0.0.1:9000"));
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("s3.region: set by the environment variable AWS_REGION"),
        "{out}"
    );
}

#[test]
fn missing_config_names_where_it_looked() {
    let output = logger(&["check-config", "/nonexistent/rainforest.toml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("/nonexistent/rainforest.toml"));
}

#[test]
fn a_bad_install_code_is_not_echoed() {
    let out = check_example_with(&[("0123456789abcdef", "s3cr3t-wrong-code")], 1);
    assert!(out.contains("eagle.install_code"), "{out}");
    assert!(!out.contains("s3cr3t"), "secret echoed:\n{out}");
}

#[test]
fn check_config_lists_wifi_and_ssh_problems_without_the_passphrase() {
    let out = check_example_with(
        &[
            ("ssid = \"\"", "ssid = \"HomeNet\""),
            ("passphrase = \"\"", "passphrase = \"Zq9!x\""),
            (
                "authorized_keys = []",
                "authorized_keys = [\"ssh-dss AAAA\"]",
            ),
        ],
        1,
    );
    for key in ["wifi.passphrase", "wifi.country", "ssh.authorized_keys[0]"] {
        assert!(out.contains(&format!(": {key}: ")), "{key} missing:\n{out}");
    }
    assert!(!out.contains("Zq9!x"), "passphrase echoed:\n{out}");
}

#[test]
fn status_of_a_fresh_install_does_not_create_a_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let config = config_file(&example_with(&[(
        "/var/lib/rainforest-logger/readings.db",
        db.to_str().unwrap(),
    )]));
    let output = logger(&["status", "--config", config.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("no buffer"));
    assert!(!db.exists());
}

#[cfg(feature = "demo")]
#[test]
fn demo_shows_readings_within_ten_seconds() {
    let started = std::time::Instant::now();
    let output = logger(&["demo", "--duration", "9s"]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let readings = out.lines().filter(|l| l.starts_with("seq ")).count();
    assert!(readings >= 2, "expected live readings:\n{out}");
    assert!(out.contains("demand"), "{out}");
}

/// The Pi's build (cross/build.sh: `--no-default-features`) has no simulator, so no `demo`.
#[cfg(not(feature = "demo"))]
#[test]
fn demo_is_no_command_of_the_build_without_the_simulator() {
    let output = logger(&["demo", "--duration", "1s"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("unrecognized subcommand 'demo'"));
}

#[test]
fn version_is_printed() {
    let output = logger(&["--version"]);
    assert_eq!(output.status.code(), Some(0));
    // rainforest-logger 0.1.0 (commit 574bb7d, aarch64-unknown-linux-gnu)
    let out = String::from_utf8_lossy(&output.stdout);
    let prefix = concat!("rainforest-logger ", env!("CARGO_PKG_VERSION"), " (commit ");
    let (commit, target) = out
        .trim_end()
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|rest| rest.split_once(", "))
        .unwrap_or_else(|| panic!("unexpected --version output: {out:?}"));
    // The commit of this checkout now (build.rs must have rerun when HEAD moved), or
    // "unknown" where the source is not a git checkout.
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|git| git.status.success())
        .map(|git| String::from_utf8_lossy(&git.stdout).trim().to_owned());
    assert_eq!(commit, head.as_deref().unwrap_or("unknown"));
    // The triple the binary (like this test) was built for: armv7-… for std's "arm".
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains("-linux-"),
        "target {target:?} is not a Linux {} triple",
        std::env::consts::ARCH
    );
}

#[test]
fn an_http_s3_endpoint_with_credentials_is_accepted_with_a_warning() {
    // Regression (issue 12, item 15): accepted without a word.
    let out = check_example_with(
        &[
            ("endpoint = \"\"", "endpoint = \"http://minio.lan:9000\""),
            ("path_style = false", "path_style = true"),
            ("access_key_id = \"\"", "access_key_id = \"AKIDLOCAL\""),
            (
                "secret_access_key = \"\"",
                "secret_access_key = \"local-secret-key\"",
            ),
        ],
        0,
    );
    assert!(
        out.contains("warning: s3.endpoint \"http://minio.lan:9000\" is plain http"),
        "{out}"
    );
    assert!(!out.contains("local-secret-key"), "{out}");
}
