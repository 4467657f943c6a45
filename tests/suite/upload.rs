//! The upload engine against a real S3-compatible server on loopback (s3s-fs, verifying SigV4
//! signatures and Content-MD5), and against the directory target.

use crate::common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::binary::{write_config, Logger, Target};
use common::s3::{self, Answer, HostileEndpoint, S3Server, ACCESS_KEY, SECRET_KEY};
use common::FakeClock;
use rainforest_logger::clock::Clock;
use rainforest_logger::config::{S3Settings, Secret};
use rainforest_logger::reading::{ClockStamp, Reading};
use rainforest_logger::store::{Counter, SharedStore, Store};
use rainforest_logger::upload::{DirSink, ObjectSink, S3Sink, UploadError, UploadPolicy, Uploader};
use rust_decimal::Decimal;

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 7, 9, 0, 0).unwrap()
}

/// The test logger's settings (common::s3::settings_for) under `study/`, hourly, signing
/// with `secret`.
fn s3_settings(endpoint: &str, secret: &str) -> S3Settings {
    S3Settings {
        prefix: "study/".into(),
        secret_access_key: Some(Secret::new(secret)),
        ..s3::settings_for(endpoint, HOUR)
    }
}

/// The policy matching `s3_settings`: keys under `study/`, hourly periods.
fn policy(household: &str) -> UploadPolicy {
    s3::policy(household, "study/", HOUR)
}

fn reading(time: DateTime<Utc>, demand: &str, synced: bool, monotonic_ms: u64) -> Reading {
    let base = common::empty_reading(time);
    Reading {
        meter_time: Some(time),
        demand_kw: Some(Decimal::from_str(demand).unwrap()),
        delivered_kwh: Some(Decimal::from_str("2853.662").unwrap()),
        received_kwh: Some(Decimal::ZERO),
        clock: ClockStamp {
            synced,
            monotonic_ms,
            ..base.clock
        },
        ..base
    }
}

/// A buffer in a temp dir with one reading every 6 minutes from `from` for `count` readings.
fn buffer(dir: &std::path::Path, from: DateTime<Utc>, count: i64) -> SharedStore {
    let mut store = Store::open(&dir.join("readings.db")).unwrap();
    for i in 0..count {
        let time = from + chrono::Duration::minutes(6 * i);
        store
            .insert(&reading(time, &format!("{}.{:03}", i % 5, i), true, 1))
            .unwrap();
    }
    SharedStore::new(store)
}

/// The NDJSON lines of a gzip object.
fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn seqs_in(server: &S3Server) -> Vec<i64> {
    server
        .keys()
        .iter()
        .filter(|k| k.starts_with("readings/") || k.contains("/readings/"))
        .flat_map(|k| lines(&server.object(k)))
        .map(|v| v["seq"].as_i64().unwrap())
        .collect()
}

/// An uploader for household `h-0001` of `store`'s rows to `server`, with the right
/// credentials.
fn s3_uploader(server: &S3Server, store: &SharedStore, clock: Arc<dyn Clock>) -> Uploader<S3Sink> {
    let sink = S3Sink::new(&s3_settings(&server.endpoint(), SECRET_KEY)).unwrap();
    Uploader::new(sink, store.clone(), clock, policy("h-0001"))
}

/// A Pi's clock before NTP has synced it: unsynced, believing it is 1970-01-01 00:10.
fn booted_in_1970() -> Arc<FakeClock> {
    FakeClock::new(
        Utc.timestamp_opt(0, 0).unwrap() + chrono::Duration::minutes(10),
        false,
    )
}

async fn pending(store: &SharedStore) -> u64 {
    store.call(|s| s.status().unwrap().pending_upload).await
}

/// 35 readings 6 min apart from 09:00 ([`t0`]) looked at 12:25 by a synced clock: periods 09,
/// 10 and 11 complete, 12:00–12:24 open with 5 of them; and their uploader to a fresh S3 server.
struct AtTwelveTwentyFive {
    _dir: tempfile::TempDir,
    server: S3Server,
    store: SharedStore,
    clock: Arc<FakeClock>,
    uploader: Uploader<S3Sink>,
}

