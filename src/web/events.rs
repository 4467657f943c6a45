//! One client's live updates (server-sent events): the current view at once, then each new
//! one, until the client leaves or the server stops.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};

use super::response::Reply;
use super::view::PageView;

/// When a browser's `EventSource` reconnects after the stream broke, and when a refused
/// client should try again (seconds).
pub const RETRY_AFTER_SECONDS: u64 = 15;

/// Streams `views` to the client on `stream`, holding `permit` (its slot) until it ends. A
/// client that reads slowly only ever gets the newest view (the `watch` keeps one), so it
/// holds up nothing and costs one view's bytes at most.
pub async fn stream_views(
    mut stream: TcpStream,
    mut views: watch::Receiver<Arc<PageView>>,
    _permit: OwnedSemaphorePermit,
) {
    let (mut from_client, mut to_client) = stream.split();
    let mut sent = Reply::event_stream().to_bytes(false);
    sent.extend_from_slice(format!("retry: {}\n", RETRY_AFTER_SECONDS * 1000).as_bytes());
    views.mark_changed();
    // What a client sends after its request means nothing here; read only to notice it leave.
    let mut ignored = [0; 256];
    loop {
        tokio::select! {
            changed = views.changed() => {
                if changed.is_err() {
                    return; // the server stopped
                }
                let view = Arc::clone(&views.borrow_and_update());
                sent.extend_from_slice(format!("data: {}\n\n", view.json()).as_bytes());
                if to_client.write_all(&sent).await.is_err() {
                    return;
                }
                sent.clear();
            }
            read = from_client.read(&mut ignored) => {
                if !matches!(read, Ok(1..)) {
                    return; // the client closed the connection, or it broke
                }
            }
        }
    }
}
