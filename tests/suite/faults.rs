//! The fault-injection suite (issue #7): each case runs the real logger (poll loop, buffer,
//! upload engine) against the EAGLE simulator, injects one kind of fault, lets it pass, and
//! ends in a full reconciliation (`common::reconcile`): every reading the simulator served is
//! exactly once in the bucket or pending locally, with the values it was served with.
//!
//! Waits are for events (so many stored readings, so many failures of a kind), never for a
//! fixed time, and give up only after a generous deadline, so a busy machine slows the cases
//! down without making them fail.

use crate::common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::binary::{integrity, write_config, Logger, Target};
use common::card::Card;
use common::clock::ScaledClock;
use common::reconcile::{reconcile, Evidence, Layout};
use common::rig::{self, wait_until, Finished, Rig, RigConfig};
use common::s3::{S3Server, BUCKET};
use common::FakeClock;
use rainforest_eagle_sim::{Fault, Profile, ServedReading};
use rainforest_logger::clock::Clock;
use rainforest_logger::reading::Reading;
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::{S3Sink, UploadError, Uploader};
use rust_decimal::Decimal;

/// Logs a few readings, runs `fault` until the logger has failed, for each `(kind, count)` of
/// `failures` in turn, `count` polls of `kind`; clears it, and logs a few more readings.
async fn fault_then_recovery(fault: Fault, failures: &[(&str, usize)]) -> Finished {
    let rig = Rig::start(RigConfig::new(Profile::default())).await;
    rig.wait_for_more_readings(3).await;
    rig.sim.set_fault(Some(fault));
    for &(kind, count) in failures {
        rig.wait_for_failures(kind, count).await;
    }
    rig.sim.set_fault(None);
    rig.wait_for_more_readings(3).await;
    rig.finish().await
}

