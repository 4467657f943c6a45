//! The buffer's files on the card: who may read them, what happens to a damaged one, and
//! the readings held in memory while it refuses writes.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::binary::{write_config, Logger, Target};
use rainforest_logger::daemon::{Outcome, Recorder, MAX_WAITING_BYTES};
use rainforest_logger::eagle::MeterSample;
use rainforest_logger::reading::StoredReading;
use rainforest_logger::store::{Batching, SharedStore, Store};
use rainforest_logger::upload::{DirSink, Heartbeat, Uploader};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `rainforest-logger ARGS` under umask 000, the most permissive an operator's shell can have.
fn run_with_open_umask(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"));
    command.args(args);
    // SAFETY: only an async-signal-safe call between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    command.output().unwrap()
}

#[test]
fn the_buffer_and_its_wal_and_shm_are_private_whatever_the_umask() {
    // Regression (issue 12, item 10): created 0644 (0666 under umask 000).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state/readings.db");
    let config = dir.path().join("config.toml");
    let bucket = dir.path().join("bucket");
    write_config(
        &config,
        "127.0.0.1:9".parse().unwrap(),
        &db,
        Target::Directory(&bucket),
    );
    // `flush` opens (and so creates) the buffer like the daemon does.
    let output = run_with_open_umask(&["flush", "--config", config.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(mode(&db), 0o600, "{}", db.display());

    // A buffer left world-readable by an older build is tightened, -wal and -shm with it.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TEMP TABLE t(x);")
        .unwrap();
    let wal = dir.path().join("state/readings.db-wal");
    let shm = dir.path().join("state/readings.db-shm");
    // Keep the WAL and SHM in place (an open connection) while the logger opens the buffer.
    let tx = conn.transaction().unwrap();
    let output = run_with_open_umask(&["status", "--config", config.to_str().unwrap()]);
    drop(tx);
    assert!(output.status.success(), "{output:?}");
    for file in [&db, &wal, &shm] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

/// The `i`th of a run of new readings, each bloated by a 64 KiB rate label (an EAGLE's
/// overlong text) so that a few dozen fill the in-memory queue's byte bound.
fn bloated_sample(i: i64) -> MeterSample {
    MeterSample {
        // A value, so the recorder takes it for a reading (no values = meter not reporting).
        demand_kw: Some(rust_decimal::Decimal::new(1_250, 3)),
        rate_label: Some("x".repeat(64 * 1024)),
        ..common::empty_sample(Utc.timestamp_opt(1_772_875_800 + i * 6, 0).unwrap())
    }
}

/// The rows stored and the readings dropped by a new reading's outcome.
fn new_reading(outcome: Outcome) -> (Vec<StoredReading>, usize) {
    match outcome {
        Outcome::New {
            stored, dropped, ..
        } => (stored, dropped),
        Outcome::Repeat | Outcome::NoValues => panic!("each sample is a new reading"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_held_in_memory_are_bounded_by_bytes_not_only_by_count() {
    // Regression (issue 12, item 9): 10,000 readings of any size were held.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let recorder_store = Store::open(&db).unwrap();
    let mut recorder = Recorder::new(recorder_store, common::test_clock()).unwrap();
    // The buffer refuses every write from now on.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE readings")
        .unwrap();
    let mut dropped = 0;
    for i in 0..100 {
        let (stored, d) = new_reading(recorder.record(bloated_sample(i)).await);
        assert!(stored.is_empty());
        dropped += d;
    }
    assert!(recorder.waiting_bytes() <= MAX_WAITING_BYTES);
    assert!(recorder.waiting() < 100 && recorder.waiting() > 0);
    assert_eq!(dropped, 100 - recorder.waiting(), "every drop is counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_dropped_from_the_full_queue_are_in_dropped_rows_after_a_restart() {
    // Regression (issue 13): they never got a seq and no count reached `dropped_rows`, so the
    // gap they leave in the bucket was unexplained by `status` and the heartbeat.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let mut recorder = Recorder::new(Store::open(&db).unwrap(), common::test_clock()).unwrap();
    // The buffer refuses readings for a while, then takes them again.
    let outside = rusqlite::Connection::open(&db).unwrap();
    outside
        .execute_batch("ALTER TABLE readings RENAME TO parked")
        .unwrap();
    let mut dropped = 0;
    for i in 0..100 {
        dropped += new_reading(recorder.record(bloated_sample(i)).await).1;
    }
    assert!(dropped > 0, "the queue must have overflowed");
    outside
        .execute_batch("ALTER TABLE parked RENAME TO readings")
        .unwrap();
    // Queued behind a full queue, this one drops the oldest too; then all are written.
    let (stored, last_dropped) = new_reading(recorder.record(bloated_sample(100)).await);
    dropped += last_dropped;
    assert_eq!(stored.len(), 101 - dropped);
    drop(recorder);

    // A fresh connection, as after a restart: `status` and the heartbeat both count them.
    let report = Store::open(&db).unwrap().status().unwrap();
    assert_eq!(report.dropped_rows(), dropped as u64, "{:?}", report.events);
    let bucket = dir.path().join("bucket");
    let store = SharedStore::new(Store::open(&db).unwrap());
    let policy = common::s3::policy("h-0001", "study/", Duration::from_secs(3600));
    let mut uploader = Uploader::new(DirSink::new(&bucket), store, common::test_clock(), policy);
    assert!(uploader.cycle(false).await.error.is_none());
    assert_eq!(
        uploader.watch_status().borrow().dropped_rows,
        dropped as u64
    );
    let heartbeat = std::fs::read(bucket.join("study/status/household=h-0001.json")).unwrap();
    let heartbeat: Heartbeat = serde_json::from_slice(&heartbeat).unwrap();
    assert_eq!(heartbeat.dropped_rows, dropped as u64);
}

/// Waits up to 20 s for `logger`'s log to contain `text`.
async fn wait_for_log(logger: &Logger, text: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !logger.log().contains(text) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    logger.log()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_buffer_is_set_aside_loudly_and_logging_goes_on_in_a_new_one() {
    // Regression (issue 12, item 14): a damaged buffer stopped all logging.
    let dir = tempfile::tempdir().unwrap();
    let sim = common::start_simulator(std::time::Duration::from_secs(1)).await;
    let db = dir.path().join("readings.db");
    // A buffer whose header was overwritten (not SQLite any more), with its WAL.
    let garbage: Vec<u8> = (0..16_384u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();
    std::fs::write(dir.path().join("readings.db-wal"), b"frames").unwrap();
    let config = dir.path().join("config.toml");
    let bucket = dir.path().join("bucket");
    write_config(&config, sim.local_addr(), &db, Target::Directory(&bucket));
    let logger = Logger::start_logging(&config, "info");
    let log = wait_for_log(&logger, "status LED: storage failure").await;
    let moved: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("readings.db.damaged-"))
        .collect();
    let set_aside = moved
        .iter()
        .find(|p| !p.to_string_lossy().ends_with("-wal"))
        .expect("set aside")
        .clone();
    assert_eq!(std::fs::read(&set_aside).unwrap(), garbage, "never deleted");
    let wal = std::path::PathBuf::from(format!("{}-wal", set_aside.display()));
    assert_eq!(
        std::fs::read(&wal).unwrap(),
        b"frames",
        "its WAL went with it"
    );
    let name = set_aside
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        log.lines()
            .any(|l| l.contains("was damaged") && l.contains(&name)),
        "{log}"
    );
    // Logging goes on in the new buffer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while Store::open(&db).unwrap().status().unwrap().readings_stored == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing stored:\n{}",
            logger.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The heartbeat says so.
    let heartbeat = bucket.join(format!("status/household={}.json", common::rig::HOUSEHOLD));
    common::rig::wait_until("a heartbeat", || heartbeat.exists()).await;
    let beat: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&heartbeat).unwrap()).unwrap();
    let field = beat["buffer_set_aside"].as_str().unwrap_or_default();
    assert!(field.contains(&name), "{beat}");
    logger.stop();
    // So does `status`, after the daemon stopped too.
    let status = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["status", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("set aside") && l.contains(&name)),
        "{out}"
    );
}

/// A poll tick commits a quiet meter's journaled reading once the interval is up, and not
/// before (the tick skips the store's thread until then).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_commits_a_quiet_meter_s_reading_once_the_interval_is_up_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let interval = Duration::from_millis(300);
    let mut store = Store::open(&db).unwrap();
    store
        .commit_every(Some(Batching {
            sync_every: interval,
            fold_every: interval,
            upload_period: Duration::from_secs(3600),
        }))
        .unwrap();
    let mut recorder = Recorder::new(store, common::test_clock()).unwrap();
    let committed = || {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM readings", [], |row| {
                row.get::<_, i64>(0)
            })
            .unwrap()
    };
    let sample = MeterSample {
        demand_kw: Some(rust_decimal::Decimal::new(1_250, 3)),
        ..common::empty_sample(Utc.timestamp_opt(1_772_875_800, 0).unwrap())
    };
    let started = std::time::Instant::now();
    let (stored, _) = new_reading(recorder.record(sample).await);
    assert_eq!(stored.len(), 1, "journaled, with its seq");
    recorder.retry_waiting().await;
    if started.elapsed() < interval {
        assert_eq!(
            recorder.uncommitted(),
            1,
            "a tick before the interval is up"
        );
        assert_eq!(committed(), 0);
    }
    // The meter stays quiet: only ticks come.
    tokio::time::sleep(interval).await;
    recorder.retry_waiting().await;
    assert_eq!(recorder.uncommitted(), 0, "committed by the tick");
    assert_eq!(committed(), 1);
}
