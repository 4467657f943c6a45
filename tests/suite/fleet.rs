//! `fleet` over a bucket on the real S3-compatible server (and a `file://` target): every
//! heartbeat is untrusted input. Hostile objects are listed, escaped and never believed; the
//! summary counts, the attention order and the exit status follow the households' states.

use crate::common;

use chrono::{Duration, Utc};
use common::binary::write_admin_config;
use common::binary::Target;
use common::fleet::{heartbeat, put_status, run_fleet, terminal_control};
use common::s3::{S3Server, BUCKET};

/// Exit status of `fleet` when a household needs attention.
const ATTENTION: i32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_heartbeats_are_listed_escaped_and_never_believed() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let bucket = server.root.join(BUCKET);
    let now = Utc::now();
    let json = |h: &rainforest_logger::upload::Heartbeat| h.to_json();
    put_status(
        &bucket,
        "household=h-ok.json",
        &json(&heartbeat("h-ok", now, "healthy", 1.0)),
        now,
    );
    let mut escapes = heartbeat("h-escape", now, "upload failing", 1.0);
    escapes.last_error =
        Some("\u{1b}[2J\u{1b}[1;1Hall fine\u{1b}]0;pwned\u{7}\r\u{9b}K\u{202e}".into());
    escapes.version = "\u{1b}[31mred".into();
    put_status(&bucket, "household=h-escape.json", &json(&escapes), now);
    // Another household's id in the body: listed under its own key, flagged.
    put_status(
        &bucket,
        "household=h-liar.json",
        &json(&heartbeat("h-ok", now, "healthy", 1.0)),
        now,
    );
    // Year 2999 in the body, but the store wrote it three hours ago: stale.
    let future = heartbeat(
        "h-2999",
        "2999-01-01T00:00:00Z".parse().unwrap(),
        "healthy",
        1.0,
    );
    put_status(
        &bucket,
        "household=h-2999.json",
        &json(&future),
        now - Duration::hours(3),
    );
    put_status(
        &bucket,
        "household=h-broken.json",
        b"{\"household\": \"h-broken\", \"tim",
        now,
    );
    // 100 MB (sparse: it costs no disk), never read whole.
    put_status(&bucket, "household=h-huge.json", b"", now);
    let huge = bucket.join("status/household=h-huge.json");
    std::fs::File::options()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    common::fleet::set_stored(&huge, now);

    let config = dir.path().join("admin.toml");
    write_admin_config(&config, Target::S3(&server));
    let (code, text) = tokio::task::spawn_blocking(move || run_fleet(&config, &["--all"]))
        .await
        .unwrap();
    assert_eq!(code, ATTENTION, "{text}");
    assert_eq!(terminal_control(&text), None, "{text:?}");
    for household in ["h-ok", "h-escape", "h-liar", "h-2999", "h-broken", "h-huge"] {
        assert!(
            text.lines().any(|l| l.starts_with(household)),
            "{household} missing:\n{text}"
        );
    }
    let line = |household: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{household} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("h-liar").contains("claims to be household \"h-ok\""),
        "{text}"
    );
    assert!(line("h-2999").contains("stale"), "{text}");
    assert!(
        line("h-broken").contains("BROKEN: not a heartbeat"),
        "{text}"
    );
    assert!(line("h-huge").contains("BROKEN: 104857600 bytes"), "{text}");
    assert!(line("h-escape").contains("\\u{1b}[2J"), "{text}");
    assert!(line("h-ok").contains("healthy"), "{text}");
    assert!(
        text.starts_with("6 households: 1 healthy, 1 stale, "),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_in_status_and_a_closed_pipe_do_not_fail_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("bucket");
    let now = Utc::now();
    // Enough households that the JSON outgrows a pipe's buffer.
    for i in 0..300 {
        let id = format!("h-{i:04}");
        put_status(
            &target,
            &format!("household={id}.json"),
            &heartbeat(&id, now, "healthy", 1.0).to_json(),
            now,
        );
    }
    std::fs::create_dir_all(target.join("status/household=h-dir.json/nested")).unwrap();
    let config = dir.path().join("admin.toml");
    write_admin_config(&config, Target::Directory(&target));

    let (code, text) = run_fleet(&config, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("300 households: 300 healthy, 0 stale"),
        "{text}"
    );

    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["fleet", "--json", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap(); // then closed, like `head`
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_fleet_summary_counts_attention_order_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let bucket = server.root.join(BUCKET);
    let now = Utc::now();
    let put = |id: &str, body: &[u8], stored| {
        put_status(&bucket, &format!("household={id}.json"), body, stored)
    };
    for (id, led, share, stored) in [
        ("h-fine-1", "healthy", 1.0, now),
        ("h-fine-2", "healthy", 1.0, now),
        ("h-fine-3", "healthy", 1.0, now),
        ("h-stale", "healthy", 1.0, now - Duration::hours(5)),
        ("h-eagle", "EAGLE unreachable", 1.0, now),
        ("h-meter", "meter not reporting", 1.0, now),
        ("h-upload", "upload failing", 1.0, now),
        ("h-config", "config error", 1.0, now),
        ("h-storage", "storage failure", 1.0, now),
        ("h-half", "healthy", 0.5, now),
    ] {
        put(id, &heartbeat(id, now, led, share).to_json(), stored);
    }
    put("h-broken", b"\x00\x1b[31m not json", now);
    put(
        "h-liar",
        &heartbeat("h-fine-1", now, "healthy", 1.0).to_json(),
        now,
    );
    let config = dir.path().join("admin.toml");
    write_admin_config(&config, Target::S3(&server));

    let (code, text, report) = tokio::task::spawn_blocking(move || {
        let (code, text) = run_fleet(&config, &[]);
        let (json_code, json) = run_fleet(&config, &["--json"]);
        assert_eq!(json_code, code);
        (
            code,
            text,
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, ATTENTION, "{text}");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "12 households: 3 healthy, 1 stale, 1 EAGLE unreachable, 1 meter not reporting, \
         1 upload failing, 1 config error, 1 storage, 1 incomplete, 2 broken"
    );
    assert_eq!(lines.next().unwrap(), "9 need attention, worst first:");
    lines.next(); // column heads
    let order: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "h-broken",
            "h-liar",
            "h-stale",
            "h-config",
            "h-storage",
            "h-eagle",
            "h-meter",
            "h-upload",
            "h-half"
        ]
    );
    let half = text.lines().find(|l| l.starts_with("h-half")).unwrap();
    assert!(
        half.contains(" 50%  incomplete: 50% of the expected readings"),
        "{half}"
    );
    let stale = text.lines().find(|l| l.starts_with("h-stale")).unwrap();
    assert!(stale.contains("no heartbeat for 5 h"), "{stale}");

    assert_eq!(report["needing_attention"], 9);
    assert_eq!(report["summary"]["healthy"], 3);
    assert_eq!(report["summary"]["broken"], 2);
    assert_eq!(report["households"].as_array().unwrap().len(), 12);
    assert_eq!(report["households"][0]["household"], "h-broken");
}

