//! The household page (`[web]`): loaded in a real headless Chromium from the logger wired as
//! `run` wires it, against the simulator; its bounds (streams, connections, methods); and the
//! real `run` serving it only when `web.enable` is set.

use crate::common;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::binary::{write_config, Logger, Target};
use common::chromium::Browser;
use common::page::exchange;
use common::rig::wait_until;
use common::service::{start_logger, start_with};
use rainforest_logger::health::LedState;
use rainforest_logger::store::Store;
use rainforest_logger::web::{MAX_CONNECTIONS, MAX_STREAMS};

/// The number an element shows, e.g. `reading_seq` or `received`.
fn number(texts: &HashMap<String, String>, id: &str) -> i64 {
    texts
        .get(id)
        .and_then(|text| text.parse().ok())
        .unwrap_or(-1)
}

/// Waits until the buffer at `db` holds a reading.
async fn wait_for_a_reading(db: &Path) {
    wait_until("a stored reading", || {
        Store::open(db).is_ok_and(|store| store.latest().is_ok_and(|latest| latest.is_some()))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_shows_live_demand_and_the_led_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let sim = common::start_simulator(Duration::from_millis(150)).await;
    let mut logger = start_logger(&sim, &db, &dir.path().join("bucket"), true).await;
    wait_for_a_reading(&db).await;
    let url = format!("http://{}/", logger.page.unwrap());

    let texts = tokio::task::block_in_place(|| {
        let mut browser = Browser::open(&url);
        // Two new readings arrived over the event stream, without a reload.
        let texts = browser.wait_for("two live readings", |texts| {
            number(texts, "received") >= 2 && texts.get("live").map(String::as_str) == Some("on")
        });
        (browser, texts)
    });
    let (mut browser, live) = texts;
    // What it shows is the simulator's reading, as the buffer holds it.
    let seq = number(&live, "reading_seq");
    let stored = Store::open(&db)
        .unwrap()
        .readings_after(seq - 1, 1)
        .unwrap();
    let stored = &stored[0].reading;
    let served = sim
        .served()
        .into_iter()
        .find(|served| Some(served.meter_time) == stored.meter_time)
        .expect("the shown reading was served by the simulator");
    assert_eq!(
        live["demand"],
        format!("{} kW", served.demand_kw.normalize())
    );
    assert_eq!(live["led_state"], "healthy");
    assert_eq!(live["led_advice"], LedState::Healthy.advice());
    assert!(live["version"].starts_with(env!("CARGO_PKG_VERSION")));
    // A later reading replaces it in place.
    let later = tokio::task::block_in_place(|| {
        browser.wait_for("a later reading", |texts| {
            number(texts, "reading_seq") > seq + 2
        })
    });
    assert!(number(&later, "received") > number(&live, "received"));

    // The EAGLE goes away: the LED state on the page follows, with what to do.
    sim.shutdown().await;
    logger.wait_for(LedState::EagleUnreachable).await;
    let dark = tokio::task::block_in_place(|| {
        browser.wait_for("EAGLE unreachable", |texts| {
            texts.get("led_state").map(String::as_str) == Some("EAGLE unreachable")
        })
    });
    assert_eq!(dark["led_meaning"], LedState::EagleUnreachable.meaning());
    assert_eq!(dark["led_advice"], LedState::EagleUnreachable.advice());
    drop(browser);
    logger.stop().await;
}

#[test]
fn the_page_advice_is_the_readme_led_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap()
        .replace('`', "");
    for state in LedState::ALL {
        let row = readme
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("| **{state}**")))
            .unwrap_or_else(|| panic!("README's LED table has no row for {state}"));
        assert!(
            row.ends_with(&format!("| {} |", state.advice())),
            "README's \"what to do\" for {state} differs from the page's: {row}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_get_and_head_and_only_a_few_viewers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let sim = common::start_simulator(Duration::from_millis(150)).await;
    let logger = start_logger(&sim, &db, &dir.path().join("bucket"), true).await;
    let page = logger.page.unwrap();
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{page}{path}");

    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let reply = client.request(method, url("/")).send().await.unwrap();
        assert_eq!(reply.status(), 405);
        assert_eq!(reply.headers()["allow"], "GET, HEAD");
    }
    assert_eq!(
        client.get(url("/settings")).send().await.unwrap().status(),
        404
    );
    let head = client.head(url("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.bytes().await.unwrap().is_empty());
    // Request headers beyond the 16 KiB buffer are refused, and the server serves on.
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let refused = exchange(page, huge.as_bytes()).await;
    assert!(refused.starts_with("HTTP/1.1 431 "), "{refused}");
    let page_html = client.get(url("/")).send().await.unwrap();
    assert_eq!(page_html.status(), 200);
    assert!(page_html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));

    // MAX_STREAMS live viewers, each getting the current view at once; one more is refused.
    let mut streams = Vec::new();
    for _ in 0..MAX_STREAMS {
        let mut stream = client.get(url("/events")).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        let first = stream.chunk().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&first)
            .unwrap()
            .contains("data: {\"demand\""));
        streams.push(stream);
    }
    let refused = client.get(url("/events")).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "15");
    // A viewer who leaves frees the slot.
    drop(streams.pop());
    wait_until_async("a free stream slot", || async {
        client.get(url("/events")).send().await.unwrap().status() == 200
    })
    .await;
    drop(streams);

    // Connections that send nothing hold their slot until the header timeout; the one beyond
    // the limit gets 503 at once, without being read.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect(page).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = exchange(page, b"").await;
    assert!(busy.starts_with("HTTP/1.1 503 "), "{busy}");
    assert!(busy.contains("Retry-After: 15"), "{busy}");
    drop(idle);
    logger.stop().await;
    sim.shutdown().await;
}