impl AtTwelveTwentyFive {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = S3Server::start(&dir.path().join("s3")).await;
        let store = buffer(dir.path(), t0(), 35);
        let clock = FakeClock::new(t0() + chrono::Duration::minutes(3 * 60 + 25), true);
        let uploader = s3_uploader(&server, &store, clock.clone());
        AtTwelveTwentyFive {
            _dir: dir,
            server,
            store,
            clock,
            uploader,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_become_one_object_per_period_exactly_once() {
    let AtTwelveTwentyFive {
        _dir,
        server,
        store,
        clock: _,
        mut uploader,
    } = AtTwelveTwentyFive::start().await;
    let report = uploader.cycle(false).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let keys: Vec<&str> = report.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "study/readings/household=h-0001/date=2026-03-07/h-0001-20260307T0900Z.ndjson.gz",
            "study/readings/household=h-0001/date=2026-03-07/h-0001-20260307T1000Z.ndjson.gz",
            "study/readings/household=h-0001/date=2026-03-07/h-0001-20260307T1100Z.ndjson.gz",
        ],
        "oldest first, default layout"
    );
    assert_eq!(pending(&store).await, 5, "the open period stays pending");
    // Every uploaded row exactly once, seq 1..=30, each object sorted by seq.
    assert_eq!(seqs_in(&server), (1..=30).collect::<Vec<_>>());
    let first = lines(&server.object(keys[0]));
    assert_eq!(first.len(), 10);
    assert_eq!(first[0]["household"], "h-0001");
    assert_eq!(first[0]["time"], "2026-03-07T09:00:00.000Z");
    assert_eq!(first[3]["demand_kw"].to_string(), "3.003");
    assert_eq!(first[0]["clock"], "synced");
    // The heartbeat is there too.
    let heartbeat: serde_json::Value =
        serde_json::from_slice(&server.object("study/status/household=h-0001.json")).unwrap();
    assert_eq!(heartbeat["pending_rows"], 5);
    assert_eq!(heartbeat["oldest_pending_period"], "2026-03-07T12:00:00Z");

    // Nothing new: a second cycle uploads nothing.
    assert!(uploader.cycle(false).await.objects.is_empty());

    // A late row for 10:xx (clock correction, crash) → the same key, whole period, superset.
    let before = server.object(keys[1]);
    store
        .call(|s| {
            s.insert(&reading(
                t0() + chrono::Duration::minutes(65),
                "9.5",
                true,
                1,
            ))
            .unwrap()
        })
        .await;
    let report = uploader.cycle(false).await;
    assert_eq!(report.objects.len(), 1);
    assert_eq!(report.objects[0].key, keys[1]);
    assert_eq!(
        (report.objects[0].rows, report.objects[0].newly_uploaded),
        (11, 1)
    );
    let after = lines(&server.object(keys[1]));
    assert_eq!(after.len(), lines(&before).len() + 1);
    assert_eq!(server.keys().len(), 4, "no second object for the period");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_drained_oldest_first_without_duplicates_or_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s3");
    let server = S3Server::start(&root).await;
    let endpoint = server.endpoint();
    let addr = server.stop(); // S3 is down
    let store = buffer(dir.path(), t0(), 80); // 8 hours of readings
    let clock = FakeClock::new(
        t0() + chrono::Duration::hours(8) + chrono::Duration::minutes(1),
        true,
    );
    let sink = S3Sink::new(&s3_settings(&endpoint, SECRET_KEY)).unwrap();
    let mut uploader = Uploader::new(sink, store.clone(), clock.clone(), policy("h-0001"));
    let mut status = uploader.watch_status();
    let report = uploader.cycle(false).await;
    assert!(
        matches!(report.error, Some(UploadError::Transient(_))),
        "{:?}",
        report.error
    );
    assert!(report.objects.is_empty());
    assert_eq!(pending(&store).await, 80, "nothing marked while S3 is down");
    assert!(status.borrow_and_update().failing_since.is_some());
    // Readings go on during the outage.
    for i in 0..10 {
        let time = t0() + chrono::Duration::hours(8) + chrono::Duration::minutes(6 * i);
        store
            .call(move |s| s.insert(&reading(time, "1", true, 1)).unwrap())
            .await;
    }
    clock.advance(HOUR);
    // A retry is scheduled with backoff; `cycle(false)` before it is due does nothing.
    assert!(uploader.cycle(false).await.objects.is_empty());