/// Runs Debian's headless Chromium (installed by `.ci/run`) on `args`, with a fresh profile,
/// nothing fetched in the background, and a minute to finish.
fn chromium(profile: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new("chromium")
        .args(common::chromium::QUIET_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium is not installed: .ci/run installs it (apt-get install -y chromium)");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "chromium {args:?}: {}",
        output.status
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("bucket");
    let now = Utc::now();
    let put = |id: &str, body: &[u8], stored| {
        put_status(&target, &format!("household={id}.json"), body, stored)
    };
    for (id, led, share) in [
        ("h-fine", "healthy", 1.0),
        ("h-fine-2", "healthy", 1.0),
        ("h-half", "healthy", 0.6),
        ("h-eagle", "EAGLE unreachable", 1.0),
    ] {
        put(id, &heartbeat(id, now, led, share).to_json(), now);
    }
    put("h-markup", b"<script>alert(1)</script>", now);
    let config = dir.path().join("admin.toml");
    write_admin_config(&config, Target::Directory(&target));
    let page = dir.path().join("fleet.html");

    let (code, _) = run_fleet(&config, &["--html", page.to_str().unwrap()]);
    assert_eq!(code, ATTENTION);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "the page must hold no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from outside"
    );

    let url = format!("file://{}", page.display());
    let profile = dir.path().join("chromium-profile");
    let dom = String::from_utf8(chromium(&profile, &["--dump-dom", &url]).stdout).unwrap();
    assert!(dom.contains("id=\"tile-healthy\"><b>2</b>healthy"), "{dom}");
    assert!(
        dom.contains("id=\"tile-eagle-unreachable\"><b>1</b>EAGLE unreachable"),
        "{dom}"
    );
    assert!(
        dom.contains("id=\"tile-incomplete\"><b>1</b>incomplete"),
        "{dom}"
    );
    assert!(dom.contains("id=\"tile-broken\"><b>1</b>broken"), "{dom}");
    // Yesterday's cell of h-half (60%: 50–80%, orange) and of h-fine (100%, green).
    let yesterday = (now.date_naive() - Duration::days(1)).to_string();
    let cell = |home: &str| format!("data-home=\"{home}\" data-day=\"{yesterday}\"");
    assert!(
        dom.contains(&format!("class=\"cell c2\" {}", cell("h-half"))),
        "{dom}"
    );
    assert!(
        dom.contains(&format!("class=\"cell c4\" {}", cell("h-fine"))),
        "{dom}"
    );
    assert!(dom.contains(".c2{background:#fc8d59}"), "{dom}");

    let shot = dir.path().join("fleet.png");
    chromium(
        &profile,
        &[
            "--hide-scrollbars",
            "--window-size=1000,700",
            &format!("--screenshot={}", shot.display()),
            &url,
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // `FLEET_SCREENSHOT=docs/img/fleet-report.png` refreshes README's picture.
    if let Ok(keep) = std::env::var("FLEET_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_counts_readings_per_hour_against_what_the_meter_publishes() {
    use rainforest_logger::store::{SharedStore, Store};
    use rainforest_logger::upload::{Heartbeat, S3Sink, Uploader, DAYS, HOURS};
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let now: chrono::DateTime<Utc> = "2026-03-07T09:30:00Z".parse().unwrap();
    let mut store = Store::open(&dir.path().join("readings.db")).unwrap();
    // 08:00–09:00 polled every 6 s from a meter updating every 10 s: one reading per update,
    // 360; then 09:00–09:30 with half the updates missing (every 20 s): 90.
    let eight: chrono::DateTime<Utc> = "2026-03-07T08:00:00Z".parse().unwrap();
    let updates = (0..360).map(|i| eight + Duration::seconds(10 * i));
    let sparse = (0..90).map(|i| eight + Duration::hours(1) + Duration::seconds(20 * i));
    let readings: Vec<_> = updates
        .chain(sparse)
        .map(|t| common::one_kw_reading(t + Duration::seconds(2), t))
        .collect();
    store.insert_all(&readings).unwrap();
    store
        .insert(&common::one_kw_reading(
            eight - Duration::days(3),
            eight - Duration::days(3),
        ))
        .unwrap();

    let hour = std::time::Duration::from_secs(3600);
    let mut uploader = Uploader::new(
        S3Sink::new(&server.settings(hour)).unwrap(),
        SharedStore::new(store),
        common::FakeClock::new(now, true),
        common::s3::policy("h-count", "", hour),
    );
    uploader.cycle(false).await;
    let heartbeat: Heartbeat =
        serde_json::from_slice(&server.object("status/household=h-count.json")).unwrap();
    let c = heartbeat
        .completeness
        .expect("the heartbeat carries completeness");
    assert_eq!(c.meter_interval_s, Some(10));
    assert_eq!(c.expected_per_hour, 360, "a 10 s meter polled every 6 s");
    assert_eq!(c.per_hour.len(), HOURS);
    assert_eq!(&c.per_hour[HOURS - 2..], &[360, 90]);
    assert_eq!(c.per_hour.iter().sum::<u32>(), 450);
    assert_eq!(c.per_day.len(), DAYS);
    assert_eq!(c.per_day[DAYS - 3], 1, "the reading three days back");
}
