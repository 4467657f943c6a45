//! The hyper accept loops (plain http, https, and the http side of a redirecting EAGLE 3),
//! the handle a test or the CLI holds, and shutdown.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::fault::Fault;
use super::handler::{handle, redirect};
use super::profile::Listener;
use super::served::ServedReading;
use super::state::SimState;
use super::stats::SimStats;
use super::tls::SelfSigned;
use super::SimConfig;
/// The access point's address an EAGLE 3 redirects http requests to.
pub const ACCESS_POINT: &str = "192.168.7.1";

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What one listener does with a connection.
#[derive(Clone)]
enum Serve {
    /// The API, over plain http.
    Http,
    /// The API, over https.
    Https(SelfSigned),
    /// `301` to this https origin, whatever is asked.
    RedirectTo(Arc<str>),
}

/// Start a simulator listening on `listen` (port 0 picks a free port; see
/// [`SimHandle::local_addr`]). It runs on the current tokio runtime until
/// [`SimHandle::shutdown`] or until the handle is dropped. An https profile generates its
/// certificate now ([`SimHandle::certificate_sha256`]).
pub async fn start(listen: SocketAddr, config: SimConfig) -> io::Result<SimHandle> {
    let listener = bind(listen)?;
    let local_addr = listener.local_addr()?;
    let state = Arc::new(SimState::new(config));
    let (stop, stopped) = watch::channel(());
    let spawn = |listener, serve| {
        tokio::spawn(accept_loop(
            listener,
            Arc::clone(&state),
            serve,
            stopped.clone(),
        ))
    };
    let (tasks, tls, https_addr) = match state.knobs.listener {
        Listener::Http => (vec![spawn(listener, Serve::Http)], None, None),
        Listener::Https => {
            let tls = SelfSigned::generate()?;
            let task = spawn(listener, Serve::Https(tls.clone()));
            (vec![task], Some(tls), Some(local_addr))
        }
        Listener::RedirectToHttps => {
            let https_port = if local_addr.port() == 80 { 443 } else { 0 };
            let https = bind(SocketAddr::new(local_addr.ip(), https_port))?;
            let https_addr = https.local_addr()?;
            let origin = match https_addr.port() {
                443 => format!("https://{ACCESS_POINT}"),
                port => format!("https://{ACCESS_POINT}:{port}"),
            };
            let tls = SelfSigned::generate()?;
            let tasks = vec![
                spawn(listener, Serve::RedirectTo(origin.into())),
                spawn(https, Serve::Https(tls.clone())),
            ];
            (tasks, Some(tls), Some(https_addr))
        }
    };
    log::debug!(
        "EAGLE simulator ({}) listening on {local_addr} (https on {https_addr:?})",
        state.config.profile
    );
    Ok(SimHandle {
        local_addr,
        https_addr,
        fingerprint: tls.map(|tls| tls.fingerprint),
        state,
        stop,
        tasks,
    })
}

fn bind(listen: SocketAddr) -> io::Result<TcpListener> {
    let socket = if listen.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // So the port can be bound again right after a shutdown, despite TIME_WAIT connections.
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    socket.listen(128)
}

/// A running simulator. Dropping it stops the simulator too (without waiting).
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    https_addr: Option<SocketAddr>,
    fingerprint: Option<String>,
    state: Arc<SimState>,
    stop: watch::Sender<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// The address the simulator listens on (the http side of a redirecting profile).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where the API is served over https, for the https profiles.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    /// The SHA-256 of the certificate the https side presents, for the https profiles: 64
    /// lowercase hex digits, the form `eagle.certificate_sha256` takes.
    pub fn certificate_sha256(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// What `eagle.host` should say to reach the simulator at [`SimHandle::local_addr`]:
    /// `https://ADDR` for the https-only profile, else `http://ADDR`.
    pub fn base_url(&self) -> String {
        let scheme = match self.state.knobs.listener {
            Listener::Https => "https",
            Listener::Http | Listener::RedirectToHttps => "http",
        };
        format!("{scheme}://{}", self.local_addr)
    }

    /// [`SimHandle::base_url`] + `/cgi-bin/post_manager`, the URL a client should POST to.
    pub fn url(&self) -> String {
        format!("{}{}", self.base_url(), super::POST_MANAGER)
    }

    /// The connected meter's HardwareAddress (legacy: MeterMacId).
    pub fn meter_address(&self) -> String {
        self.state.live_address()
    }

    /// The utility swaps the meter: from now on the EAGLE's connected meter has a new
    /// HardwareAddress (returned) and the same, continuing readings; the old meter stays
    /// listed as `Not joined` in `device_list` (a legacy EAGLE just reports the new MeterMacId).
    pub fn swap_meter(&self) -> String {
        self.state.swap_meter()
    }

    /// Inject a fault into every following request, on top of the profile; `None` clears it.
    /// Requests already past their fault check are not affected.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.set_fault(fault);
    }

    /// Every distinct meter reading served so far, oldest first (see [`ServedReading`] for
    /// what counts as served).
    pub fn served(&self) -> Vec<ServedReading> {
        self.state.served.all()
    }

    /// Request statistics so far.
    pub fn stats(&self) -> SimStats {
        self.state.stats.snapshot()
    }

    /// Stop accepting, close every connection (requests in flight are abandoned) and return
    /// once the listening socket is closed, so the port can be bound again at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        for task in self.tasks {
            if let Err(e) = task.await {
                log::warn!("simulator accept loop ended abnormally: {e}");
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<SimState>,
    serve: Serve,
    mut stopped: watch::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A send or a dropped handle both mean stop.
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let (state, serve) = (Arc::clone(&state), serve.clone());
                    connections.spawn(async move {
                        match serve {
                            Serve::Http => serve_connection(stream, state, None).await,
                            Serve::RedirectTo(origin) => {
                                serve_connection(stream, state, Some(origin)).await;
                            }
                            Serve::Https(tls) => {
                                let accepted = tokio::time::timeout(
                                    HANDSHAKE_TIMEOUT,
                                    tls.acceptor.accept(stream),
                                )
                                .await;
                                match accepted {
                                    Ok(Ok(stream)) => serve_connection(stream, state, None).await,
                                    Ok(Err(e)) => log::debug!("simulator TLS handshake failed: {e}"),
                                    Err(_) => log::debug!("simulator TLS handshake timed out"),
                                }
                            }
                        }
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    log::warn!("simulator accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one connection: the API, or (with `redirect_to`) a `301` to every request.
async fn serve_connection<I>(io: I, state: Arc<SimState>, redirect_to: Option<Arc<str>>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let state = Arc::clone(&state);
        let redirect_to = redirect_to.clone();
        async move {
            Ok::<_, Infallible>(match redirect_to {
                Some(origin) => redirect(&state, &req, &origin),
                None => handle(&state, req).await,
            })
        }
    });
    let result = http1::Builder::new()
        // The device writes `Content-Type`, not `content-type`.
        .title_case_headers(true)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(io), service)
        .await;
    if let Err(e) = result {
        log::debug!("simulator connection ended: {e}");
    }
}
