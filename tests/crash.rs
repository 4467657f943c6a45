//! SIGKILL mid-run: no committed reading is lost, no seq is ever reused.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rainforest_logger::reading::StoredReading;
use rainforest_logger::store::Store;

fn start_daemon(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon")
}

fn rows(db: &Path) -> Vec<StoredReading> {
    if !db.exists() {
        return Vec::new();
    }
    match Store::open(db) {
        Ok(store) => store.readings_after(0, 1_000_000).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

async fn wait_for_rows(db: &Path, at_least: usize) -> Vec<StoredReading> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = rows(db);
        if now.len() >= at_least {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "only {} rows after 30 s",
            now.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_committed_reading_and_never_reuses_a_seq() {
    let simulator = common::start_simulator(Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[household]
id = "crash-test"
[eagle]
host = "http://{}"
cloud_id = "0123ab"
install_code = "0123456789abcdef"
poll_interval = "1s"
[storage]
path = '{}'
[s3]
endpoint = 'file://{}'
[led]
backend = "none"
[clock]
require_sync = false
"#,
            simulator.local_addr(),
            db.display(),
            dir.path().join("bucket").display()
        ),
    )
    .unwrap();

    let mut committed: Vec<StoredReading> = Vec::new();
    // Kill at different points of the 1 s cycle: 0, 230, 460, 690, 920 ms after a commit was seen.
    for round in 0..5u64 {
        let mut daemon = start_daemon(&config);
        let before = wait_for_rows(&db, committed.len() + 2).await;
        tokio::time::sleep(Duration::from_millis(round * 230)).await;
        let seen = rows(&db);
        daemon.kill().unwrap(); // SIGKILL
        daemon.wait().unwrap();
        let after = rows(&db);
        // Everything seen committed before the kill is still there, unchanged.
        for row in seen.iter().chain(&before) {
            assert!(after.contains(row), "round {round}: seq {} lost", row.seq);
        }
        // Rows from earlier rounds are untouched; new seqs are all above the old maximum.
        assert_eq!(&after[..committed.len()], &committed[..], "round {round}");
        let old_max = committed.last().map_or(0, |r| r.seq);
        assert!(after[committed.len()..].iter().all(|r| r.seq > old_max));
        committed = after;
    }
    let seqs: Vec<i64> = committed.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "{seqs:?}");
    let times: HashSet<_> = committed.iter().map(|r| r.reading.meter_time).collect();
    assert_eq!(
        times.len(),
        committed.len(),
        "a reading was stored twice across restarts"
    );
    simulator.shutdown().await;
}
