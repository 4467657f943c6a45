//! A scripted HTTP server on loopback: answers every request from a closure of the request
//! body and records what each request carried. It stands in for devices the simulator does
//! not model: something that redirects elsewhere, the host a redirect points at (which must
//! never see the EAGLE's credentials), an EAGLE replaying a captured reply with hostile text.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the server answers.
pub struct Scripted {
    /// HTTP status.
    pub status: u16,
    /// `Location`, if any.
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

impl Scripted {
    /// `status` with a `Location` and no body.
    pub fn redirect(status: u16, location: &str) -> Scripted {
        Scripted {
            status,
            location: Some(location.to_string()),
            body: String::new(),
        }
    }

    /// 200 with `body`.
    pub fn ok(body: &str) -> Scripted {
        Scripted {
            status: 200,
            location: None,
            body: body.to_string(),
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A running scripted server; dropping it stops accepting.
pub struct ScriptedServer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Starts on a free loopback port, answering each request with `script(body)`.
    pub async fn start(script: impl Fn(&str) -> Scripted + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (log, script) = (received.clone(), Arc::new(script));
        let service = service_fn(move |req: Request<Incoming>| {
            let (log, script) = (log.clone(), script.clone());
            async move {
                let authorization = req
                    .headers()
                    .get(hyper::header::AUTHORIZATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let body = req.into_body().collect().await.unwrap().to_bytes();
                let body = String::from_utf8_lossy(&body).into_owned();
                let answer = script(&body);
                log.lock().unwrap().push(Received { authorization });
                let mut response = Response::builder().status(answer.status);
                if let Some(location) = answer.location {
                    response = response.header(hyper::header::LOCATION, location);
                }
                Ok::<_, Infallible>(response.body(Full::new(Bytes::from(answer.body))).unwrap())
            }
        });
        let task = super::http::serve(listener, service);
        ScriptedServer {
            addr,
            received,
            task,
        }
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
