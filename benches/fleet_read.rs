//! Reads 10,000 heartbeats from a real S3-compatible server on loopback (s3s-fs, in-process,
//! verifying signatures) the way `fleet` does (list, then bounded concurrent ranged GETs),
//! judges them, renders the text and HTML reports, and reports seconds and peak RSS.
//!
//!     cargo bench --bench fleet_read [-- HOUSEHOLDS]
//!
//! Peak RSS is reset (clear_refs) after the bucket is filled, so it measures the read; it
//! includes the in-process server.

#[path = "support/peak_rss.rs"]
mod peak_rss;

#[path = "../tests/suite/common/http.rs"]
mod http;

#[path = "../tests/suite/common/s3.rs"]
#[allow(dead_code)] // shared with the tests, which use all of it
mod s3;

#[path = "../tests/suite/common/fleet.rs"]
#[allow(dead_code)]
mod fleet_data;

use std::time::{Duration, Instant};

use chrono::Utc;
use rainforest_logger::fleet;
use rainforest_logger::upload::{ConfiguredSink, S3Sink};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let households: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    std::fs::create_dir_all("target").unwrap();
    let dir = tempfile::tempdir_in("target").unwrap();
    let server = s3::S3Server::start(&dir.path().join("s3")).await;
    let bucket = server.root.join(s3::BUCKET);
    let now = Utc::now();
    let states = [
        "healthy",
        "healthy",
        "healthy",
        "EAGLE unreachable",
        "upload failing",
    ];
    for i in 0..households {
        let id = format!("h-{i:05}");
        let led = states[i % states.len()];
        let body = fleet_data::heartbeat(&id, now, led, 1.0).to_json();
        fleet_data::put_status(&bucket, &format!("household={id}.json"), &body, now);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let sink =
        ConfiguredSink::S3(S3Sink::new(&server.settings(Duration::from_secs(3600))).unwrap());

    let started = Instant::now();
    let objects = fleet::read_status_objects(&sink, "").await.unwrap();
    let read = started.elapsed();
    let assessed = fleet::assess_all(objects, Utc::now(), Duration::from_secs(7200));
    let text = fleet::render_text(&assessed, false);
    let html = fleet::render_html(&assessed, Utc::now());
    let total = started.elapsed();
    assert_eq!(assessed.len(), households);
    println!(
        "{households} heartbeats: read in {:.2} s ({} GETs in flight at most), read + judged + \
         rendered in {:.2} s; text report {} KiB, HTML report {} KiB; peak RSS {} MiB",
        read.as_secs_f64(),
        fleet::CONCURRENCY,
        total.as_secs_f64(),
        text.len() / 1024,
        html.len() / 1024,
        peak_rss::vm_hwm_kib("self") / 1024
    );
}
