//! Simulator → the assembled logger (daemon, upload engine, supervisor) → S3 server, all
//! real, over loopback; and `fleet`
//! reading the heartbeats back.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::binary::write_admin_config;
use common::binary::Target;
use common::clock::ScaledClock;
use common::rig;
use common::s3::{self, S3Server, BUCKET};
use common::FakeClock;
use rainforest_eagle_sim::Fault;
use rainforest_logger::clock::Clock;
use rainforest_logger::daemon::shutdown_channel;
use rainforest_logger::logger::Logger;
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::{S3Sink, UploadPolicy, Uploader};

/// The shared test policy for `period`, settling 1 s and checking every 300 ms of real time,
/// so that periods go out promptly on the scaled clock.
fn policy(household: &str, period: Duration) -> UploadPolicy {
    UploadPolicy {
        settle: Duration::from_secs(1),
        check_every: Duration::from_millis(300),
        ..s3::policy(household, "", period)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_flow_from_the_eagle_to_s3() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let simulator = common::start_simulator(Duration::from_millis(500)).await;
    // Wall time runs 60 times faster than real time: a one-minute period completes every
    // real second.
    let clock: Arc<dyn Clock> = ScaledClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap(),
        60,
        true,
    );
    let minute = Duration::from_secs(60);
    let url = format!("http://{}", simulator.local_addr());
    let mut settings = rig::settings("h-e2e", &url, dir.path());
    settings.eagle.timeout = Duration::from_secs(5);
    settings.s3 = server.settings(minute);
    let db = settings.storage.path.clone();
    let sink = S3Sink::new(&settings.s3).unwrap();
    let mut parts = rig::parts(settings, clock, sink);
    parts.policy = policy("h-e2e", minute);
    let logger = Logger::assemble(parts).await.unwrap();
    let (trigger, shutdown) = shutdown_channel();
    let running = tokio::spawn(logger.run(shutdown.wait()));
    let reader = Store::open(&db).unwrap();
    let rows = || reader.readings_after(0, 1000).unwrap();
    rig::wait_until("six readings", || rows().len() >= 6).await;
    // The EAGLE stops answering, so the readings stop; once their periods have closed every
    // one of them goes out.
    simulator.set_fault(Some(Fault::ServiceUnavailable));
    rig::wait_until("every reading uploaded", || {
        rows().iter().all(|row| row.uploaded)
    })
    .await;
    trigger.fire();
    running.await.unwrap();

    let rows = rows();
    // Every row is in S3 once, with the values the simulated EAGLE served.
    let served: HashMap<_, _> = simulator
        .served()
        .into_iter()
        .map(|s| (s.meter_time, s))
        .collect();
    let mut in_s3: HashMap<i64, serde_json::Value> = HashMap::new();
    for key in server.keys().iter().filter(|k| k.starts_with("readings/")) {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&server.object(key)[..]),
            &mut text,
        )
        .unwrap();
        for line in text.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let seq = row["seq"].as_i64().unwrap();
            assert!(in_s3.insert(seq, row).is_none(), "seq {seq} in S3 twice");
        }
    }
    assert!(rows.iter().all(|r| r.uploaded), "{rows:?}");
    for row in &rows {
        let object_row = &in_s3[&row.seq];
        let s = &served[&row.reading.meter_time.unwrap()];
        assert_eq!(
            object_row["demand_kw"].to_string(),
            s.demand_kw.normalize().to_string()
        );
        assert_eq!(object_row["meter"], s.hardware_address.as_str());
    }
    assert_eq!(in_s3.len(), rows.len());
    assert!(server
        .keys()
        .contains(&"status/household=h-e2e.json".to_string()));
    simulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_lists_households_and_flags_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(&dir.path().join("s3")).await;
    let hour = Duration::from_secs(3600);
    let now = Utc::now();
    for (household, written) in [
        ("h-live", now),
        ("h-quiet", now - chrono::Duration::hours(3)),
    ] {
        let store =
            SharedStore::new(Store::open(&dir.path().join(format!("{household}.db"))).unwrap());
        let clock = FakeClock::new(written, true);
        let sink = S3Sink::new(&server.settings(hour)).unwrap();
        let report = Uploader::new(sink, store, clock, policy(household, hour))
            .cycle(false)
            .await;
        assert!(report.error.is_none());
    }
    let config = dir.path().join("admin.toml");
    write_admin_config(&config, Target::S3(&server));
    // Age comes from the store's own time, not the body's: h-quiet's object is 3 h old.
    let quiet = server
        .root
        .join(BUCKET)
        .join("status/household=h-quiet.json");
    common::fleet::set_stored(&quiet, now - chrono::Duration::hours(3));
    let bin = env!("CARGO_BIN_EXE_rainforest-logger");
    let output = tokio::process::Command::new(bin)
        .args(["fleet", "--json", "--config", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    // A stale household needs attention: exit 3.
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let summary: Vec<(String, String)> = report["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["heartbeat"]["household"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Worst first.
    assert_eq!(
        summary,
        [
            ("h-quiet".to_string(), "stale".to_string()),
            ("h-live".to_string(), "healthy".to_string())
        ]
    );

    let table = tokio::process::Command::new(bin)
        .args(["fleet", "--config", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("h-quiet") && l.contains("no heartbeat for 3 h")),
        "{text}"
    );
    assert!(
        !text.contains("h-live"),
        "only households needing attention: {text}"
    );
    assert!(
        text.starts_with("2 households: 1 healthy, 1 stale,"),
        "{text}"
    );
}
