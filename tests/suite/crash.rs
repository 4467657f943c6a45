//! SIGKILL mid-run: no committed reading is lost, no seq is ever reused; with batched commits,
//! no reading journaled between two commits is lost either.

use crate::common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest;

use common::binary::{status, write_config_timed, Logger, Target};
use rainforest_eagle_sim::SimHandle;
use rainforest_logger::reading::StoredReading;
use rainforest_logger::store::Store;

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
    let what = format!("{at_least} rows");
    common::wait_for(&what, || rows(db), |rows| rows.len() >= at_least).await
}

/// A simulator (its meter updating every 500 ms), and in `dir` a config polling it every
/// second into a buffer, committing every `commit_interval`, journaling in `journal_dir`
/// (`None`: beside the buffer), uploading hourly periods (none completes in a test, as a rare
/// upload would change the rows compared) to a directory beside the buffer: the simulator,
/// the buffer's path and the config's.
async fn simulator_and_config(
    dir: &Path,
    commit_interval: &str,
    journal_dir: Option<&Path>,
) -> (SimHandle, PathBuf, PathBuf) {
    let simulator = common::start_simulator(Duration::from_millis(500)).await;
    let db = dir.join("readings.db");
    let config = dir.join("config.toml");
    let bucket = dir.join("bucket");
    let host = format!("http://{}", simulator.local_addr());
    let target = Target::Directory(&bucket);
    write_config_timed(
        &config,
        &host,
        (&db, journal_dir),
        target,
        commit_interval,
        "1h",
    );
    (simulator, db, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_committed_reading_and_never_reuses_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let (simulator, db, config) = simulator_and_config(dir.path(), "0s", None).await;

    let mut committed: Vec<StoredReading> = Vec::new();
    // Kill at different points of the 1 s cycle: 0, 230, 460, 690, 920 ms after a commit was seen.
    for round in 0..5u64 {
        let daemon = Logger::start(&config);
        let before = wait_for_rows(&db, committed.len() + 2).await;
        tokio::time::sleep(Duration::from_millis(round * 230)).await;
        let seen = rows(&db);
        daemon.kill(); // SIGKILL
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

/// The whole records of the journal at `journal` as (seq, meter_time), decoded from its
/// documented format (`src/store/journal.rs`): `length (u32 LE) | 4-byte check (of SHA-256) |
/// payload` per reading, the compact payload's tag byte `1` followed by seq, time, monotonic
/// time and meter time (8 bytes each, LE), up to a record that is short or fails its check, or
/// where the seqs stop following on one from the other (older records not yet written over).
fn journaled(journal: &Path) -> Vec<(i64, i64)> {
    let bytes = std::fs::read(journal).unwrap_or_default();
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes(header[..4].try_into().unwrap()) as usize;
        if len == 0 {
            break; // the zeros a journal on the card is written full of
        }
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break; // torn by the kill
        };
        if sha2::Sha256::digest(payload)[..4] != header[4..] {
            break; // torn, or older records not yet written over
        }
        assert_eq!(payload[0], 1, "a compact record");
        let number = |at: usize| i64::from_le_bytes(payload[at..at + 8].try_into().unwrap());
        let seq = number(1);
        if records.last().is_some_and(|(last, _)| seq != last + 1) {
            break;
        }
        records.push((seq, number(25)));
        at += 8 + len;
    }
    records
}

/// Waits until the journal at `journal` holds at least `at_least` readings with a seq above
/// `after` (so a starting daemon has replaced what an earlier run left), and returns all it
/// holds.
async fn wait_for_journaled(journal: &Path, after: i64, at_least: usize) -> Vec<(i64, i64)> {
    let what = format!("{at_least} journaled after seq {after}");
    let new = |records: &Vec<(i64, i64)>| records.iter().filter(|(seq, _)| *seq > after).count();
    common::wait_for(
        &what,
        || journaled(journal),
        |records| new(records) >= at_least,
    )
    .await
}

/// The (seq, meter_time) of every committed row.
fn committed_keys(db: &Path) -> Vec<(i64, i64)> {
    rows(db)
        .iter()
        .map(|r| (r.seq, r.reading.meter_time.unwrap().timestamp()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_commits_loses_no_journaled_reading() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("readings.db.journal");
    kills_between_commits(dir.path(), None, &journal).await;
}

/// As the shipped config has it (`storage.journal_dir`, /run on a box): the journal in a
/// directory of its own, made (mode 0700) by the first start, replayed from there after each
/// SIGKILL; `status` counts the readings waiting there; nothing is journaled beside the buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_reading_journaled_in_another_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let journal_dir = elsewhere.path().join("run/rainforest-logger");
    let journal = journal_dir.join("readings.db.journal");
    kills_between_commits(dir.path(), Some(&journal_dir), &journal).await;
    let mode = std::fs::metadata(&journal_dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "the journal's directory is private");
    assert!(!dir.path().join("readings.db.journal").exists());
}

/// Three runs killed (SIGKILL) between two commits, then one stopped cleanly, with the buffer
/// in `dir` and its journal (at `journal`) in `journal_dir`: no journaled reading is lost,
/// none stored twice, no seq reused; while a run journals, `status` counts what it journaled.
async fn kills_between_commits(dir: &Path, journal_dir: Option<&Path>, journal: &Path) {
    // An hour between commits: every reading of the test is in the uncommitted window.
    let (simulator, db, config) = simulator_and_config(dir, "1h", journal_dir).await;

    let mut taken: Vec<(i64, i64)> = Vec::new();
    for round in 0..3 {
        let daemon = Logger::start(&config);
        // A start commits what the previous run journaled, then journals anew.
        let last = taken.last().map_or(0, |r| r.0);
        let records = wait_for_journaled(journal, last, 3).await;
        let committed = committed_keys(&db);
        assert_eq!(
            committed, taken,
            "round {round}: the start committed the journal"
        );
        assert!(
            records.iter().all(|(seq, _)| *seq > last),
            "round {round}: a seq was reused or the journal kept: {records:?} after {taken:?}"
        );
        let in_journal = status(&config)
            .lines()
            .find_map(|line| line.strip_prefix("readings stored  "))
            .and_then(|rest| rest.split_once(" (")?.1.split_once(" in the journal"))
            .map(|(count, _)| count.parse::<usize>().unwrap());
        assert!(
            in_journal >= Some(records.len()),
            "round {round}: status counted {in_journal:?} in the journal, {} were there",
            records.len()
        );
        daemon.kill(); // SIGKILL, with readings only in the journal
        assert_eq!(
            committed_keys(&db),
            taken,
            "round {round}: nothing new committed"
        );
        taken.extend(journaled(journal));
    }
    // A clean stop (SIGTERM, as systemd stops it) commits the journal and empties it.
    let daemon = Logger::start(&config);
    let stopping = wait_for_journaled(journal, taken.last().unwrap().0, 1).await;
    daemon.stop();
    let committed = committed_keys(&db);
    let newest = committed.last().unwrap().0;
    assert!(
        journaled(journal).iter().all(|(seq, _)| *seq <= newest),
        "the clean stop left readings in the journal"
    );
    assert_eq!(
        &committed[..taken.len()],
        &taken[..],
        "a journaled reading was lost"
    );
    assert!(committed.len() >= taken.len() + stopping.len());
    assert!(
        committed.windows(2).all(|w| w[1].0 > w[0].0),
        "{committed:?}"
    );
    let times: HashSet<i64> = committed.iter().map(|r| r.1).collect();
    assert_eq!(times.len(), committed.len(), "a reading was stored twice");
    simulator.shutdown().await;
}

/// A power cut as the shipped config meets it, at the file layer: the journal on "/run" (a
/// directory of its own) is lost, the card keeps what was synced to the window
/// (`PATH.window`, every `commit_interval`: here 1 s) while the database is committed only
/// hourly. The next start commits the window's readings: none synced is lost, none stored
/// twice, and what follows continues above them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_keeps_every_reading_synced_to_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let (simulator, db, config) = simulator_and_config(dir.path(), "1s", Some(&run)).await;
    let text = std::fs::read_to_string(&config).unwrap();
    let hourly = text.replace("database_interval = \"1s\"", "database_interval = \"1h\"");
    assert_ne!(text, hourly, "the config sets database_interval");
    std::fs::write(&config, hourly).unwrap();
    let window = dir.path().join("readings.db.window");

    let daemon = Logger::start(&config);
    let synced = common::wait_for(
        "4 readings synced to the window",
        || journaled(&window),
        |records| records.len() >= 4,
    )
    .await;
    daemon.kill();
    let synced_now = journaled(&window);
    assert!(synced_now.starts_with(&synced), "{synced_now:?}");
    // In the database only if an hour ended meanwhile (a fold): the window holds the rest.
    let in_database = committed_keys(&db);
    std::fs::remove_dir_all(&run).unwrap(); // the power cut: /run is gone

    let daemon = Logger::start(&config);
    let newest = synced_now.last().unwrap().0;
    common::wait_for(
        "the window's readings in the database",
        || committed_keys(&db),
        |committed| committed.iter().any(|(seq, _)| *seq >= newest),
    )
    .await;
    let next = wait_for_journaled(&window, newest, 1).await;
    daemon.stop();
    let committed = committed_keys(&db);
    for record in in_database.iter().chain(&synced_now) {
        assert!(committed.contains(record), "{record:?} lost: {committed:?}");
    }
    assert!(next.iter().all(|(seq, _)| *seq > newest), "{next:?}");
    assert!(committed.windows(2).all(|w| w[1].0 > w[0].0));
    let times: HashSet<i64> = committed.iter().map(|r| r.1).collect();
    assert_eq!(times.len(), committed.len(), "a reading was stored twice");
    simulator.shutdown().await;
}