/// The readings on both sides of a fault were logged, and nothing of the faulty replies was.
fn assert_logged_around_the_fault(finished: &Finished) {
    assert!(finished.tally.served >= 6, "{:?}", finished.tally);
    assert!(finished.local.len() >= 6, "{} rows", finished.local.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_is_a_credential_error_until_fixed() {
    let finished = fault_then_recovery(Fault::Unauthorized, &[("unauthorized", 2)]).await;
    assert_logged_around_the_fault(&finished);
    let counter = common::counter(&finished.status, "eagle.unauthorized");
    assert!(counter.count >= 2, "{counter:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_503_lose_nothing() {
    let rig = Rig::start(RigConfig::new(Profile::Busy)).await;
    // The busy profile answers 3 of every 10 requests with 503: wait for three bursts.
    rig.wait_for_failures("busy", 9).await;
    rig.wait_for_more_readings(3).await;
    let finished = rig.finish().await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_stall_is_cut_by_the_timeout() {
    let finished =
        fault_then_recovery(Fault::Stall(Duration::from_secs(30)), &[("timeout", 2)]).await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_garbage_bodies_are_refused() {
    let rig = Rig::start(RigConfig::new(Profile::default())).await;
    rig.wait_for_more_readings(3).await;
    for fault in [Fault::Truncated, Fault::Garbage] {
        rig.sim.set_fault(Some(fault));
        rig.wait_for_failures("bad-xml", 2).await;
        rig.sim.set_fault(None);
        rig.wait_for_more_readings(2).await;
    }
    let finished = rig.finish().await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_reply_is_refused_at_the_size_cap() {
    // The padded reply is a valid document: a client without the cap would store it, and
    // reconciliation would find a row that was never served.
    let finished = fault_then_recovery(Fault::Oversized, &[("too-large", 2)]).await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_drip_reply_is_cut_by_the_timeout() {
    // One byte every 50 ms: a good reply of ~11 kB would take nine minutes.
    let drip = Fault::SlowDrip(Duration::from_millis(50));
    let finished = fault_then_recovery(drip, &[("timeout", 2)]).await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_that_drops_out_is_polled_again_when_back() {
    // The query says the meter is not joined; the list looked at again then has no joined
    // meter at all.
    let failures = [("meter-not-joined", 1), ("no-joined-meter", 2)];
    let finished = fault_then_recovery(Fault::MeterNotJoined, &failures).await;
    assert_logged_around_the_fault(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_meter_swap_readings_continue_under_the_new_address() {
    let rig = Rig::start(RigConfig::new(Profile::default())).await;
    rig.wait_for_more_readings(3).await;
    let old = rig.sim.meter_address();
    let new = rig.sim.swap_meter();
    assert_ne!(old, new);
    rig.wait_for("a reading of the new meter", |rig| {
        rig.stored().iter().any(|r| r.reading.meter == new)
    })
    .await;
    rig.wait_for_more_readings(3).await;
    let finished = rig.finish().await;
    let meters: Vec<&str> = finished
        .local
        .iter()
        .map(|r| r.reading.meter.as_str())
        .collect();
    let first_new = meters.iter().position(|m| *m == new).unwrap();
    assert!(first_new >= 3, "{meters:?}");
    assert!(meters[..first_new].iter().all(|m| *m == old), "{meters:?}");
    assert!(meters[first_new..].iter().all(|m| *m == new), "{meters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eagle_reboot_zero_is_left_out_never_stored() {
    let rig = Rig::start(RigConfig::new(Profile::SummationReset)).await;
    // Readings 8 and 9 of every 10 show delivered = 0; wait until two cycles were served.
    rig.wait_for("two reboot zeros served", |rig| {
        rig.sim
            .served()
            .iter()
            .filter(|s| s.delivered_kwh.is_none())
            .count()
            >= 2
    })
    .await;
    rig.wait_for_more_readings(2).await;
    let finished = rig.finish().await;
    let rows = &finished.local;
    assert!(rows.iter().any(|r| r.reading.delivered_kwh.is_none()));
    assert!(rows
        .iter()
        .all(|r| r.reading.delivered_kwh.is_none_or(|d| !d.is_zero())));
}

/// Every line of every readings object in `bucket`.
fn bucket_lines(bucket: &std::path::Path) -> Vec<String> {
    common::s3::objects_in(bucket)
        .iter()
        .filter(|(key, _)| key.starts_with("readings/"))
        .flat_map(|(key, bytes)| common::reconcile::lines(key, bytes))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pi_booted_in_1970_uploads_only_after_ntp_and_with_corrected_times() {
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    let booted = epoch + chrono::Duration::minutes(10);
    let mut config = RigConfig::new(Profile::default());
    // 600 times real time: the unsynced hour takes six seconds, or longer where polls come
    // late (a loaded machine, qemu), until ten unsynced readings are in.
    config.clock = ScaledClock::new(booted, 600, false);
    let rig = Rig::start(config).await;
    let unsynced_count = |rig: &Rig| {
        rig.stored()
            .iter()
            .filter(|r| !r.reading.clock.synced)
            .count()
    };
    rig.wait_for("an hour and ten readings on the unsynced clock", |rig| {
        rig.clock.now() >= booted + chrono::Duration::hours(1) && unsynced_count(rig) >= 10
    })
    .await;
    assert!(
        common::s3::objects_in(&rig.bucket()).is_empty(),
        "nothing goes up before the clock is synchronized"
    );
    let sync = Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap();
    let unsynced_for = rig.clock.now() - booted;
    rig.clock.sync_to(sync);
    let unsynced: Vec<_> = rig
        .stored()
        .into_iter()
        .filter(|r| !r.reading.clock.synced)
        .collect();
    assert!(unsynced.len() >= 10, "{} unsynced readings", unsynced.len());
    rig.wait_for("every unsynced reading uploaded", |rig| {
        let unsynced_up = bucket_lines(&rig.bucket())
            .iter()
            .filter(|l| l.contains(r#""clock":"unsynced""#))
            .count();
        unsynced_up >= unsynced_count(rig)
    })
    .await;
    rig.wait_for_more_readings(3).await;
    let finished = rig.finish().await;
    // No object for a 1970 period, and every time rebuilt from the boot-relative clock into
    // the unsynced span (an hour or more) before the sync. (The bounds allow for the scaled
    // clock: the engine reads the boot-relative and the wall clock one after the other, and
    // 600× turns the microseconds between the two reads into up to minutes.)
    assert!(finished.objects.keys().all(|k| !k.contains("date=1970")));
    let corrected: Vec<_> = finished
        .local
        .iter()
        .filter(|r| !r.reading.clock.synced)
        .collect();
    assert!(corrected.len() >= unsynced.len());
    for row in &corrected {
        let time = row.reading.time;
        assert!(
            time > sync - unsynced_for - chrono::Duration::minutes(30)
                && time < sync + chrono::Duration::minutes(10),
            "seq {} at {time}",
            row.seq
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wall_clock_jumps_of_an_hour_lose_and_duplicate_nothing() {
    let start = Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap();
    let mut config = RigConfig::new(Profile::default());
    // 600 times real time with a reading every 100 ms: about one reading per minute-period.
    config.clock = ScaledClock::new(start, 600, true);
    config.poll = Duration::from_millis(100);
    config.sim.meter_update = Some(config.poll);
    let rig = Rig::start(config).await;
    rig.wait_for("an hour and a bit logged", |rig| {
        rig.clock.now() >= start + chrono::Duration::minutes(65)
    })
    .await;
    let before = rig.stored().len();
    rig.clock.jump(-chrono::Duration::hours(1));
    // The next hour's readings fall into periods uploaded an hour ago: wait until one of
    // them was uploaded into the same object as an older reading of its period.
    rig.wait_for(
        "a late reading in an already-uploaded period's object",
        |rig| late_reading_joined_its_period(rig, before),
    )
    .await;
    rig.clock.jump(chrono::Duration::hours(1));
    rig.wait_for_more_readings(5).await;
    let uploads = rig.uploads();
    rig.wait_for("two more uploads", |rig| rig.uploads() >= uploads + 2)
        .await;
    let finished = rig.finish().await;
    assert!(finished.tally.in_bucket > before, "{:?}", finished.tally);
}

/// Whether a reading stored after the backward jump (`stored()[before..]`) sits in a bucket
/// object together with a reading of the same period stored before it.
fn late_reading_joined_its_period(rig: &Rig, before: usize) -> bool {
    let stored = rig.stored();
    let (early, late) = stored.split_at(before);
    let objects = common::s3::objects_in(&rig.bucket());
    let readings = objects
        .iter()
        .filter(|(key, _)| key.starts_with("readings/"));
    readings.into_iter().any(|(key, bytes)| {
        let seqs: Vec<i64> = common::reconcile::lines(key, bytes)
            .iter()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        seqs.iter().any(|s| early.iter().any(|r| r.seq == *s))
            && seqs.iter().any(|s| late.iter().any(|r| r.seq == *s))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seventy_two_hours_without_s3_drain_oldest_first_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s3");
    let server = S3Server::start(&root).await;
    let settings = server.settings(rig::PERIOD);
    let addr = server.stop();
    let start = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
    let clock = FakeClock::new(start, true);
    let store = SharedStore::new(Store::open(&dir.path().join("readings.db")).unwrap());
    let sink = S3Sink::new(&settings).unwrap();
    let mut uploader = Uploader::new(sink, store.clone(), clock.clone(), rig::policy());
    let mut served = Vec::new();
    for hour in 0..OUTAGE_HOURS {
        // An hour of readings, one every 20 s, committed as the poll loop commits them; then
        // the engine tries (ignoring its backoff, as `flush` does) and fails.
        let batch: Vec<ServedReading> =
            (0..180).map(|i| synthetic(start, hour * 180 + i)).collect();
        let readings: Vec<Reading> = batch.iter().map(as_reading).collect();
        served.extend(batch);
        store.call(move |s| s.insert_all(&readings).unwrap()).await;
        clock.advance(Duration::from_secs(3600));
        let report = uploader.cycle(true).await;
        assert!(report.objects.is_empty());
        assert!(
            matches!(report.error, Some(UploadError::Transient(_))),
            "hour {hour}: {:?}",
            report.error
        );
    }
    assert!(common::s3::objects_in(&root.join(BUCKET)).is_empty());

    // Back a minute after the last reading's period ended.
    let server = S3Server::start_at(addr, &root).await;
    clock.advance(Duration::from_secs(60));
    let report = uploader.cycle(true).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let keys: Vec<&String> = report.objects.iter().map(|o| &o.key).collect();
    assert_eq!(
        keys.len(),
        OUTAGE_HOURS as usize * 60,
        "one object per minute"
    );
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let objects = server.objects();
    let local = store
        .call(|s| s.readings_after(0, usize::MAX).unwrap())
        .await;
    let tally = reconcile(
        &Layout::new(rig::HOUSEHOLD, rig::PERIOD),
        &Evidence {
            served: &served,
            objects: &objects,
            local: &local,
            cuts: &[],
        },
    );
    assert_eq!(tally.in_bucket, served.len(), "{tally:?}");
    assert_eq!((tally.pending_only, tally.lost_in_flight), (0, 0));
    let seqs: Vec<i64> = local.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (1..=served.len() as i64).collect::<Vec<_>>(),
        "no gaps"
    );
}

/// Hours S3 is unreachable in the outage case.
const OUTAGE_HOURS: u32 = 72;

/// Reading number `n` of a meter read every 20 s from `start`, as the simulator would log it.
fn synthetic(start: chrono::DateTime<Utc>, n: u32) -> ServedReading {
    ServedReading {
        hardware_address: "0x0013500100aa3ce7".into(),
        meter_time: start + chrono::Duration::seconds(20 * i64::from(n)),
        demand_kw: Decimal::new(i64::from(n % 4000) - 500, 3),
        demand_blank: false,
        delivered_kwh: Some(Decimal::new(2_853_662 + i64::from(n) * 7, 3)),
        received_kwh: Decimal::new(i64::from(n / 10), 3),
        price: Some(Decimal::new(884, 4)),
    }
}

/// The reading the logger stores for `served`, taken half a second after the meter's time.
fn as_reading(served: &ServedReading) -> Reading {
    Reading {
        meter: served.hardware_address.clone(),
        meter_time: Some(served.meter_time),
        demand_kw: Some(served.demand_kw),
        delivered_kwh: served.delivered_kwh,
        received_kwh: Some(served.received_kwh),
        price: served.price,
        currency: Some("USD".into()),
        ..common::empty_reading(served.meter_time + chrono::Duration::milliseconds(500))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_card_holds_readings_in_memory_and_writes_them_when_freed() {
    let dir = tempfile::tempdir().unwrap();
    let card = Card::tmpfs_or_limit(&dir.path().join("card"));
    storage_fills_up_then_frees(dir.path(), &card).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_refused_past_the_file_size_limit_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let card = Card::limited(&dir.path().join("card"));
    storage_fills_up_then_frees(dir.path(), &card).await;
}

/// The real binary logs onto `card`; the card fills; the readings served meanwhile wait in
/// memory; space comes back and they are written; the database is intact and nothing was
/// dropped.
async fn storage_fills_up_then_frees(dir: &std::path::Path, card: &Card) {
    let sim = common::start_simulator(Duration::from_secs(1)).await;
    let db = card.db();
    let bucket = dir.join("bucket");
    let config = dir.join("config.toml");
    write_config(&config, sim.local_addr(), &db, Target::Directory(&bucket));
    let logger = Logger::start(&config);
    wait_until("three readings in the buffer", || rows(&db).len() >= 3).await;

    card.fill(logger.pid());
    let full_from = sim.served().len();
    wait_until("the logger to report the full card", || {
        logger.log().contains("cannot write to the buffer")
    })
    .await;
    wait_until("three readings served while the card is full", || {
        sim.served().len() >= full_from + 3
    })
    .await;
    // Some may be written all the same: the journal and the WAL are written over in place, in
    // blocks they already own, which a full card still takes. The rest wait in memory.
    let while_full: Vec<_> = sim.served()[full_from..].to_vec();

    card.free(logger.pid());
    wait_until("the readings held in memory to be written", || {
        let stored = rows(&db);
        while_full.iter().all(|s| {
            stored
                .iter()
                .any(|r| r.reading.meter_time == Some(s.meter_time))
        })
    })
    .await;
    logger.stop();
    assert_eq!(integrity(&db), "ok");
    let served = sim.served();
    let cuts = [served.len()];
    let finished = Finished::collect(&db, &bucket, served, &cuts);
    let count = |name: &str| {
        let events = finished.status.events.iter();
        events
            .filter(|e| e.name == name)
            .map(|e| e.count)
            .sum::<u64>()
    };
    // At least one refused write is on record. Not one per reading served while full: some
    // of those land in blocks the journal and the WAL already own (above).
    assert!(
        count("store.write_failed") >= 1,
        "{:?}",
        finished.status.events
    );
    assert_eq!(finished.status.dropped_rows(), 0);
    sim.shutdown().await;
}

/// Every row of the buffer at `db` now (none if it cannot be read yet).
fn rows(db: &std::path::Path) -> Vec<rainforest_logger::reading::StoredReading> {
    if !db.exists() {
        return Vec::new();
    }
    Store::open(db)
        .and_then(|store| store.readings_after(0, usize::MAX))
        .unwrap_or_default()
}
