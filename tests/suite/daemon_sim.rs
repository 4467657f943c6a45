//! The real daemon loop and EAGLE client against the project's simulator over loopback HTTP.

use crate::common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rainforest_eagle_sim::{self as sim, Profile, SimConfig, SimHandle};
use rainforest_logger::daemon::DaemonEvent;
use rainforest_logger::eagle::Eagle;
use rainforest_logger::reading::StoredReading;
use rainforest_logger::store::Store;

struct Outcome {
    rows: Vec<StoredReading>,
    events: Vec<DaemonEvent>,
    sim: SimHandle,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn start_sim(profile: Profile, meter_update: Duration) -> SimHandle {
    let config = SimConfig {
        profile,
        meter_update: Some(meter_update),
        ..SimConfig::default()
    };
    sim::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .unwrap()
}

/// Runs the daemon against `sim` with `interval` between polls for `length`.
async fn log_for(
    sim: SimHandle,
    settings: rainforest_logger::config::EagleSettings,
    interval: Duration,
    length: Duration,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readings.db");
    let eagle = Eagle::new(&settings).unwrap();
    let daemon = common::test_daemon(eagle, &path, interval);
    let mut receiver = daemon.subscribe();
    let collector = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Ok(event) = receiver.recv().await {
            events.push(event);
        }
        events
    });
    daemon.run(tokio::time::sleep(length)).await;
    let events = collector.await.unwrap();
    let store = Store::open(&path).unwrap();
    Outcome {
        rows: store.readings_after(0, 100_000).unwrap(),
        events,
        sim,
        store,
        _dir: dir,
    }
}

async fn run_profile(
    profile: Profile,
    interval: Duration,
    meter_update: Duration,
    length: Duration,
) -> Outcome {
    let sim = start_sim(profile, meter_update).await;
    let url = format!("http://{}", sim.local_addr());
    log_for(
        sim,
        common::eagle_settings(&url, Duration::from_secs(10)),
        interval,
        length,
    )
    .await
}

/// Polls every second against a meter that updates every second.
async fn run_fast(profile: Profile, length: Duration) -> Outcome {
    let second = Duration::from_secs(1);
    run_profile(profile, second, second, length).await
}

