//! Hostile replies under the 1 MiB size cap (anything answering at the EAGLE's address can
//! send them): 20,000 elements deep, 80,000 attributes, deep JSON. Each is refused within
//! 100 ms of CPU, and the daemon keeps polling and stores the next good reading.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::replay::{fixture, Replay};
use rainforest_logger::daemon::DaemonEvent;
use rainforest_logger::eagle::device_list::parse_device_list;
use rainforest_logger::eagle::device_query::parse_device_query;
use rainforest_logger::eagle::legacy::{parse_demand, parse_price};
use rainforest_logger::eagle::transport::MAX_REPLY_BYTES;
use rainforest_logger::eagle::{Eagle, EagleError};
use rainforest_logger::store::Store;

/// The acceptance bound for refusing one hostile reply.
const CPU_LIMIT: Duration = Duration::from_millis(100);

/// `<Device>` with 20,000 nested elements inside (~140 kB).
fn deep_reply() -> String {
    format!(
        "<Device>{}{}</Device>",
        "<a>".repeat(20_000),
        "</a>".repeat(20_000)
    )
}

/// `<Device>` with 80,000 distinct attributes (~900 kB): distinct, so a duplicate check has to
/// compare them all.
fn attribute_reply() -> String {
    let attributes: String = (0..80_000).map(|i| format!(" a{i}=\"\"")).collect();
    format!("<Device{attributes}><DeviceDetails/></Device>")
}

/// CPU time this thread has used so far (nanosecond clock; getrusage counts in ticks).
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    assert_eq!(
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) },
        0
    );
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Runs `parse` on `body`, checks it is refused as `kind` within [`CPU_LIMIT`], and prints
/// the CPU time (`cargo test --test suite hostile_replies:: -- --nocapture` shows it).
fn refused_cheaply<T: std::fmt::Debug>(
    what: &str,
    body: &str,
    kind: &str,
    parse: impl Fn(&str) -> Result<T, EagleError>,
) {
    assert!(body.len() < MAX_REPLY_BYTES, "{what}: {} bytes", body.len());
    let before = thread_cpu();
    let result = parse(body);
    let spent = thread_cpu() - before;
    println!("{what} ({} bytes): refused in {spent:?} of CPU", body.len());
    assert_eq!(result.unwrap_err().kind(), kind, "{what}");
    assert!(spent < CPU_LIMIT, "{what}: {spent:?} of CPU");
}

#[test]
fn deep_and_attribute_heavy_xml_is_refused_within_100_ms_of_cpu() {
    let deep = deep_reply();
    let attributes = attribute_reply();
    refused_cheaply("deep device_query", &deep, "too-deep", parse_device_query);
    refused_cheaply(
        "attribute-heavy device_query",
        &attributes,
        "too-many-attributes",
        parse_device_query,
    );
    let deep_list = deep.replace("Device>", "DeviceList>");
    refused_cheaply(
        "deep device_list",
        &deep_list,
        "too-deep",
        parse_device_list,
    );
    refused_cheaply(
        "attribute-heavy device_list",
        &attributes,
        "too-many-attributes",
        parse_device_list,
    );
}

#[test]
fn hostile_legacy_json_is_refused_within_100_ms_of_cpu() {
    // serde_json stops at 128 levels instead of recursing 500,000 deep.
    let deep = format!(
        "{{\"InstantaneousDemand\":{}{}}}",
        "[".repeat(500_000),
        "]".repeat(500_000)
    );
    refused_cheaply("deep legacy JSON", &deep, "bad-json", parse_demand);
    // Also in the missing-braces retry, which wraps the body once more.
    let bare = format!("\"PriceCluster\":{}", "{\"a\":".repeat(150_000));
    refused_cheaply("deep bare legacy JSON", &bare, "bad-json", parse_price);
}

#[test]
fn the_largest_replies_that_pass_the_bounds_parse_in_linear_time() {
    // Just under the cap, within the bounds: as many variables as fit, and as many JSON keys.
    let variable = "<Variable><Name>zigbee:X</Name><Value>1</Value></Variable>";
    let count = (MAX_REPLY_BYTES - 12_000) / variable.len();
    let xml = fixture_text("device_query_all_2019.xml").replace(
        "<Variables>",
        &format!("<Variables>{}", variable.repeat(count)),
    );
    let json: String = (0..50_000).map(|i| format!("\"k{i}\":\"0x1\",")).collect();
    let json = format!("{{\"InstantaneousDemand\":{{{json}\"Demand\":\"0x1\"}}}}");
    for (what, body, parse) in [
        ("widest device_query", &xml, check_query as fn(&str)),
        ("widest legacy JSON", &json, check_demand),
    ] {
        assert!(body.len() < MAX_REPLY_BYTES);
        let before = thread_cpu();
        parse(body);
        let spent = thread_cpu() - before;
        println!("{what} ({} bytes): parsed in {spent:?} of CPU", body.len());
        // Linear work on a megabyte, in an unoptimized test build on a shared machine or under
        // qemu-user (1.7 s seen there): the quadratic or recursive paths this guards against
        // take minutes or crash. The figure itself is a measurement (printed), not the test.
        assert!(spent < Duration::from_secs(10), "{what}: {spent:?}");
    }
}

fn check_query(body: &str) {
    assert_eq!(
        parse_device_query(body)
            .unwrap()
            .demand_kw
            .unwrap()
            .to_string(),
        "2.79"
    );
}

fn check_demand(body: &str) {
    let error = parse_demand(body).unwrap_err();
    assert_eq!(error.kind(), "bad-address", "{error}");
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_refuses_hostile_replies_and_stores_the_next_good_one() {
    let queries = Arc::new(AtomicUsize::new(0));
    let counted = queries.clone();
    let server = Replay::start(move |request| {
        if request.contains("device_list") {
            return fixture("device_list_2019.xml");
        }
        match counted.fetch_add(1, Ordering::SeqCst) {
            0 => deep_reply().into_bytes(),
            1 => attribute_reply().into_bytes(),
            _ => fixture("device_query_all_2019.xml"),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let eagle = Eagle::new(&common::eagle_settings(
        &server.url(),
        Duration::from_secs(2),
    ))
    .unwrap();
    let daemon = common::test_daemon(eagle, &db, Duration::from_millis(100));
    let mut events = daemon.subscribe();
    let running = tokio::spawn(daemon.run(async move {
        // Stop once a few more polls have run after the first stored reading.
        while queries.load(Ordering::SeqCst) < 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }));
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the daemon keeps polling")
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(match event {
            DaemonEvent::PollFailed { kind, .. } => kind.to_string(),
            DaemonEvent::Stored(row) => format!("stored {:?}", row.reading.demand_kw),
            DaemonEvent::Repeat => "repeat".to_string(),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(
        seen[..3],
        ["too-deep", "too-many-attributes", "stored Some(2.79)"],
        "{seen:?}"
    );
    let rows = Store::open(&db).unwrap().readings_after(0, 10).unwrap();
    assert_eq!(rows.len(), 1, "one good reading, its repeats deduplicated");
}
