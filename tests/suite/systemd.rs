//! The service's side of systemd: `READY=1`, periodic `WATCHDOG=1` only while the poll loop
//! ticks, `STATUS=`, `STOPPING=1` and a clean exit on SIGTERM; and `run` with a broken
//! config staying up to show it on the LED. The tests listen on the `NOTIFY_SOCKET`
//! themselves, as systemd would.

use crate::common;

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{fake_act_led, rig};
use rainforest_eagle_sim::SimHandle;
use rainforest_logger::daemon::MeterSource;
use rainforest_logger::eagle::{EagleError, MeterSample};
use rainforest_logger::health::{HealthThresholds, LedState};
use rainforest_logger::led::Led;
use rainforest_logger::logger::{Indicator, Logger, Notifier, Parts, ServiceTiming};
use rainforest_logger::store::Store;
use rainforest_logger::upload::DirSink;
use rust_decimal::Decimal;
use tokio::net::UnixDatagram;
use tokio::time::Instant;

/// Every datagram that arrives within `length`.
async fn collect(socket: &UnixDatagram, length: Duration) -> Vec<String> {
    let mut messages = Vec::new();
    let deadline = Instant::now() + length;
    let mut buffer = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
        messages.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
    }
    messages
}

/// Waits up to `limit` for a datagram containing `needle`; returns everything received.
async fn expect_message(socket: &UnixDatagram, needle: &str, limit: Duration) -> Vec<String> {
    let mut messages = Vec::new();
    let deadline = Instant::now() + limit;
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
            Ok(Ok(n)) => {
                let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let found = message.contains(needle);
                messages.push(message);
                if found {
                    return messages;
                }
            }
            _ => panic!("no {needle:?} within {limit:?}; got {messages:?}"),
        }
    }
}

/// Waits up to `limit` for READY=1 sent with `status`, then listens for `listen` and checks
/// that at least `pings` watchdog pings came; `log` says what the service wrote, on failure.
async fn expect_ready_and_pinging(
    socket: &UnixDatagram,
    limit: Duration,
    status: &str,
    (listen, pings): (Duration, usize),
    log: impl Fn() -> String,
) {
    let start = expect_message(socket, "READY=1", limit).await;
    assert!(
        start.iter().any(|m| m.contains(status)),
        "{start:?}\n{}",
        log()
    );
    let alive = collect(socket, listen).await;
    assert!(watchdogs(&alive) >= pings, "{alive:?}");
}

fn watchdogs(messages: &[String]) -> usize {
    messages.iter().filter(|m| *m == "WATCHDOG=1").count()
}

/// A meter with a new reading on every poll until `stalled` is set; from then on a poll never
/// returns (a hung request, as the watchdog exists for).
struct StallingMeter {
    polls: i64,
    stalled: Arc<AtomicBool>,
}

