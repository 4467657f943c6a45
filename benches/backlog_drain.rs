//! Drains a 7-day backlog (100,800 readings, one every 6 s) to a real S3-compatible server on
//! loopback (s3s-fs, in-process, verifying signatures), and reports seconds, objects, bytes
//! per reading in S3, and the peak RSS of the drain.
//!
//!     cargo bench --bench backlog_drain [-- READINGS]
//!
//! The buffer lives under target/ (a real disk, not tmpfs). Peak RSS is reset (clear_refs)
//! after the backlog is written, so it measures the drain; it includes the in-process server.

#[path = "support/peak_rss.rs"]
mod peak_rss;

#[path = "../tests/suite/common/http.rs"]
mod http;

#[path = "../tests/suite/common/s3.rs"]
#[allow(dead_code)] // shared with the tests, which use all of it
mod s3;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rainforest_logger::clock::Clock;
use rainforest_logger::reading::{ClockStamp, Reading};
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::{S3Sink, Uploader};
use rust_decimal::Decimal;

const HOUR: Duration = Duration::from_secs(3600);

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
    fn stamp(&self) -> ClockStamp {
        ClockStamp {
            synced: true,
            boot_id: "bench".into(),
            monotonic_ms: 1,
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let readings: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_800);
    std::fs::create_dir_all("target").unwrap();
    let dir = tempfile::tempdir_in("target").unwrap();
    let server = s3::S3Server::start(&dir.path().join("s3")).await;

    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut store = Store::open(&dir.path().join("readings.db")).unwrap();
    let batch: Vec<Reading> = (0..readings)
        .map(|i| {
            let time = start + chrono::Duration::seconds(6 * i);
            Reading {
                meter: "0x0013500100aa3ce7".into(),
                time,
                meter_time: Some(time),
                demand_kw: Some(Decimal::new(1000 + (i * 37) % 4000, 3)),
                delivered_kwh: Some(Decimal::new(91_937_250 + i * 3, 3)),
                received_kwh: Some(Decimal::from_str("0").unwrap()),
                price: Some(Decimal::new(884, 4)),
                currency: Some("USD".into()),
                rate_label: Some("Block 1".into()),
                tier: Some(0),
                clock: ClockStamp {
                    synced: true,
                    boot_id: "bench".into(),
                    monotonic_ms: 1,
                },
            }
        })
        .collect();
    for chunk in batch.chunks(10_000) {
        store.insert_all(chunk).unwrap();
    }
    drop(batch);
    let db_bytes = store.used_bytes().unwrap();

    let settings = server.settings(HOUR);
    let policy = s3::policy("h-bench", "", HOUR);
    let now = start + chrono::Duration::seconds(6 * readings) + chrono::Duration::hours(1);
    let store = SharedStore::new(store);
    let mut uploader = Uploader::new(
        S3Sink::new(&settings).unwrap(),
        store.clone(),
        Arc::new(FixedClock(now)),
        policy,
    );
    // Reset the peak-RSS mark so it reflects the drain, not building the backlog.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = peak_rss::vm_hwm_kib();
    let started = Instant::now();
    let report = uploader.cycle(false).await;
    let seconds = started.elapsed().as_secs_f64();
    assert!(report.error.is_none(), "{:?}", report.error);
    let pending = store.call(|s| s.status().unwrap().pending_upload).await;
    let object_bytes: usize = report.objects.iter().map(|o| o.bytes).sum();
    let rows: usize = report.objects.iter().map(|o| o.rows).sum();
    println!(
        "backlog           {readings} readings (7 days at 6 s = 100,800), buffer {:.1} MiB",
        db_bytes as f64 / 1048576.0
    );
    println!(
        "drain time        {seconds:.2} s ({:.0} readings/s)",
        rows as f64 / seconds
    );
    println!(
        "objects           {} (one per hour), {} rows, {} left pending",
        report.objects.len(),
        rows,
        pending
    );
    println!(
        "bytes in S3       {object_bytes} ({:.1} bytes per reading)",
        object_bytes as f64 / rows as f64
    );
    println!(
        "peak RSS          {:.1} MiB during the drain (was {:.1} MiB before)",
        peak_rss::vm_hwm_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    assert_eq!(
        server.keys().len(),
        report.objects.len() + 1,
        "objects + heartbeat"
    );
}
