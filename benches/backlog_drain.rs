//! Drains a 30-day backlog (432,000 readings, one every 6 s) to a real S3-compatible server on
//! loopback (s3s-fs, verifying signatures and Content-MD5), and reports seconds, objects, bytes
//! per reading in S3, and the peak RSS of the logger's side.
//!
//!     cargo bench --bench backlog_drain [-- READINGS]
//!
//! The server runs in a child process (this bench binary again, with `DRAIN_SERVER_ROOT` set),
//! so the logger's peak RSS is its own; the server's is reported beside it. The logger side
//! runs on a current-thread runtime, the shape `run` uses. The buffer lives under target/ (a
//! real disk, not tmpfs); it is written in chunks, and peak RSS is reset (clear_refs) before
//! the drain, so the figure is the drain's.

#[path = "support/peak_rss.rs"]
mod peak_rss;

#[path = "../tests/suite/common/http.rs"]
mod http;

#[path = "../tests/suite/common/s3.rs"]
#[allow(dead_code)] // shared with the tests, which use all of it
mod s3;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
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

/// 30 days at the shipped 6 s poll interval.
const THIRTY_DAYS: i64 = 30 * 86_400 / 6;

/// Set in the child: serve this directory as the S3 server until stdin closes.
const SERVER_ROOT: &str = "DRAIN_SERVER_ROOT";

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

fn main() {
    if let Some(root) = std::env::var_os(SERVER_ROOT) {
        serve(Path::new(&root));
        return;
    }
    let readings: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(THIRTY_DAYS);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(drain(readings));
}

/// The child: an S3 server on a free loopback port, its endpoint printed on stdout, until the
/// parent closes stdin (or dies).
fn serve(root: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(s3::S3Server::start(root));
    println!("{}", server.endpoint());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// One reading of the backlog: `i` polls after `start`.
fn reading(start: DateTime<Utc>, i: i64) -> Reading {
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
}

async fn drain(readings: i64) {
    std::fs::create_dir_all("target").unwrap();
    let dir = tempfile::tempdir_in("target").unwrap();
    let root = dir.path().join("s3");
    let mut server = Command::new(std::env::current_exe().unwrap())
        .env(SERVER_ROOT, &root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut endpoint = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut endpoint)
        .unwrap();

    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut store = Store::open(&dir.path().join("readings.db")).unwrap();
    // In chunks: the whole backlog in memory at once would be the peak the drain is reset to.
    for first in (0..readings).step_by(10_000) {
        let chunk: Vec<Reading> = (first..readings.min(first + 10_000))
            .map(|i| reading(start, i))
            .collect();
        store.insert_all(&chunk).unwrap();
    }
    let db_bytes = store.used_bytes().unwrap();

    let settings = s3::settings_for(endpoint.trim(), HOUR);
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
    let rss_before = peak_rss::vm_hwm_kib("self");
    let started = Instant::now();
    let report = uploader.cycle(false).await;
    let seconds = started.elapsed().as_secs_f64();
    let rss_drain = peak_rss::vm_hwm_kib("self");
    let rss_server = peak_rss::vm_hwm_kib(&server.id().to_string());
    assert!(report.error.is_none(), "{:?}", report.error);
    let pending = store.call(|s| s.status().unwrap().pending_upload).await;
    let object_bytes: usize = report.objects.iter().map(|o| o.bytes).sum();
    let rows: usize = report.objects.iter().map(|o| o.rows).sum();
    println!(
        "backlog           {readings} readings ({:.1} days at 6 s), buffer {:.1} MiB",
        readings as f64 * 6.0 / 86_400.0,
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
        "peak RSS          logger {:.1} MiB during the drain (was {:.1} MiB before); \
         server (child process) {:.1} MiB",
        rss_drain as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        rss_server as f64 / 1024.0
    );
    assert_eq!(rows as i64, readings, "every reading uploaded once");
    assert_eq!(pending, 0);
    assert_eq!(
        s3::objects_in(&root.join(s3::BUCKET)).len(),
        report.objects.len() + 1,
        "objects + heartbeat"
    );
    drop(server.stdin.take());
    server.wait().unwrap();
}