    let server = S3Server::start_at(addr, &root).await;
    let report = uploader.cycle(true).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let hours: Vec<&str> = report
        .objects
        .iter()
        .map(|o| &o.key[o.key.len() - 15..o.key.len() - 10])
        .collect();
    // Eight hours before the outage and the hour written during it.
    assert_eq!(
        hours,
        ["0900Z", "1000Z", "1100Z", "1200Z", "1300Z", "1400Z", "1500Z", "1600Z", "1700Z"]
    );
    assert_eq!(
        seqs_in(&server),
        (1..=90).collect::<Vec<_>>(),
        "every seq once, no gaps"
    );
    assert!(status.borrow_and_update().failing_since.is_none());
    assert_eq!(pending(&store).await, 0);
}

/// Stores the object, then fails as if the process died before the local commit.
struct CrashAfterPut(S3Sink);

impl ObjectSink for CrashAfterPut {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), UploadError> {
        self.0.put(key, bytes, content_type).await?;
        Err(UploadError::Transient(
            "simulated crash between PUT and commit".into(),
        ))
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_put_and_commit_overwrites_the_same_key_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let store = buffer(dir.path(), t0(), 10);
    let clock: Arc<FakeClock> = FakeClock::new(t0() + chrono::Duration::hours(2), true);
    let settings = s3_settings(&server.endpoint(), SECRET_KEY);
    let mut crashing = Uploader::new(
        CrashAfterPut(S3Sink::new(&settings).unwrap()),
        store.clone(),
        clock.clone(),
        policy("h-0001"),
    );
    let report = crashing.cycle(false).await;
    assert!(report.error.is_some());
    let keys = server.keys();
    let readings_key = keys
        .iter()
        .find(|k| k.contains("/readings/"))
        .unwrap()
        .clone();
    let first_bytes = server.object(&readings_key);
    assert_eq!(pending(&store).await, 10, "not committed: still pending");

