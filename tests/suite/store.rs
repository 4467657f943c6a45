//! Integration tests of the SQLite buffer through its public API; raw `rusqlite` connections
//! stand in for outside actors (a pruner, another program, a damaged card).

use crate::common;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use rainforest_logger::reading::{ClockStamp, Reading, StoredReading};
use rainforest_logger::store::{
    Counter, EventDelta, Store, StoreError, APPLICATION_ID, SCHEMA_VERSION,
};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).unwrap()
}

/// A reading with every field set.
fn full(i: i64) -> Reading {
    Reading {
        meter: "0x0013500100a1b2c3".into(),
        time: at(1_767_225_600_123 + i * 6_000),
        meter_time: Some(Utc.timestamp_opt(1_767_225_598 + i * 6, 0).unwrap()),
        demand_kw: Some(dec("-3.712")),
        delivered_kwh: Some(dec("2853.662")),
        received_kwh: Some(dec("91937.25")),
        price: Some(dec("0.1250")),
        currency: Some("USD".into()),
        rate_label: Some("Été ⚡ 峰時".into()),
        tier: Some(2),
        clock: ClockStamp {
            synced: true,
            boot_id: "4f1c2a9e-8d3b-4c51-9a0e-1b2c3d4e5f60".into(),
            monotonic_ms: 86_400_000 + i as u64,
        },
    }
}

/// A reading with every optional field absent.
fn sparse(i: i64) -> Reading {
    Reading {
        meter: "legacy-mac".into(),
        clock: ClockStamp {
            synced: false,
            boot_id: "b".into(),
            monotonic_ms: 0,
        },
        ..common::empty_reading(at(1_000 + i))
    }
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("readings.db")
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Opens `path`, expecting a refusal, and checks the refusal changed no byte of the file.
fn refuse(path: &Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = Store::open(path).expect_err("open must refuse this file");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "refusal modified the file"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    err
}

/// A real buffer of `rows` readings in `dir`, closed, spanning many pages: its path and the
/// bytes of its file.
fn closed_buffer(dir: &tempfile::TempDir, rows: i64) -> (PathBuf, Vec<u8>) {
    let path = db_path(dir);
    let mut store = Store::open(&path).unwrap();
    for i in 0..rows {
        store.insert(&full(i)).unwrap();
    }
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

#[test]
fn round_trip_keeps_every_field_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let mut big = full(1);
    big.delivered_kwh = Some(dec("4294963.584"));
    big.demand_kw = Some(dec("1.500"));
    big.tier = Some(-1);
    big.clock.monotonic_ms = i64::MAX as u64;
    let readings = [full(0), big, sparse(2)];
    let mut seqs = Vec::new();
    for r in &readings {
        seqs.push(store.insert(r).unwrap());
    }
    assert_eq!(seqs, [1, 2, 3]);

    let back = store.readings_after(0, 10).unwrap();
    let expected: Vec<StoredReading> = readings
        .iter()
        .zip(&seqs)
        .map(|(r, &seq)| StoredReading {
            seq,
            reading: r.clone(),
            uploaded: false,
        })
        .collect();
    assert_eq!(back, expected);
    // Decimal equality ignores scale; the reported digits must survive too.
    let text = |d: Option<Decimal>| d.map(|d| d.to_string());
    assert_eq!(
        text(back[0].reading.delivered_kwh).as_deref(),
        Some("2853.662")
    );
    assert_eq!(text(back[0].reading.demand_kw).as_deref(), Some("-3.712"));
    assert_eq!(
        text(back[0].reading.received_kwh).as_deref(),
        Some("91937.25")
    );
    assert_eq!(text(back[0].reading.price).as_deref(), Some("0.1250"));
    assert_eq!(
        text(back[1].reading.delivered_kwh).as_deref(),
        Some("4294963.584")
    );
    assert_eq!(text(back[1].reading.demand_kw).as_deref(), Some("1.500"));

    assert_eq!(store.latest().unwrap(), expected.last().cloned());
}

#[test]
fn times_are_kept_to_the_stored_precision() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let mut r = full(0);
    r.time = Utc.timestamp_opt(1_767_225_600, 123_456_789).unwrap();
    r.meter_time = Some(Utc.timestamp_opt(1_767_225_598, 999_000_000).unwrap());
    store.insert(&r).unwrap();
    let back = store.latest().unwrap().unwrap().reading;
    assert_eq!(back.time, at(1_767_225_600_123));
    assert_eq!(
        back.meter_time,
        Some(Utc.timestamp_opt(1_767_225_598, 0).unwrap())
    );
}

