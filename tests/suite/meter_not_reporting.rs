//! A meter that stops reporting (the EAGLE answers, `Connected`, every value empty: 2025
//! firmware, HA #149350): nothing is stored, the replies are counted, and once the silence
//! threshold passes the LED, `status` and the heartbeat say "meter not reporting"; healthy
//! again when values return. The daemon, health model, LED indicator and upload engine are
//! wired as `run` wires them (tests/suite/common/service.rs), against the simulator, with the
//! silence shortened to 1.5 s (the 60 s default is covered by the health model's own tests).

use crate::common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::binary::{write_config, Target};
use common::rig::{wait_until, HOUSEHOLD};
use common::service::start_logger;
use rainforest_eagle_sim::{self as sim, Fault, Profile, SimConfig, SimHandle};
use rainforest_logger::health::LedState;
use rainforest_logger::store::{Counter, Store};

/// The heartbeat's `led_state`, once the heartbeat exists.
fn heartbeat_led(bucket: &Path) -> Option<String> {
    let path = bucket.join(format!("status/household={HOUSEHOLD}.json"));
    let text = std::fs::read_to_string(path).ok()?;
    let heartbeat: serde_json::Value = serde_json::from_str(&text).ok()?;
    heartbeat["led_state"].as_str().map(str::to_string)
}

/// Waits until the heartbeat says `expected`.
async fn wait_for_heartbeat(bucket: &Path, expected: &str) {
    wait_until(&format!("a heartbeat saying {expected:?}"), || {
        heartbeat_led(bucket).as_deref() == Some(expected)
    })
    .await;
}

/// `rainforest-logger status` on the buffer, as staff run it.
fn status_output(dir: &Path, sim: &SimHandle, db: &Path) -> String {
    let config = dir.join("config.toml");
    write_config(
        &config,
        sim.local_addr(),
        db,
        Target::Directory(&dir.join("bucket")),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["status", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_that_stops_reporting_is_shown_until_values_return() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let bucket = dir.path().join("bucket");
    let sim = sim::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimConfig {
            profile: Profile::Eagle3,
            meter_update: Some(Duration::from_millis(100)),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    sim.set_fault(Some(Fault::NoValues));

    // Every value empty: past the silence the LED and the heartbeat say so; nothing stored.
    let mut logger = start_logger(&sim, &db, &bucket, false).await;
    logger.wait_for(LedState::MeterNotReporting).await;
    wait_for_heartbeat(&bucket, "meter not reporting").await;
    logger.stop().await;
    let report = Store::open(&db).unwrap().status().unwrap();
    assert_eq!(report.readings_stored, 0);
    // Every reply is counted: as many as the EAGLE answered, less at most the one the stop
    // abandoned in flight (how many fit before the verdict depends on the machine's speed).
    let answered = sim.stats().by_command["device_query"];
    let counted = Counter::NoValues
        .find(&report.events)
        .map_or(0, |e| e.count);
    assert!(
        counted >= 1 && counted <= answered && counted + 1 >= answered,
        "{counted} counted, {answered} answered: {:?}",
        report.events
    );
    let status = status_output(dir.path(), &sim, &db);
    assert!(
        status.contains("health           meter not reporting: the EAGLE answered without values"),
        "{status}"
    );

    // Running again, still empty: the same verdict; then values return: healthy, stored.
    let mut logger = start_logger(&sim, &db, &bucket, false).await;
    logger.wait_for(LedState::MeterNotReporting).await;
    sim.set_fault(None);
    logger.wait_for(LedState::Healthy).await;
    wait_for_heartbeat(&bucket, "healthy").await;
    logger.stop().await;
    let report = Store::open(&db).unwrap().status().unwrap();
    assert!(report.readings_stored > 0);
    let status = status_output(dir.path(), &sim, &db);
    assert!(!status.contains("health "), "{status}");
    sim.shutdown().await;
}
