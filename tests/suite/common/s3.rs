//! A real S3-compatible server (s3s-fs, which verifies SigV4 signatures and Content-MD5) on a
//! loopback port, started in-process by the tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::{service_fn, Service};

use rainforest_logger::config::{Endpoint, S3Settings, Secret};
use rainforest_logger::upload::{KeyTemplate, UploadPolicy, CHECK_EVERY, SETTLE};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const ACCESS_KEY: &str = "AKIDTESTHOUSEHOLD01";
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdefghij";
pub const BUCKET: &str = "iseif-rainforest";

/// A running server; objects live under `root/BUCKET/`.
pub struct S3Server {
    pub addr: SocketAddr,
    pub root: PathBuf,
    task: JoinHandle<()>,
    traffic: Arc<Traffic>,
}

/// Requests the server began and answered; the difference is requests whose client went
/// away before the answer (a killed logger mid-PUT).
#[derive(Debug, Default)]
struct Traffic {
    began: AtomicU64,
    answered: AtomicU64,
}

impl S3Server {
    /// Starts on a free port with a fresh root holding an empty bucket.
    pub async fn start(root: &Path) -> S3Server {
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        S3Server::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), root).await
    }

    /// Starts on `addr` serving `root` (to bring a stopped server back on the same port).
    pub async fn start_at(addr: SocketAddr, root: &Path) -> S3Server {
        S3Server::serve(addr, root, Duration::ZERO).await
    }

    /// Starts on a free port, taking `latency` before each answer, as a distant region
    /// does: a client killed at a random moment is then often killed in the middle of a PUT.
    pub async fn start_slow(root: &Path, latency: Duration) -> S3Server {
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        S3Server::serve(SocketAddr::from(([127, 0, 0, 1], 0)), root, latency).await
    }

    async fn serve(addr: SocketAddr, root: &Path, latency: Duration) -> S3Server {
        let fs = s3s_fs::FileSystem::new(root).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let traffic = Arc::new(Traffic::default());
        let counted = traffic.clone();
        let slowed = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let (service, traffic) = (service.clone(), counted.clone());
            async move {
                traffic.began.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(latency).await;
                let response = Service::call(&service, request).await;
                traffic.answered.fetch_add(1, Ordering::SeqCst);
                response
            }
        });
        let task = super::http::serve(listener, slowed);
        S3Server {
            addr,
            root: root.to_path_buf(),
            task,
            traffic,
        }
    }

    /// Requests whose client went away before they were answered.
    pub fn abandoned_requests(&self) -> u64 {
        let began = self.traffic.began.load(Ordering::SeqCst);
        began - self.traffic.answered.load(Ordering::SeqCst)
    }

    /// The endpoint URL for `s3.endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections (an outage); returns the address to restart on.
    pub fn stop(self) -> SocketAddr {
        self.task.abort();
        self.addr
    }

    /// Every object key in the bucket, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.objects().into_keys().collect()
    }

    /// Every object in the bucket, by key.
    pub fn objects(&self) -> BTreeMap<String, Vec<u8>> {
        objects_in(&self.root.join(BUCKET))
    }

    /// An object's bytes.
    pub fn object(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.root.join(BUCKET).join(key)).unwrap()
    }
}

impl S3Server {
    /// Settings of a logger uploading to this server with `batch_period`, no prefix.
    pub fn settings(&self, batch_period: Duration) -> S3Settings {
        settings_for(&self.endpoint(), batch_period)
    }
}

/// Settings of a logger uploading to `endpoint` with the test credentials, path-style, no
/// prefix.
pub fn settings_for(endpoint: &str, batch_period: Duration) -> S3Settings {
    S3Settings {
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        endpoint: Endpoint::Custom(endpoint.to_string()),
        path_style: true,
        prefix: String::new(),
        access_key_id: Some(Secret::new(ACCESS_KEY)),
        secret_access_key: Some(Secret::new(SECRET_KEY)),
        batch_period,
        key_template: None,
        fleet_spread: Duration::ZERO,
    }
}

/// What a [`HostileEndpoint`] answers to one request.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Extra headers, as raw bytes (so they can be what no real S3 sends).
    pub headers: Vec<(&'static str, Vec<u8>)>,
    /// The body: these bytes, or (with `endless`) this many bytes of `x`, made as they are
    /// sent, so the server holds none of them.
    pub body: Vec<u8>,
    /// Length of a generated body, if any.
    pub endless: Option<u64>,
}