#[test]
fn readings_after_pages_in_seq_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    assert_eq!(store.latest().unwrap(), None);
    assert!(store.readings_after(0, 10).unwrap().is_empty());
    for i in 0..5 {
        store.insert(&sparse(i)).unwrap();
    }
    let seqs = |v: Vec<StoredReading>| v.into_iter().map(|s| s.seq).collect::<Vec<_>>();
    assert_eq!(seqs(store.readings_after(0, 2).unwrap()), [1, 2]);
    assert_eq!(seqs(store.readings_after(2, 2).unwrap()), [3, 4]);
    assert_eq!(seqs(store.readings_after(4, 2).unwrap()), [5]);
    assert_eq!(
        seqs(store.readings_after(1, usize::MAX).unwrap()),
        [2, 3, 4, 5]
    );
    assert!(store.readings_after(5, 2).unwrap().is_empty());
    assert!(store.readings_after(0, 0).unwrap().is_empty());
}

#[test]
fn seq_is_never_reused_after_a_prune() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut store = Store::open(&path).unwrap();
    for i in 0..3 {
        store.insert(&sparse(i)).unwrap();
    }
    raw(&path)
        .execute("DELETE FROM readings WHERE seq = 3", [])
        .unwrap();
    drop(store);

    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.latest().unwrap().unwrap().seq, 2);
    assert_eq!(store.insert(&sparse(3)).unwrap(), 4);

    // Even an emptied table continues the sequence.
    raw(&path).execute("DELETE FROM readings", []).unwrap();
    assert_eq!(store.insert(&sparse(4)).unwrap(), 5);
}

#[test]
fn last_delivered_skips_nulls_and_other_meters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let meter = full(0).meter;
    assert_eq!(store.last_delivered(&meter).unwrap(), None);

    store.insert(&full(0)).unwrap();
    let mut newer = full(1);
    newer.delivered_kwh = Some(dec("2853.700"));
    store.insert(&newer).unwrap();
    let mut gap = full(2);
    gap.delivered_kwh = None;
    store.insert(&gap).unwrap();
    let mut other = sparse(3);
    other.delivered_kwh = Some(dec("1"));
    store.insert(&other).unwrap();

    let last = store.last_delivered(&meter).unwrap().unwrap();
    assert_eq!(last.to_string(), "2853.700");
    assert_eq!(store.last_delivered("legacy-mac").unwrap(), Some(dec("1")));
    assert_eq!(store.last_delivered("0xffffffffffffffff").unwrap(), None);
}

#[test]
fn the_days_first_summation_skips_earlier_rows_empty_summations_and_other_meters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let meter = full(0).meter;
    // full(i) is taken at i × 6 s after the base time; the day starts at full(2).
    let start = full(2).time;
    assert_eq!(store.first_summation_since(&meter, start).unwrap(), None);
    store.insert(&full(0)).unwrap();
    store.insert(&full(1)).unwrap();
    let mut empty = full(2);
    (empty.delivered_kwh, empty.received_kwh) = (None, None);
    store.insert(&empty).unwrap();
    let mut other_meter = full(3);
    other_meter.meter = "0xffffffffffffffff".into();
    store.insert(&other_meter).unwrap();
    // Only received: still a summation the day's "to the grid" counts from.
    let mut received_only = full(4);
    received_only.delivered_kwh = None;
    store.insert(&received_only).unwrap();
    store.insert(&full(5)).unwrap();

    let first = store.first_summation_since(&meter, start).unwrap().unwrap();
    assert_eq!(first.seq, 5);
    assert_eq!(first.reading, received_only);
    let other = store
        .first_summation_since("0xffffffffffffffff", start)
        .unwrap()
        .unwrap();
    assert_eq!(other.seq, 4);
    assert_eq!(
        store.first_summation_since(&meter, full(6).time).unwrap(),
        None
    );
}

