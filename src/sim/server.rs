//! The hyper accept loop, the handle a test or the CLI holds, and shutdown.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::fault::Fault;
use super::handler::handle;
use super::served::ServedReading;
use super::state::SimState;
use super::stats::SimStats;
use super::SimConfig;

/// Start a simulator listening on `listen` (port 0 picks a free port; see
/// [`SimHandle::local_addr`]). It runs on the current tokio runtime until
/// [`SimHandle::shutdown`] or until the handle is dropped.
pub async fn start(listen: SocketAddr, config: SimConfig) -> io::Result<SimHandle> {
    let socket = if listen.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // So the port can be bound again right after a shutdown, despite TIME_WAIT connections.
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    let listener = socket.listen(128)?;
    let local_addr = listener.local_addr()?;
    let state = Arc::new(SimState::new(config));
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
    log::debug!(
        "EAGLE simulator ({}) listening on {local_addr}",
        state.config.profile
    );
    Ok(SimHandle {
        local_addr,
        state,
        stop,
        task,
    })
}

/// A running simulator. Dropping it stops the simulator too (without waiting).
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    state: Arc<SimState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR/cgi-bin/post_manager`, the URL a client should POST to.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.local_addr, super::POST_MANAGER)
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
        if let Err(e) = self.task.await {
            log::warn!("simulator accept loop ended abnormally: {e}");
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<SimState>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A send or a dropped handle both mean stop.
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
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

async fn serve_connection(stream: TcpStream, state: Arc<SimState>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let result = http1::Builder::new()
        // The device writes `Content-Type`, not `content-type`.
        .title_case_headers(true)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        log::debug!("simulator connection ended: {e}");
    }
}
