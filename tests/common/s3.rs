//! A real S3-compatible server (s3s-fs, which verifies SigV4 signatures and Content-MD5) on a
//! loopback port, started in-process by the tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper_util::rt::TokioIo;
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
}

impl S3Server {
    /// Starts on a free port with a fresh root holding an empty bucket.
    pub async fn start(root: &Path) -> S3Server {
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        S3Server::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), root).await
    }

    /// Starts on `addr` serving `root` (to bring a stopped server back on the same port).
    pub async fn start_at(addr: SocketAddr, root: &Path) -> S3Server {
        let fs = s3s_fs::FileSystem::new(root).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        S3Server {
            addr,
            root: root.to_path_buf(),
            task,
        }
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
        let bucket = self.root.join(BUCKET);
        let mut keys = Vec::new();
        walk(&bucket, &bucket, &mut keys);
        keys.sort();
        keys
    }

    /// An object's bytes.
    pub fn object(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.root.join(BUCKET).join(key)).unwrap()
    }
}

fn walk(base: &Path, dir: &Path, keys: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(base, &path, keys);
        } else {
            let key = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // s3s-fs keeps its own bookkeeping files next to objects.
            if !key.split('/').any(|part| part.starts_with('.')) {
                keys.push(key);
            }
        }
    }
}

/// `[s3]` settings for a server at `endpoint`: path style, the test access key with `secret`,
/// no fleet spread.
pub fn settings(endpoint: &str, prefix: &str, secret: &str, period: Duration) -> S3Settings {
    S3Settings {
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        endpoint: Endpoint::Custom(endpoint.into()),
        path_style: true,
        prefix: prefix.into(),
        access_key_id: Some(Secret::new(ACCESS_KEY)),
        secret_access_key: Some(Secret::new(secret)),
        batch_period: period,
        key_template: None,
        fleet_spread: Duration::ZERO,
    }
}

/// The product's upload policy for `household`, without the fleet delay (tests need no
/// spread): default layout under `prefix`, 30-day retention, 1 GiB limit.
pub fn policy(household: &str, prefix: &str, period: Duration) -> UploadPolicy {
    UploadPolicy {
        household: household.into(),
        keys: KeyTemplate::new(None, prefix, household),
        batch_period: period,
        fleet_delay: Duration::ZERO,
        require_sync: true,
        retention: Duration::from_secs(30 * 86_400),
        max_size: 1 << 30,
        settle: SETTLE,
        check_every: CHECK_EVERY,
    }
}