/// Every stored row must be exactly a reading the simulator served, with the same values.
fn assert_rows_match_served(outcome: &Outcome) {
    let served: BTreeMap<_, _> = outcome
        .sim
        .served()
        .into_iter()
        .map(|s| (s.meter_time, s))
        .collect();
    assert!(!outcome.rows.is_empty(), "nothing stored");
    let mut seen = std::collections::HashSet::new();
    for row in &outcome.rows {
        let r = &row.reading;
        let meter_time = r.meter_time.expect("meter_time");
        assert!(
            seen.insert(meter_time),
            "meter_time {meter_time} stored twice"
        );
        let s = served
            .get(&meter_time)
            .unwrap_or_else(|| panic!("row {} was never served", row.seq));
        assert_eq!(r.meter, s.hardware_address);
        assert_eq!(r.demand_kw, Some(s.demand_kw), "demand of seq {}", row.seq);
        assert_eq!(
            r.delivered_kwh, s.delivered_kwh,
            "delivered of seq {}",
            row.seq
        );
        assert_eq!(
            r.received_kwh,
            Some(s.received_kwh),
            "received of seq {}",
            row.seq
        );
    }
    let seqs: Vec<i64> = outcome.rows.iter().map(|r| r.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] > w[0]),
        "seqs not increasing: {seqs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_land_with_right_values_and_repeats_are_not_stored() {
    // Polling every second against a meter that updates every 2 s: about half the polls are repeats.
    let outcome = run_profile(
        Profile::Eagle200_2019,
        Duration::from_secs(1),
        Duration::from_secs(2),
        Duration::from_millis(7_500),
    )
    .await;
    assert_rows_match_served(&outcome);
    let repeats = outcome
        .events
        .iter()
        .filter(|e| matches!(e, DaemonEvent::Repeat))
        .count();
    assert!(repeats >= 2, "expected repeats, got {repeats}");
    assert!(outcome.rows.len() >= 3, "{} rows", outcome.rows.len());
    assert_eq!(outcome.sim.stats().max_in_flight, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_export_is_stored_negative() {
    let outcome = run_fast(Profile::NegativeExport, Duration::from_millis(6_500)).await;
    assert_rows_match_served(&outcome);
    assert!(
        outcome
            .rows
            .iter()
            .any(|r| r.reading.demand_kw.is_some_and(|d| d.is_sign_negative())),
        "no negative demand stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_firmware_profile_is_read_exactly() {
    for profile in [
        Profile::Eagle200_2017,
        Profile::Eagle200_2018,
        Profile::Eagle200_2021,
        Profile::Eagle3,
        Profile::Hybrid,
        Profile::RawAmpersand,
        Profile::Legacy,
    ] {
        let outcome = run_fast(profile, Duration::from_millis(3_500)).await;
        assert_rows_match_served(&outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stale_not_joined_meter_is_never_chosen() {
    let outcome = run_fast(Profile::StaleMeterFirst, Duration::from_millis(3_500)).await;
    assert_rows_match_served(&outcome);
    let live = &outcome.sim.served()[0].hardware_address;
    assert!(outcome.rows.iter().all(|r| &r.reading.meter == live));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summation_reset_never_stores_a_zero() {
    let outcome = run_fast(Profile::SummationReset, Duration::from_millis(12_500)).await;
    assert_rows_match_served(&outcome);
    assert!(
        outcome
            .rows
            .iter()
            .any(|r| r.reading.delivered_kwh.is_none()),
        "the sim served no reset in this window"
    );
    assert!(outcome
        .rows
        .iter()
        .all(|r| r.reading.delivered_kwh.is_none_or(|d| !d.is_zero())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_install_code_gives_the_credential_error_and_stores_nothing() {
    let sim = start_sim(Profile::Eagle200_2019, Duration::from_secs(1)).await;
    let url = format!("http://{}", sim.local_addr());
    let mut settings = common::eagle_settings(&url, Duration::from_secs(5));
    settings.install_code = rainforest_logger::config::Secret::new("ffffffffffffffff");
    let outcome = log_for(
        sim,
        settings,
        Duration::from_secs(1),
        Duration::from_millis(2_500),
    )
    .await;
    assert!(outcome.rows.is_empty());
    assert!(outcome.events.iter().all(|e| matches!(
        e,
        DaemonEvent::PollFailed {
            kind: "unauthorized",
            needs_config: true,
            ..
        }
    )));
    let status = outcome.store.status().unwrap();
    let error = status.last_error.unwrap();
    assert_eq!(error.name, "eagle.unauthorized");
    let message = error.last_message.unwrap();
    assert!(message.contains("cloud_id 0123ab"), "{message}");
    assert!(
        !message.contains("ffffffffffffffff"),
        "the install code leaked: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_bursts_neither_crash_nor_double_poll() {
    let outcome = run_fast(Profile::Busy, Duration::from_millis(15_500)).await;
    assert_rows_match_served(&outcome);
    let stats = outcome.sim.stats();
    assert!(
        stats.by_status.get(&503).copied().unwrap_or(0) >= 3,
        "{stats:?}"
    );
    assert_eq!(stats.max_in_flight, 1);
    assert!(outcome
        .events
        .iter()
        .any(|e| matches!(e, DaemonEvent::PollFailed { kind: "busy", .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_second_replies_with_a_six_second_grid() {
    // Real 6 s grid, 10 s timeout, every reply takes 8 s (the first poll lists devices too,
    // 2 × 8 s). Ticks that fall inside a reply fire once, late; never two requests at once.
    let outcome = run_profile(
        Profile::Slow,
        Duration::from_secs(6),
        Duration::from_secs(2),
        Duration::from_secs(27),
    )
    .await;
    let stats = outcome.sim.stats();
    assert_eq!(stats.max_in_flight, 1);
    assert!(!outcome.rows.is_empty());
    assert_rows_match_served(&outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_eagle_is_counted_not_fatal() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = start_sim(Profile::Eagle200_2019, Duration::from_secs(1)).await;
    let settings =
        common::eagle_settings(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let outcome = log_for(
        sim,
        settings,
        Duration::from_secs(1),
        Duration::from_millis(2_500),
    )
    .await;
    assert!(outcome.rows.is_empty());
    let status = outcome.store.status().unwrap();
    let connect = common::counter(&status, "eagle.connect");
    assert_eq!(connect.count, 3);
}