    // The restarted daemon uploads the period again: same key, identical bytes, no twin.
    let mut restarted = Uploader::new(
        S3Sink::new(&settings).unwrap(),
        store.clone(),
        clock,
        policy("h-0001"),
    );
    let report = restarted.cycle(false).await;
    assert!(report.error.is_none());
    assert_eq!(report.objects[0].key, readings_key);
    assert_eq!(server.object(&readings_key), first_bytes);
    assert_eq!(server.keys(), keys);
    assert_eq!(seqs_in(&server), (1..=10).collect::<Vec<_>>());
    assert_eq!(pending(&store).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_config_error_and_nothing_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let store = buffer(dir.path(), t0(), 10);
    let clock = FakeClock::new(t0() + chrono::Duration::hours(2), true);
    let wrong = "wrong-secret-key-that-must-not-leak";
    let sink = S3Sink::new(&s3_settings(&server.endpoint(), wrong)).unwrap();
    let mut uploader = Uploader::new(sink, store.clone(), clock.clone(), policy("h-0001"));
    let status = uploader.watch_status();
    let report = uploader.cycle(false).await;
    let error = report.error.expect("the server must reject the signature");
    let message = error.to_string();
    assert!(matches!(error, UploadError::Config(_)), "{message}");
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");
    assert!(
        !message.contains(wrong) && !message.contains(ACCESS_KEY),
        "{message}"
    );
    assert!(status.borrow().config_error);
    assert_eq!(pending(&store).await, 10);
    assert!(server.keys().is_empty());

    // Fixed in the config → the next daemon uploads everything.
    let mut fixed = s3_uploader(&server, &store, clock);
    assert!(fixed.cycle(false).await.error.is_none());
    assert_eq!(pending(&store).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsynced_clock_holds_uploads_then_times_are_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    // The Pi boots believing it is 1970; readings are taken 6 s apart, boot-relative 10 min on.
    let clock = booted_in_1970();
    let mut store = Store::open(&dir.path().join("readings.db")).unwrap();
    for _ in 0..5 {
        let stamp = clock.stamp();
        store
            .insert(&reading(clock.now(), "1.5", false, stamp.monotonic_ms))
            .unwrap();
        clock.advance(Duration::from_secs(6));
    }
    let store = SharedStore::new(store);
    let mut uploader = s3_uploader(&server, &store, clock.clone());
    let report = uploader.cycle(false).await;
    assert!(report.waiting_for_clock);
    assert!(
        server.keys().is_empty(),
        "nothing uploaded on an unsynced clock"
    );

    // NTP sets the wall clock to 2026-03-07 09:30:00 at boot-relative 10 min 30 s.
    let synced_at = t0() + chrono::Duration::minutes(30);
    clock.set_wall(synced_at, true);
    assert!(
        uploader.cycle(false).await.objects.is_empty(),
        "09:00 is not complete yet"
    );
    clock.set_wall(synced_at + HOUR, true);
    let report = uploader.cycle(false).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.objects.len(), 1);
    let rows = lines(&server.object(&report.objects[0].key));
    let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    // Taken 30, 24, 18, 12, 6 s before the sync moment.
    assert_eq!(
        times,
        [
            "2026-03-07T09:29:30.000Z",
            "2026-03-07T09:29:36.000Z",
            "2026-03-07T09:29:42.000Z",
            "2026-03-07T09:29:48.000Z",
            "2026-03-07T09:29:54.000Z"
        ]
    );
    assert!(
        rows.iter().all(|r| r["clock"] == "unsynced"),
        "the flag tells analysts the time was rebuilt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_pressure_prunes_uploaded_rows_first_then_pending_and_counts_drops() {
    let dir = tempfile::tempdir().unwrap();
    // Directory target: same engine, no server needed for this one.
    let sink = DirSink::new(&dir.path().join("bucket"));
    let store = buffer(dir.path(), t0(), 4000); // ~400 hours
    let clock = FakeClock::new(t0() + chrono::Duration::hours(200), true);
    let mut policy = policy("h-0001");
    let mut uploader = Uploader::new(sink, store.clone(), clock.clone(), policy.clone());
    // Upload the first ~200 hours, then limit the buffer to a size it already exceeds.
    assert!(uploader.cycle(false).await.error.is_none());
    let (uploaded_before, used) = store
        .call(|s| {
            (
                s.status().unwrap().readings_stored - s.status().unwrap().pending_upload,
                s.used_bytes().unwrap(),
            )
        })
        .await;
    assert!(uploaded_before > 1900, "{uploaded_before}");
    policy.max_size = used / 4;
    let mut limited = Uploader::new(
        DirSink::new(&dir.path().join("bucket")),
        store.clone(),
        clock.clone(),
        policy.clone(),
    );
    // The rows after 200 h are in periods not yet complete: they are pending, and the limit
    // forces the engine to drop some of them once the uploaded ones are gone.
    limited.cycle(false).await;
    let after = store
        .call(|s| (s.used_bytes().unwrap(), s.status().unwrap()))
        .await;
    assert!(
        after.0 <= policy.max_size,
        "{} > {}",
        after.0,
        policy.max_size
    );
    let remaining = store.call(|s| s.readings_after(0, 10_000).unwrap()).await;
    // Every uploaded row went before any pending one: what is left is all pending, newest kept.
    assert!(remaining.iter().all(|r| !r.uploaded));
    assert_eq!(remaining.last().unwrap().seq, 4000);
    let dropped = after
        .1
        .events
        .iter()
        .find(|e| e.name == Counter::DroppedPending.as_str())
        .map_or(0, |e| e.count);
    let pending_dropped = 4000 - uploaded_before - remaining.len() as u64;
    assert_eq!(dropped, pending_dropped);
    assert!(dropped > 0, "the limit must have forced pending drops");
    assert_eq!(
        remaining.first().unwrap().seq as u64,
        uploaded_before + dropped + 1,
        "oldest pending dropped first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_target_writes_the_same_keys_and_bytes_as_s3() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let clock = FakeClock::new(t0() + chrono::Duration::hours(3), true);
    let to_s3 = buffer(&dir.path().join("a"), t0(), 25);
    let to_dir = buffer(&dir.path().join("b"), t0(), 25);
    s3_uploader(&server, &to_s3, clock.clone())
        .cycle(false)
        .await;
    let bucket = dir.path().join("bucket");
    Uploader::new(DirSink::new(&bucket), to_dir, clock, policy("h-0001"))
        .cycle(false)
        .await;
    let readings: BTreeSet<String> = server
        .keys()
        .into_iter()
        .filter(|k| k.contains("/readings/"))
        .collect();
    assert_eq!(readings.len(), 2);
    for key in &readings {
        assert_eq!(
            std::fs::read(bucket.join(key)).unwrap(),
            server.object(key),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_stamped_unsynced_that_lands_after_the_sync_is_corrected_too() {
    // Regression (fault suite, issue #7): the poll loop stamped a reading before NTP synced
    // and committed it just after the engine's first synced cycle, which corrected times
    // only once per boot: the reading kept its 1970 time and went up as a 1970 object.
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let clock = booted_in_1970();
    let store = SharedStore::new(Store::open(&dir.path().join("readings.db")).unwrap());
    let mut uploader = s3_uploader(&server, &store, clock.clone());
    let stamped = clock.stamp();
    let taken_at = clock.now();
    clock.advance(Duration::from_secs(1));
    clock.set_wall(t0(), true);
    assert!(uploader.cycle(false).await.objects.is_empty());
    store
        .call(move |s| {
            s.insert(&reading(taken_at, "2.5", false, stamped.monotonic_ms))
                .unwrap()
        })
        .await;
    clock.advance(HOUR);
    let report = uploader.cycle(false).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let keys: Vec<&str> = report.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["study/readings/household=h-0001/date=2026-03-07/h-0001-20260307T0800Z.ndjson.gz"],
        "taken 1 s before the sync at 09:00, so in the 08:00 period"
    );
    let rows = lines(&server.object(keys[0]));
    assert_eq!(rows[0]["time"], "2026-03-07T08:59:59.000Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_uploads_the_open_period_to_the_key_its_complete_object_later_overwrites() {
    // Regression (issue 11): `flush` left the open period, and one just ended, pending.
    let AtTwelveTwentyFive {
        _dir,
        server,
        store,
        clock,
        mut uploader,
    } = AtTwelveTwentyFive::start().await;
    let report = uploader.cycle(true).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.still_pending, Some(0));
    assert_eq!(pending(&store).await, 0, "the open period is flushed too");
    let open_key =
        "study/readings/household=h-0001/date=2026-03-07/h-0001-20260307T1200Z.ndjson.gz";
    assert_eq!(report.objects.len(), 4);
    assert_eq!(report.objects[3].key, open_key);
    assert_eq!(seqs_in(&server), (1..=35).collect::<Vec<_>>());

    // The period goes on and ends: its object is the same key, now the whole period.
    for minutes in [30, 36] {
        let time = t0() + chrono::Duration::minutes(3 * 60 + minutes);
        store
            .call(move |s| s.insert(&reading(time, "1", true, 1)).unwrap())
            .await;
    }
    clock.advance(Duration::from_secs(36 * 60));
    let report = uploader.cycle(false).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let keys: Vec<&str> = report.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [open_key]);
    assert_eq!(
        (report.objects[0].rows, report.objects[0].newly_uploaded),
        (7, 2)
    );
    assert_eq!(report.still_pending, None, "only flush counts what is left");
    assert_eq!(server.keys().len(), 5, "four periods and the heartbeat");
    assert_eq!(seqs_in(&server), (1..=37).collect::<Vec<_>>(), "no twin");
}

/// An endpoint answering every PUT with `status`, pointing at a path of its own that answers
/// 200 to anything, as a captive portal does: following the redirect "succeeds".
async fn redirecting(status: u16) -> HostileEndpoint {
    HostileEndpoint::start(move |_, path, addr| {
        if path.starts_with("/elsewhere/") {
            Answer::new(200, b"")
        } else {
            let location = format!("http://{addr}/elsewhere/stored");
            Answer::new(status, b"").header("location", location.as_bytes())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_redirect_is_never_followed_and_nothing_is_marked() {
    // Regression (issue 12, item 2): rust-s3's client followed redirects, and the 2xx at the
    // end marked the rows uploaded though nothing reached the bucket.
    for status in [301, 302, 303, 307] {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = redirecting(status).await;
        let store = buffer(dir.path(), t0(), 10);
        let clock = FakeClock::new(t0() + chrono::Duration::hours(2), true);
        let sink = S3Sink::new(&s3_settings(&endpoint.endpoint(), SECRET_KEY)).unwrap();
        let mut uploader = Uploader::new(sink, store.clone(), clock, policy("h-0001"));
        let report = uploader.cycle(false).await;
        let error = report.error.expect("a redirect is a failure");
        let text = error.to_string();
        assert!(
            matches!(error, UploadError::Transient(_)),
            "{status}: {text}"
        );
        assert!(
            text.contains(&format!("redirect (HTTP {status})"))
                && text.contains("/elsewhere/stored"),
            "{status}: {text}"
        );
        assert!(report.objects.is_empty());
        assert_eq!(pending(&store).await, 10, "{status}: nothing marked");
        let requests = endpoint.requests();
        assert!(
            requests
                .iter()
                .all(|r| r.starts_with("PUT /iseif-rainforest/")),
            "{status}: followed: {requests:?}"
        );
    }
}

/// `rainforest-logger flush` uploading to `target` a buffer in `dir` of readings taken `ages`
/// ago, in that order; and the buffer's path.
async fn flush_readings(
    dir: &Path,
    ages: &[chrono::Duration],
    target: Target<'_>,
) -> (std::process::Output, PathBuf) {
    let db = dir.join("readings.db");
    let mut store = Store::open(&db).unwrap();
    for age in ages {
        store
            .insert(&reading(Utc::now() - *age, "1.5", true, 1))
            .unwrap();
    }
    drop(store);
    let config = dir.join("config.toml");
    let unused_eagle = "127.0.0.1:9".parse().unwrap();
    write_config(&config, unused_eagle, &db, target);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["flush", "--config", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    (output, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_against_a_redirecting_endpoint_exits_2_naming_the_redirect() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = redirecting(303).await;
    let ages = [3, 2, 1].map(chrono::Duration::minutes);
    let (output, db) =
        flush_readings(dir.path(), &ages, Target::Endpoint(&endpoint.endpoint())).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("redirect (HTTP 303)"), "{stderr}");
    assert!(stdout.contains("3 row(s) still pending"), "{stdout}");
    let pending = Store::open(&db).unwrap().status().unwrap().pending_upload;
    assert_eq!(pending, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_with_s3_reachable_leaves_nothing_pending_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    // The last reading is a second old: its one-minute period is still open.
    let ages = [90, 30, 1].map(chrono::Duration::seconds);
    let (output, db) = flush_readings(dir.path(), &ages, Target::S3(&server)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("0 row(s) still pending"), "{stdout}");
    assert_eq!(
        Store::open(&db).unwrap().status().unwrap().pending_upload,
        0
    );
    assert_eq!(seqs_in(&server), [1, 2, 3]);
}

/// One PUT of a small object to `endpoint` through the real sink.
async fn put_to(endpoint: &HostileEndpoint) -> Result<(), UploadError> {
    let sink = S3Sink::new(&s3_settings(&endpoint.endpoint(), SECRET_KEY)).unwrap();
    sink.put(
        "study/x.ndjson.gz",
        b"readings".to_vec(),
        "application/gzip",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_s3_error_bodies_are_reported_by_code_and_message_without_the_rest() {
    // (fixture, status S3 sent it with, kind, words the message must carry)
    let cases = [
        (
            "signature_does_not_match.xml",
            403,
            "config",
            "Check your key and signing method",
        ),
        ("request_time_too_skewed.xml", 403, "clock-skew", "clock"),
        (
            "permanent_redirect.xml",
            301,
            "transient",
            "names endpoint \"marios-test-bucket.foo.s3-ap-northeast-1.amazonaws.com\"",
        ),
        (
            "no_such_key.xml",
            404,
            "transient",
            "The resource you requested does not exist",
        ),
    ];
    for (fixture, status, kind, words) in cases {
        let body = std::fs::read(format!("tests/fixtures/s3/{fixture}")).unwrap();
        let endpoint = HostileEndpoint::start(move |_, _, _| {
            Answer::new(status, &body).header("content-type", b"application/xml")
        })
        .await;
        let error = put_to(&endpoint).await.unwrap_err();
        let text = error.to_string();
        assert_eq!(error.kind(), kind, "{fixture}: {text}");
        assert!(text.contains(words), "{fixture}: {text}");
        // What the body echoes of the request stays out of logs and heartbeats.
        for echoed in [
            "AKIAJOD2E4D4KY6GIITQ",
            "StringToSign",
            "PBq8WI4rs33P",
            "HostId",
        ] {
            assert!(!text.contains(echoed), "{fixture}: {text}");
        }
        assert!(!text.chars().any(char::is_control), "{fixture}: {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_error_body_is_read_only_up_to_the_limit_and_escaped() {
    // Regression (issue 12, item 7): a 700 MB 500 reply was read whole (1.4 GB of memory).
    const HUGE: u64 = 512 << 20;
    let endpoint = HostileEndpoint::start(|_, _, _| Answer {
        endless: Some(HUGE),
        ..Answer::new(
            500,
            b"<Error><Code>InternalError</Code><Message>\x1b[2J\xe2\x80\xaeevil\x07</Message></Error>",
        )
    })
    .await;
    let error = put_to(&endpoint).await.unwrap_err();
    let text = error.to_string();
    assert_eq!(error.kind(), "transient", "{text}");
    assert!(text.contains("InternalError (HTTP 500)"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{text:?}"
    );
    // What the server managed to push before the client hung up: the limit plus what the
    // sockets buffer, nowhere near the body.
    let sent = endpoint.body_bytes_sent();
    eprintln!("hostile 500 reply: {sent} of {HUGE} body bytes generated before the client hung up");
    assert!(sent < 64 << 20, "{sent} bytes of {HUGE} were read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etag_is_compared_with_the_md5_sent_only_when_it_is_one() {
    let etag = |value: &'static [u8]| {
        HostileEndpoint::start(move |_, _, _| Answer::new(200, b"").header("etag", value))
    };
    // Regression (issue 12, item 7): a non-UTF-8 ETag failed a stored object for ever.
    assert!(put_to(&etag(b"\"\xff\xfeabc\"").await).await.is_ok());
    // A multipart-style ETag is not an MD5.
    assert!(
        put_to(&etag(b"\"d41d8cd98f00b204e9800998ecf8427e-3\"").await)
            .await
            .is_ok()
    );
    // A plain MD5 that is not the one sent: not what was stored, nothing marked.
    let error = put_to(&etag(b"\"d41d8cd98f00b204e9800998ecf8427e\"").await)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("d41d8cd98f00b204e9800998ecf8427e"),
        "{error}"
    );
    // A captive portal's page answering the PUT itself: no ETag, not S3.
    let portal = HostileEndpoint::start(|_, _, _| Answer::new(200, b"<html>Sign in</html>"));
    let error = put_to(&portal.await).await.unwrap_err();
    assert!(error.to_string().contains("without an ETag"), "{error}");
    // The MD5 of b"readings", the bytes `put_to` sends, as S3 answers it.
    assert!(put_to(&etag(b"\"24ce06bed20ba5337cf43074075d4008\"").await)
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_warns_at_start_up_about_an_http_endpoint_with_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let db = dir.path().join("readings.db");
    let unreachable = "http://127.0.0.1:9";
    write_config(
        &config,
        "127.0.0.1:9".parse().unwrap(),
        &db,
        Target::Endpoint(unreachable),
    );
    let logger = Logger::start(&config);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !logger.log().contains("is plain http") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = logger.log();
    logger.stop();
    assert!(
        log.contains(&format!("s3.endpoint \"{unreachable}\" is plain http")),
        "{log}"
    );
}
