//! A minimal loopback HTTP server that answers every request with bytes the test chooses
//! from the request body: recorded replies of real devices, or hostile ones, served to the
//! real EAGLE client exactly as they are (no simulator in between).

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Chooses the reply body for a request body (the `<Command>` text the client sent).
pub type Answer = dyn Fn(&str) -> Vec<u8> + Send + Sync;

/// A running replay server; stops when dropped.
pub struct Replay {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Replay {
    /// Serves `answer` on a free loopback port: every request gets `200 OK` with
    /// `Content-Type: text/html` (what the EAGLE sends) and the chosen body.
    pub async fn start(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Replay {
        let answer: Arc<Answer> = Arc::new(answer);
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
            let answer = answer.clone();
            async move {
                let body = request.into_body().collect().await;
                let body = body.map(|b| b.to_bytes()).unwrap_or_default();
                let reply = answer(&String::from_utf8_lossy(&body));
                let response = Response::builder()
                    .header("Content-Type", "text/html")
                    .body(Full::new(Bytes::from(reply)))
                    .unwrap();
                Ok::<_, Infallible>(response)
            }
        });
        let task = super::http::serve(listener, service);
        Replay { addr, task }
    }

    /// `http://127.0.0.1:port`, for `eagle.host`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