impl MeterSource for StallingMeter {
    async fn poll(&mut self) -> Result<MeterSample, EagleError> {
        if self.stalled.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        self.polls += 1;
        Ok(MeterSample {
            demand_kw: Some(Decimal::new(1234, 3)),
            delivered_kwh: Some(Decimal::new(100 + self.polls, 0)),
            received_kwh: Some(Decimal::ZERO),
            ..common::empty_sample(
                DateTime::<Utc>::from_timestamp(1_700_000_000 + self.polls, 0).unwrap(),
            )
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchdog_pings_only_while_the_poll_loop_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    // As systemd sets it for WatchdogSec=200ms: pings every 100 ms.
    let env: HashMap<&str, String> = HashMap::from([
        ("NOTIFY_SOCKET", socket_path.display().to_string()),
        ("WATCHDOG_USEC", "200000".to_string()),
    ]);
    let notifier = Notifier::from_env(&|name| env.get(name).cloned());
    let stalled = Arc::new(AtomicBool::new(false));
    let meter = StallingMeter {
        polls: 0,
        stalled: Arc::clone(&stalled),
    };
    // The meter is the test's: the settings' EAGLE is never asked.
    let settings = rig::settings("notify-test", "http://127.0.0.1:9", dir.path());
    let daemon = common::test_daemon(meter, &settings.storage.path, Duration::from_millis(100));
    let bucket = DirSink::new(&dir.path().join("bucket"));
    let mut parts = Parts::new(settings, daemon, bucket, common::test_clock());
    parts.timing = ServiceTiming {
        thresholds: HealthThresholds::default(),
        stall_limit: Duration::from_millis(400),
    };
    let timing = parts.timing;
    let led = Led::start(&parts.settings.led, LedState::Healthy);
    parts.indicator = Some(Indicator::new(led, notifier));
    let logger = Logger::assemble(parts).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(logger.run(async {
        let _ = stopped.await;
    }));

    expect_ready_and_pinging(
        &socket,
        Duration::from_secs(2),
        "STATUS=LED healthy",
        (Duration::from_millis(800), 5),
        String::new,
    )
    .await;

    stalled.store(true, Ordering::SeqCst);
    // Pings may go on until the stall limit has passed since the last tick.
    let _ = collect(&socket, timing.stall_limit + Duration::from_millis(300)).await;
    let hung = collect(&socket, Duration::from_millis(1_000)).await;
    assert_eq!(watchdogs(&hung), 0, "pinged while hung: {hung:?}");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), service)
        .await
        .expect("a hung poll does not block the shutdown")
        .unwrap();
}

fn config_text(eagle: SocketAddr, install_code: &str, db: &Path, led: &Path) -> String {
    format!(
        r#"
[household]
id = "notify-test"
[eagle]
host = "http://{eagle}"
cloud_id = "{cloud_id}"
install_code = "{install_code}"
poll_interval = "1s"
[storage]
path = '{db}'
commit_interval = "1s"
[s3]
endpoint = 'file://{bucket}'
[led]
backend = "sysfs"
sysfs_path = '{led}'
healthy = "on"
[clock]
require_sync = false
"#,
        cloud_id = common::CLOUD_ID,
        db = db.display(),
        bucket = db.with_file_name("bucket").display(),
        led = led.display(),
    )
}

/// The binary, `run` with `config`, systemd's variables set; stderr to `log`.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    fn start(config: &Path, socket: &Path, log: PathBuf) -> Service {
        let child = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .env("NOTIFY_SOCKET", socket)
            .env("WATCHDOG_USEC", "400000")
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the daemon");
        Service { child, log }
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGTERM, then the exit status, which must come within `limit`.
    async fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: plain kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running {limit:?} after SIGTERM:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The binary run as systemd runs it against the simulator, with a fake LED: its files and
/// the notify socket it talks to.
struct UnderSystemd {
    // First, so the daemon is stopped before its directory goes.
    service: Service,
    socket: UnixDatagram,
    config: PathBuf,
    db: PathBuf,
    led: PathBuf,
    sim: SimHandle,
    _dir: tempfile::TempDir,
}

impl UnderSystemd {
    /// Started from a config with `install_code`.
    async fn start(install_code: &str) -> UnderSystemd {
        let sim = common::start_simulator(Duration::from_millis(500)).await;
        let dir = tempfile::tempdir().unwrap();
        let led = fake_act_led(dir.path());
        let db = dir.path().join("readings.db");
        let config = dir.path().join("config.toml");
        fs::write(
            &config,
            config_text(sim.local_addr(), install_code, &db, &led),
        )
        .unwrap();
        let socket_path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        let service = Service::start(&config, &socket_path, dir.path().join("stderr"));
        UnderSystemd {
            service,
            socket,
            config,
            db,
            led,
            sim,
            _dir: dir,
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_notifies_systemd_and_stops_cleanly_on_sigterm() {
    let UnderSystemd {
        _dir,
        mut service,
        socket,
        db,
        led,
        sim,
        config: _,
    } = UnderSystemd::start(common::INSTALL_CODE).await;

    expect_ready_and_pinging(
        &socket,
        Duration::from_secs(10),
        "STATUS=LED healthy",
        (Duration::from_millis(1_500), 4),
        || service.log(),
    )
    .await;
    assert_eq!(fs::read_to_string(led.join("trigger")).unwrap(), "none");
    assert_eq!(fs::read_to_string(led.join("brightness")).unwrap(), "255");

    let status = service.terminate(Duration::from_secs(5)).await;
    assert!(status.success(), "{status}\n{}", service.log());
    let last = collect(&socket, Duration::from_millis(200)).await;
    assert!(last.iter().any(|m| m.starts_with("STOPPING=1")), "{last:?}");
    // Readings were committed, and the LED is the kernel's again.
    assert!(Store::open(&db).unwrap().status().unwrap().readings_stored >= 1);
    assert_eq!(fs::read_to_string(led.join("trigger")).unwrap(), "mmc0");
    assert_eq!(fs::read_to_string(led.join("brightness")).unwrap(), "0");
    assert!(service.log().contains("stopped"), "{}", service.log());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_config_shows_config_error_until_the_file_is_fixed() {
    let UnderSystemd {
        _dir,
        mut service,
        socket,
        config,
        db,
        led,
        sim,
    } = UnderSystemd::start("not-hex").await;

    // Up (READY, so systemd does not restart it), telling what is wrong, and alive.
    expect_ready_and_pinging(
        &socket,
        Duration::from_secs(10),
        "STATUS=LED config error",
        (Duration::from_millis(1_500), 4),
        || service.log(),
    )
    .await;
    assert!(service.is_running(), "{}", service.log());
    assert!(
        service.log().contains("eagle.install_code"),
        "{}",
        service.log()
    );
    assert!(!db.exists(), "no buffer before the config is valid");
    // The LED from the file's [led] section flickers: both levels within half a second.
    assert_eq!(fs::read_to_string(led.join("trigger")).unwrap(), "none");
    let mut levels = std::collections::HashSet::new();
    for _ in 0..25 {
        // A regular file can be read between truncate and write (sysfs cannot): skip "".
        let level = fs::read_to_string(led.join("brightness")).unwrap();
        if !level.is_empty() {
            levels.insert(level);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(levels.len(), 2, "{levels:?}");

    fs::write(
        &config,
        config_text(sim.local_addr(), common::INSTALL_CODE, &db, &led),
    )
    .unwrap();
    expect_message(&socket, "STATUS=LED healthy", Duration::from_secs(5)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !db.exists() || Store::open(&db).unwrap().status().unwrap().readings_stored == 0 {
        assert!(Instant::now() < deadline, "no reading:\n{}", service.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let status = service.terminate(Duration::from_secs(5)).await;
    assert!(status.success(), "{status}\n{}", service.log());
    assert_eq!(fs::read_to_string(led.join("trigger")).unwrap(), "mmc0");
    sim.shutdown().await;
}
