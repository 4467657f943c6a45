//! The household page on its own, for tests of its HTTP side: no logger and no simulator, so
//! a test can run it on tokio's paused clock; and a raw client that sends bytes and reads the
//! whole reply.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rainforest_logger::clock::SystemClock;
use rainforest_logger::daemon::DaemonEvent;
use rainforest_logger::health::LedState;
use rainforest_logger::store::{SharedStore, Store};
use rainforest_logger::upload::UploadStatus;
use rainforest_logger::web::{self, PageSources, WebHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};

/// A running page and the channels that feed it (it stops when the daemon's events end, so
/// they are kept here).
pub struct OwnPage {
    /// The running server.
    pub handle: WebHandle,
    /// Where it listens.
    pub addr: SocketAddr,
    _events: broadcast::Sender<DaemonEvent>,
    _led: watch::Sender<LedState>,
    _upload: watch::Sender<UploadStatus>,
}

/// Serves the page on a free loopback port over a new, empty buffer in `dir`.
pub async fn own_page(dir: &Path) -> OwnPage {
    let (events_sender, events) = broadcast::channel(16);
    let (led_sender, led) = watch::channel(LedState::Healthy);
    let (upload_sender, upload) = watch::channel(UploadStatus::default());
    let store = SharedStore::new(Store::open(&dir.join("readings.db")).unwrap());
    let sources = PageSources {
        events,
        led,
        upload,
        store,
        clock: Arc::new(SystemClock::new()),
    };
    let handle = web::start(SocketAddr::from(([127, 0, 0, 1], 0)), sources)
        .await
        .unwrap();
    OwnPage {
        addr: handle.local_addr(),
        handle,
        _events: events_sender,
        _led: led_sender,
        _upload: upload_sender,
    }
}

/// Sends `request` on a new connection to `page` and returns everything the page sent before
/// it closed the connection (a reset after the reply ends it too). Fails the test when the
/// page keeps the connection open for a minute.
pub async fn exchange(page: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(page).await.unwrap();
    // The page may answer before it has read everything (a head over its limit), and close.
    let _ = stream.write_all(request).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut chunk = [0; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => reply.extend_from_slice(&chunk[..read]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the page kept the connection open; it sent {:?}",
        String::from_utf8_lossy(&reply)
    );
    String::from_utf8_lossy(&reply).into_owned()
}