#[test]
fn reopen_preserves_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/sub/dir/readings.db");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    for i in 0..4 {
        store.insert(&full(i)).unwrap();
    }
    store
        .record_events(&[EventDelta {
            name: "repeat_poll".into(),
            count: 7,
            last_message: Some("LastContact unchanged".into()),
            at: at(5_000),
        }])
        .unwrap();
    let rows = store.readings_after(0, 100).unwrap();
    let mut status = store.status().unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.readings_after(0, 100).unwrap(), rows);
    let mut again = store.status().unwrap();
    // The WAL is checkpointed into the file on close, so only the split of bytes may differ.
    status.file_size = 0;
    again.file_size = 0;
    assert_eq!(again, status);
}

#[test]
fn second_open_reads_while_the_first_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut daemon = Store::open(&path).unwrap();
    daemon.insert(&full(0)).unwrap();

    let status_reader = Store::open(&path).unwrap();
    assert_eq!(status_reader.latest().unwrap().unwrap().seq, 1);
    assert_eq!(daemon.insert(&full(1)).unwrap(), 2);
    let report = status_reader.status().unwrap();
    assert_eq!(report.readings_stored, 2);
    assert_eq!(report.last_reading.unwrap().seq, 2);

    drop(status_reader);
    assert_eq!(daemon.insert(&full(2)).unwrap(), 3);
}

#[test]
fn fresh_file_gets_latest_schema_and_reopening_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(Store::open(&path).unwrap());
    {
        let conn = raw(&path);
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(id, APPLICATION_ID);
    }
    let before = std::fs::read(&path).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn durability_settings_persist_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(Store::open(&path).unwrap());
    let mode: String = raw(&path)
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn empty_file_and_empty_database_are_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.db");
    std::fs::write(&zero, b"").unwrap();
    Store::open(&zero).unwrap().insert(&sparse(0)).unwrap();

    let empty = dir.path().join("empty.db");
    raw(&empty)
        .execute_batch("CREATE TABLE t (x); DROP TABLE t;")
        .unwrap();
    assert!(std::fs::metadata(&empty).unwrap().len() > 0);
    Store::open(&empty).unwrap().insert(&sparse(0)).unwrap();
}

#[test]
fn random_bytes_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..10_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&path, bytes).unwrap();
    assert!(matches!(refuse(&path), StoreError::NotADatabase { .. }));

    std::fs::write(&path, b"household = \"h-0001\"\n").unwrap();
    assert!(matches!(refuse(&path), StoreError::NotADatabase { .. }));
}

#[test]
fn truncated_buffer_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, whole) = closed_buffer(&dir, 500);
    assert!(whole.len() > 8 * 4096, "the test needs a multi-page file");

    // Cutting off part of the last page leaves SQLite able to open and read the newest row;
    // only the header-versus-length check notices.
    for len in [whole.len() - 100, whole.len() / 2, 4096, 50] {
        std::fs::write(&path, &whole[..len]).unwrap();
        let err = refuse(&path);
        assert!(matches!(err, StoreError::Damaged { .. }), "{len}: {err}");
    }
    std::fs::write(&path, &whole[..10]).unwrap();
    assert!(matches!(refuse(&path), StoreError::NotADatabase { .. }));
}

#[test]
fn garbled_schema_page_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut bytes) = closed_buffer(&dir, 50);
    bytes[100..4096].fill(0xa5);
    std::fs::write(&path, &bytes).unwrap();
    let err = refuse(&path);
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
}

