//! The HTTP side: GET/HEAD only, four paths, a bounded number of clients.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use super::feed::{keep_current, PageSources};
use super::page;
use super::view::PageView;

/// Live-update streams served at once; one more gets 503. Five: a household's phones and
/// tablets, with the memory for all of them measured (docs/benchmarks.md).
pub const MAX_STREAMS: usize = 5;

/// Connections open at once (streams included); one more gets 503 without being read.
pub const MAX_CONNECTIONS: usize = MAX_STREAMS + 3;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A client's request may not need more read buffer than this (hyper's default is 400 KiB).
const MAX_REQUEST_BUFFER: usize = 16 * 1024;

/// When a refused client should try again, and when a browser's `EventSource` reconnects
/// after the stream broke (milliseconds, in the stream itself).
const RETRY_AFTER_SECONDS: u64 = 15;

/// The reply to a connection beyond [`MAX_CONNECTIONS`], written without reading its request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 15\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 38\r\nConnection: close\r\n\r\n\
Too many viewers; try again in 15 s.\r\n";

type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

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

async fn serve_connection(
    stream: TcpStream,
    views: watch::Receiver<Arc<PageView>>,
    streams: Arc<Semaphore>,
) {
    let service = service_fn(move |request| {
        let response = respond(&request, &views, &streams);
        async move { Ok::<_, Infallible>(response) }
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_REQUEST_BUFFER)
        // One request per connection: an idle keep-alive connection would hold a slot.
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        log::debug!("household page: connection ended: {error}");
    }
}

/// The response to one request.
fn respond(
    request: &Request<Incoming>,
    views: &watch::Receiver<Arc<PageView>>,
    streams: &Arc<Semaphore>,
) -> Response<ResponseBody> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Only GET and HEAD.\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match request.uri().path() {
        "/" => {
            let html = page::render(&views.borrow());
            asset("text/html; charset=utf-8", html.into())
        }
        "/page.css" => asset("text/css; charset=utf-8", page::STYLE.into()),
        "/page.js" => asset("text/javascript; charset=utf-8", page::SCRIPT.into()),
        "/events" if request.method() == Method::HEAD => event_stream_headers(empty()),
        "/events" => match Arc::clone(streams).try_acquire_owned() {
            Ok(permit) => {
                event_stream_headers(EventStream::new(views.clone(), permit).boxed_unsync())
            }
            Err(_) => {
                let mut response = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Too many live viewers; try again later.\n",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
                response
            }
        },
        _ => plain(StatusCode::NOT_FOUND, "Not found.\n"),
    }
}

/// A page asset, with the headers that keep it from being framed, sniffed or cached stale.
fn asset(content_type: &'static str, body: Bytes) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(body).boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(headers);
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut response = asset(
        "text/plain; charset=utf-8",
        Bytes::from_static(text.as_bytes()),
    );
    *response.status_mut() = status;
    response
}

fn event_stream_headers(body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(headers);
    response
}

/// Only this page's own script, style and event stream; no framing, no sniffing, no referrer.
fn secure(headers: &mut hyper::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn empty() -> ResponseBody {
    Full::new(Bytes::new()).boxed_unsync()
}

/// The next update event of a stream, and the receiver to wait on after it.
type NextEvent =
    Pin<Box<dyn Future<Output = Option<(Bytes, watch::Receiver<Arc<PageView>>)>> + Send>>;

/// One client's live updates: the current view at once, then each new one. A client that
/// reads slowly only ever gets the newest view (the `watch` keeps one), so it holds up nothing
/// and costs one view's bytes at most.
struct EventStream {
    next: NextEvent,
    /// Frees the client's slot when the stream ends.
    _permit: OwnedSemaphorePermit,
}

impl EventStream {
    fn new(mut views: watch::Receiver<Arc<PageView>>, permit: OwnedSemaphorePermit) -> Self {
        views.mark_changed();
        EventStream {
            next: Box::pin(next_event(views, true)),
            _permit: permit,
        }
    }
}

/// Waits for a view newer than the last one sent; `None` once the server stops.
async fn next_event(
    mut views: watch::Receiver<Arc<PageView>>,
    first: bool,
) -> Option<(Bytes, watch::Receiver<Arc<PageView>>)> {
    views.changed().await.ok()?;
    let view = Arc::clone(&views.borrow_and_update());
    let retry = if first {
        format!("retry: {}\n", RETRY_AFTER_SECONDS * 1000)
    } else {
        String::new()
    };
    Some((
        Bytes::from(format!("{retry}data: {}\n\n", view.json())),
        views,
    ))
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.next.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some((event, views))) => {
                self.next = Box::pin(next_event(views, false));
                Poll::Ready(Some(Ok(Frame::data(event))))
            }
        }
    }
}
