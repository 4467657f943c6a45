//! The HTTP side: GET/HEAD only, four paths, a bounded number of clients, each connection
//! closed after its one reply (an idle keep-alive connection would hold a slot).
//!
//! Written on tokio's sockets with `httparse` for the request head rather than on a server
//! crate: four fixed paths and one event stream need none of a server's generality, and the
//! Pi's binary then carries no server code.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::events::{stream_views, RETRY_AFTER_SECONDS};
use super::feed::{keep_current, PageSources};
use super::page;
use super::request::{read_head, Method, Refusal, Request, HEADER_TIMEOUT};
use super::response::{self, Reply};
use super::view::PageView;

/// Live-update streams served at once; one more gets 503. Five: a household's phones and
/// tablets, with the memory for all of them measured (docs/benchmarks.md).
pub const MAX_STREAMS: usize = 5;

/// Connections open at once (streams included); one more gets 503 without being read.
pub const MAX_CONNECTIONS: usize = MAX_STREAMS + 3;

/// After a reply, how long and how much of what the client still sends is read and dropped
/// before the connection closes: closing with unread bytes makes the kernel reset the
/// connection, and a reset can destroy the reply before the client has read it.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: u64 = 64 * 1024;

/// The reply to a connection beyond [`MAX_CONNECTIONS`], written without reading its request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 15\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 38\r\nConnection: close\r\n\r\n\
Too many viewers; try again in 15 s.\r\n";

/// The running page server.
#[derive(Debug)]
pub struct WebHandle {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl WebHandle {
    /// The address it listens on (the port chosen, when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Closes the listener and every connection, and waits for that.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Listens on `listen` and serves the page from `sources` on the current runtime, as its own
/// tasks: nothing here ever waits on the poll loop or makes it wait.
pub async fn start(listen: SocketAddr, sources: PageSources) -> io::Result<WebHandle> {
    let socket = if listen.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // A restart by systemd must be able to bind again at once despite TIME_WAIT connections.
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    let listener = socket.listen(16)?;
    let local_addr = listener.local_addr()?;
    let (views_sender, views) = watch::channel(Arc::new(PageView::new(
        &super::PageFacts::nothing_known(*sources.led.borrow()),
    )));
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = keep_current(sources, views_sender) => {}
            _ = accept_loop(listener, views) => {}
            _ = stopped => {}
        }
    });
    log::info!("household page at http://{local_addr}/");
    Ok(WebHandle {
        local_addr,
        stop,
        task,
    })
}

/// Accepts connections until dropped; dropping it ends every connection too.
async fn accept_loop(listener: TcpListener, views: watch::Receiver<Arc<PageView>>) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let streams = Arc::new(Semaphore::new(MAX_STREAMS));
    let mut tasks = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Reap finished connections so the set does not grow.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                log::warn!("household page: accept failed: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            refuse(&stream);
            continue;
        };
        let views = views.clone();
        let streams = Arc::clone(&streams);
        tasks.spawn(async move {
            serve_connection(stream, views, streams).await;
            drop(permit);
        });
    }
}

/// Writes [`BUSY`] if the socket takes it at once (a fresh socket always does), and closes.
fn refuse(stream: &TcpStream) {
    let _ = stream.try_write(BUSY);
}

/// What a request gets: a reply, or the live-update stream with its slot.
enum Answer {
    Reply(Reply),
    Stream(OwnedSemaphorePermit),
}

/// Reads one request from `stream` and answers it.
async fn serve_connection(
    mut stream: TcpStream,
    views: watch::Receiver<Arc<PageView>>,
    streams: Arc<Semaphore>,
) {
    let deadline = Instant::now() + HEADER_TIMEOUT;
    let (answer, head_only) = match read_head(&mut stream, deadline).await {
        Ok(request) => (
            answer(&request, &views, &streams),
            request.method == Method::Head,
        ),
        Err(refusal) => match refused(refusal) {
            Some(reply) => (Answer::Reply(reply), false),
            None => return,
        },
    };
    match answer {
        Answer::Stream(permit) => stream_views(stream, views, permit).await,
        Answer::Reply(reply) => {
            if stream.write_all(&reply.to_bytes(head_only)).await.is_ok() {
                linger(stream).await;
            }
        }
    }
}

/// The reply to a request head that could not be read, if the client is still there.
fn refused(refusal: Refusal) -> Option<Reply> {
    let (status, text) = match refusal {
        Refusal::Timeout => (response::REQUEST_TIMEOUT, "The request took too long.\n"),
        Refusal::TooLarge => (response::HEADERS_TOO_LARGE, "The request is too large.\n"),
        Refusal::Malformed => (response::BAD_REQUEST, "That is not an HTTP request.\n"),
        Refusal::Gone(error) => {
            log::debug!("household page: client left before its request was complete: {error}");
            return None;
        }
    };
    log::debug!("household page: request refused with {}", status.0);
    Some(Reply::plain(status, text))
}

/// The answer to a request.
fn answer(
    request: &Request,
    views: &watch::Receiver<Arc<PageView>>,
    streams: &Arc<Semaphore>,
) -> Answer {
    if request.method == Method::Other {
        let reply = Reply::plain(response::METHOD_NOT_ALLOWED, "Only GET and HEAD.\n");
        return Answer::Reply(reply.with_header("Allow", "GET, HEAD"));
    }
    if request.declares_content {
        let text = "A GET or HEAD here carries no content.\n";
        return Answer::Reply(Reply::plain(response::CONTENT_TOO_LARGE, text));
    }
    let reply = match request.path.as_str() {
        "/" => Reply::asset("text/html; charset=utf-8", page::render(&views.borrow())),
        "/page.css" => Reply::asset("text/css; charset=utf-8", page::STYLE),
        "/page.js" => Reply::asset("text/javascript; charset=utf-8", page::SCRIPT),
        "/events" if request.method == Method::Head => Reply::event_stream(),
        "/events" => match Arc::clone(streams).try_acquire_owned() {
            Ok(permit) => return Answer::Stream(permit),
            Err(_) => Reply::plain(
                response::SERVICE_UNAVAILABLE,
                "Too many live viewers; try again later.\n",
            )
            .with_header("Retry-After", RETRY_AFTER_SECONDS),
        },
        _ => Reply::plain(response::NOT_FOUND, "Not found.\n"),
    };
    Answer::Reply(reply)
}

/// Closes `stream` after its reply: says so (FIN), then reads and drops what the client still
/// sends, for [`LINGER`] and [`LINGER_BYTES`] at most.
async fn linger(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut rest = tokio::io::AsyncReadExt::take(&mut stream, LINGER_BYTES);
    let _ = tokio::time::timeout(LINGER, tokio::io::copy(&mut rest, &mut tokio::io::sink())).await;
}