#[test]
fn foreign_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();

    let plain = dir.path().join("plain.db");
    raw(&plain)
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let err = refuse(&plain);
    assert!(
        matches!(
            err,
            StoreError::Foreign {
                application_id: 0,
                ..
            }
        ),
        "{err}"
    );

    let other_app = dir.path().join("other.db");
    raw(&other_app)
        .execute_batch("PRAGMA application_id = 1234; CREATE TABLE t (x); DROP TABLE t;")
        .unwrap();
    assert!(matches!(
        refuse(&other_app),
        StoreError::Foreign {
            application_id: 1234,
            ..
        }
    ));

    // A WAL-mode database in use by its owner, its latest data still only in the WAL.
    let live = dir.path().join("live.db");
    let owner = raw(&live);
    owner
        .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let wal = dir.path().join("live.db-wal");
    let wal_before = std::fs::read(&wal).unwrap();
    assert!(!wal_before.is_empty());
    assert!(matches!(refuse(&live), StoreError::Foreign { .. }));
    assert_eq!(std::fs::read(&wal).unwrap(), wal_before);
    drop(owner);
}

#[test]
fn newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = closed_buffer(&dir, 3);
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = refuse(&path);
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
}

#[test]
fn tampered_row_is_reported_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut store = Store::open(&path).unwrap();
    store.insert(&full(0)).unwrap();
    raw(&path)
        .execute(
            "UPDATE readings SET delivered_kwh = 'lots' WHERE seq = 1",
            [],
        )
        .unwrap();
    let err = store.readings_after(0, 1).unwrap_err();
    assert!(matches!(err, StoreError::BadRow { seq: 1, .. }), "{err}");
}

#[test]
fn meter_not_reporting_once_replies_without_values_outlast_the_silence() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let minute = std::time::Duration::from_secs(60);
    let no_values_at = |store: &mut Store, ms| {
        let delta = EventDelta {
            name: Counter::NoValues.as_str().into(),
            count: 10,
            last_message: Some("no values".into()),
            at: at(ms),
        };
        store.record_events(&[delta]).unwrap();
        store.status().unwrap().meter_not_reporting(minute)
    };
    // Nothing stored ever: any reply without values says it.
    assert_eq!(store.status().unwrap().meter_not_reporting(minute), None);
    assert_eq!(no_values_at(&mut store, 1_000), Some(at(1_000)));
    // After a reading (at full(0).time): only once the empty replies outlast a minute.
    let read = full(0).time.timestamp_millis();
    store.insert(&full(0)).unwrap();
    assert_eq!(store.status().unwrap().meter_not_reporting(minute), None);
    assert_eq!(no_values_at(&mut store, read + 59_999), None);
    assert_eq!(
        no_values_at(&mut store, read + 60_000),
        Some(at(read + 60_000))
    );
    // Values again: a newer reading clears it.
    let mut next = full(1);
    next.time = at(read + 66_000);
    store.insert(&next).unwrap();
    assert_eq!(store.status().unwrap().meter_not_reporting(minute), None);
}

