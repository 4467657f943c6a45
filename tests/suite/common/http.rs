//! The accept loop of the tests' own loopback HTTP servers (the S3 server, the hostile S3
//! endpoint, the scripted and the replaying EAGLE): each differs only in how it answers.

use std::error::Error;

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Serves `service` over HTTP/1.1 on every connection `listener` accepts, each in a task of
/// its own, until the returned task is aborted. A failed accept (the peer reset the
/// connection before it was taken) is skipped.
pub fn serve<S, B>(listener: TcpListener, service: S) -> JoinHandle<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    tokio::spawn(async move {
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
    })
}