impl Answer {
    /// `status` with `body` and no extra header.
    pub fn new(status: u16, body: &[u8]) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
            endless: None,
        }
    }

    /// The answer with one more header.
    pub fn header(mut self, name: &'static str, value: &[u8]) -> Answer {
        self.headers.push((name, value.to_vec()));
        self
    }
}

/// A loopback HTTP server that is not S3, for the answers a real S3 never gives on demand
/// (redirects, a captive portal's 200, huge error bodies, odd ETags): every request gets
/// `answer(method, path, own address)`.
pub struct HostileEndpoint {
    pub addr: SocketAddr,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    body_bytes_sent: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

type Handler = dyn Fn(&hyper::Method, &str, SocketAddr) -> Answer + Send + Sync;

impl HostileEndpoint {
    /// Starts on a free loopback port.
    pub async fn start(
        answer: impl Fn(&hyper::Method, &str, SocketAddr) -> Answer + Send + Sync + 'static,
    ) -> HostileEndpoint {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let answer: Arc<Handler> = Arc::new(answer);
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let body_bytes_sent = Arc::new(AtomicU64::new(0));
        let (logged, counted) = (requests.clone(), body_bytes_sent.clone());
        let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let line = format!("{} {}", request.method(), request.uri().path());
            logged.lock().unwrap().push(line);
            let reply = answer(request.method(), request.uri().path(), addr);
            let counted = counted.clone();
            async move { Ok::<_, std::convert::Infallible>(respond(reply, counted)) }
        });
        let task = super::http::serve(listener, service);
        HostileEndpoint {
            addr,
            requests,
            body_bytes_sent,
            task,
        }
    }

    /// The endpoint URL for `s3.endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Bytes of generated bodies handed to the connection so far.
    pub fn body_bytes_sent(&self) -> u64 {
        self.body_bytes_sent.load(Ordering::SeqCst)
    }
}

impl Drop for HostileEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn respond(answer: Answer, counted: Arc<AtomicU64>) -> hyper::Response<GeneratedBody> {
    let mut response = hyper::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(
            *name,
            hyper::header::HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let body = GeneratedBody {
        fixed: Some(bytes::Bytes::from(answer.body)),
        remaining: answer.endless.unwrap_or(0),
        counted,
    };
    response.body(body).unwrap()
}

/// A response body: fixed bytes, then generated ones, 64 KiB per frame.
struct GeneratedBody {
    fixed: Option<bytes::Bytes>,
    remaining: u64,
    counted: Arc<AtomicU64>,
}

impl hyper::body::Body for GeneratedBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Some(fixed) = self.fixed.take().filter(|b| !b.is_empty()) {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(fixed))));
        }
        if self.remaining == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.remaining.min(64 * 1024);
        self.remaining -= n;
        self.counted.fetch_add(n, Ordering::SeqCst);
        let chunk = bytes::Bytes::from(vec![b'x'; n as usize]);
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk))))
    }
}

/// The upload policy of a test logger for `household`, keys under `prefix`: no fleet delay
/// (a test has one household, nothing to spread), the default 6 s poll, uploads only on a synchronized clock,
/// 30-day retention, a 1 GiB buffer, and the engine's own settle and check intervals. Tests
/// on a faster clock shorten those with struct-update syntax.
pub fn policy(household: &str, prefix: &str, batch_period: Duration) -> UploadPolicy {
    UploadPolicy {
        household: household.into(),
        keys: KeyTemplate::new(None, prefix, household),
        batch_period,
        poll_interval: Duration::from_secs(6),
        fleet_delay: Duration::ZERO,
        require_sync: true,
        retention: Duration::from_secs(30 * 86_400),
        max_size: 1 << 30,
        settle: SETTLE,
        check_every: CHECK_EVERY,
    }
}

/// Every object under `root`, by key: the server's bucket directory, or a `file://` target,
/// which holds the same keys. Dot-files are bookkeeping (s3s-fs metadata, a directory sink's
/// temporary file left by a kill), not objects.
pub fn objects_in(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut found);
    }
    found
}

fn walk(base: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(base, &path, found);
            continue;
        }
        let key = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !key.split('/').any(|part| part.starts_with('.')) {
            found.insert(key, std::fs::read(&path).unwrap());
        }
    }
}