#[test]
fn events_accumulate_and_status_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut store = Store::open(&path).unwrap();

    let empty = store.status().unwrap();
    assert_eq!(empty.readings_stored, 0);
    assert_eq!(empty.pending_upload, 0);
    assert_eq!(empty.first_pending, None);
    assert_eq!(empty.last_reading, None);
    assert_eq!(empty.last_upload, None);
    assert!(empty.events.is_empty());
    assert_eq!(empty.last_error, None);

    let delta = |name: &str, count, msg: Option<&str>, ms| EventDelta {
        name: name.into(),
        count,
        last_message: msg.map(Into::into),
        at: at(ms),
    };
    store.record_events(&[]).unwrap();
    store
        .record_events(&[
            delta("repeat_poll", 5, None, 1_000),
            delta("eagle_unreachable", 1, Some("timeout"), 1_000),
            delta("upload_failed", 1, Some("403 Forbidden"), 1_500),
        ])
        .unwrap();
    store
        .record_events(&[
            delta("repeat_poll", 3, None, 2_000),
            delta("eagle_unreachable", 2, Some("connection refused"), 3_000),
            delta(&Counter::Upload.as_str(), 1, None, 4_000),
            // An older message arriving late must not replace the newer one.
            delta("eagle_unreachable", 0, Some("stale"), 2_500),
        ])
        .unwrap();

    // The second reading is the older one: first_pending is by time, not seq.
    let mut late = full(1);
    late.time = at(500);
    store.insert(&full(0)).unwrap();
    store.insert(&late).unwrap();
    store.insert(&full(2)).unwrap();

    let report = store.status().unwrap();
    assert_eq!(report.readings_stored, 3);
    assert_eq!(report.pending_upload, 3);
    assert_eq!(report.first_pending, Some(at(500)));
    assert_eq!(report.last_reading.as_ref().unwrap().seq, 3);
    assert_eq!(report.last_reading.unwrap().reading, full(2));
    assert_eq!(report.last_upload, Some(at(4_000)));
    let names: Vec<_> = report.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "eagle_unreachable",
            "repeat_poll",
            "upload",
            "upload_failed"
        ]
    );
    let unreachable = &report.events[0];
    assert_eq!(unreachable.count, 3);
    assert_eq!(
        unreachable.last_message.as_deref(),
        Some("connection refused")
    );
    assert_eq!(unreachable.last_message_at, Some(at(3_000)));
    assert_eq!(unreachable.last_at, at(3_000));
    let repeat = &report.events[1];
    assert_eq!((repeat.count, repeat.last_message.as_ref()), (8, None));
    assert_eq!(repeat.last_at, at(2_000));
    assert_eq!(report.last_error.as_ref(), Some(unreachable));
    assert!(report.file_size > 0);

    // Rows the uploader marks done stop counting as pending.
    raw(&path)
        .execute("UPDATE readings SET uploaded = 1 WHERE seq <= 2", [])
        .unwrap();
    let report = store.status().unwrap();
    assert_eq!(report.readings_stored, 3);
    assert_eq!(report.pending_upload, 1);
    assert_eq!(report.first_pending, Some(full(2).time));
}

#[test]
fn wal_left_behind_by_a_moved_database_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let wal = dir.path().join("readings.db-wal");
    // The daemon's WAL holds readings not yet checkpointed; an operator moves only the .db.
    let mut store = Store::open(&path).unwrap();
    store.insert(&full(0)).unwrap();
    let wal_bytes = std::fs::read(&wal).unwrap();
    std::mem::forget(store); // a power cut: no close, no checkpoint
    std::fs::rename(&path, dir.path().join("moved.db")).unwrap();

    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::OrphanWal { .. }), "{err}");
    assert!(!path.exists(), "no new buffer was created");
    assert_eq!(std::fs::read(&wal).unwrap(), wal_bytes);
}

#[test]
fn insert_all_is_one_transaction_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db_path(&dir)).unwrap();
    let seqs = store.insert_all(&[full(1), full(2), full(3)]).unwrap();
    assert_eq!(seqs, [1, 2, 3]);
    // The second reading cannot be stored: nothing of the batch may be.
    let mut bad = full(5);
    bad.clock.monotonic_ms = u64::MAX;
    assert!(store.insert_all(&[full(4), bad, full(6)]).is_err());
    assert_eq!(store.readings_after(0, 100).unwrap().len(), 3);
    assert_eq!(
        store.insert(&full(7)).unwrap(),
        4,
        "the failed batch consumed no seq"
    );
}

/// The daemon's two connections write side by side: the poll loop inserting, the uploader
/// marking. Neither may fail for the other. (A deferred transaction that read the high-water
/// mark before inserting failed at once with `SQLITE_BUSY` when the other committed in
/// between: a false "storage failure" on the LED.)
#[test]
fn inserts_never_fail_for_the_uploader_writing_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut daemon = Store::open(&path).unwrap();
    let mut uploader = Store::open(&path).unwrap();
    let (seqs, marked) = std::sync::mpsc::channel::<i64>();
    let marking = std::thread::spawn(move || {
        let mut marks = 0;
        while let Ok(seq) = marked.recv() {
            uploader.mark_uploaded(&[seq]).unwrap();
            marks += 1;
        }
        marks
    });
    for i in 0..400 {
        let seq = daemon
            .insert(&sparse(i))
            .unwrap_or_else(|e| panic!("insert {i}: {e}"));
        seqs.send(seq).unwrap();
    }
    drop(seqs);
    assert_eq!(marking.join().unwrap(), 400);
    assert_eq!(daemon.pending_through(i64::MAX).unwrap(), 0);
}