/// Retries `check` every 100 ms for up to 10 s.
async fn wait_until_async<F: std::future::Future<Output = bool>>(
    what: &str,
    check: impl Fn() -> F,
) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {what} within 10 s");
}

/// A loopback port nothing listens on right now.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A config for the real `run` against `sim` with `[web]` as given.
fn config_with_web(dir: &Path, sim: SocketAddr, web: &str) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    let db = dir.join("readings.db");
    write_config(&config, sim, &db, Target::Directory(&dir.join("bucket")));
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(web);
    std::fs::write(&config, text).unwrap();
    config
}

/// `run` with the config of [`config_with_web`], once it has stored a reading.
async fn run_with_web(dir: &Path, sim: SocketAddr, web: &str) -> Logger {
    let logger = Logger::start(&config_with_web(dir, sim, web));
    wait_for_a_reading(&dir.join("readings.db")).await;
    logger
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_page_only_when_enabled() {
    let sim = common::start_simulator(Duration::from_millis(500)).await;
    let page = free_port();

    // Off (listen given, enable left at its default): logging works, nothing listens.
    let dir = tempfile::tempdir().unwrap();
    let web = format!("[web]\nlisten = \"{page}\"\n");
    let logger = run_with_web(dir.path(), sim.local_addr(), &web).await;
    let refused = TcpStream::connect(page).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    logger.stop();

    // On: the page, with the reading `run` stored.
    let dir = tempfile::tempdir().unwrap();
    let web = format!("[web]\nenable = true\nlisten = \"{page}\"\n");
    let logger = run_with_web(dir.path(), sim.local_addr(), &web).await;
    let html = wait_for_page(page).await;
    assert!(html.contains("<meta name=\"viewport\""), "{html}");
    assert!(html.contains(" kW</p>"), "no demand shown: {html}");
    assert!(html.contains(env!("CARGO_PKG_VERSION")), "{html}");
    logger.stop();
    // Stopped: the port is closed again.
    assert!(TcpStream::connect(page).is_err());
    sim.shutdown().await;
}

/// GETs `/` from `page` until it answers (the logger is starting) and returns the HTML.
async fn wait_for_page(page: SocketAddr) -> String {
    for _ in 0..100 {
        if let Ok(reply) = reqwest::get(format!("http://{page}/")).await {
            assert_eq!(reply.status(), 200);
            return reply.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no page at {page} within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_cannot_listen_never_stops_the_logging() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let sim = common::start_simulator(Duration::from_millis(150)).await;
    // Something else holds the port `web.listen` names.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap();
    let mut logger = start_with(&sim, &db, &dir.path().join("bucket"), |settings| {
        settings.web.enable = true;
        settings.web.listen = listen;
    })
    .await;
    assert_eq!(logger.page, None);
    // Logging goes on, and the LED says all is well: the page is not the logger's job.
    wait_for_a_reading(&db).await;
    logger.wait_for(LedState::Healthy).await;
    let stored = Store::open(&db).unwrap().status().unwrap().readings_stored;
    wait_until("more readings", || {
        Store::open(&db).unwrap().status().unwrap().readings_stored > stored
    })
    .await;
    logger.stop().await;
    drop(taken);
    sim.shutdown().await;
}
