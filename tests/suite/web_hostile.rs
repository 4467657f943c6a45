//! The household page's HTTP side against clients that do not behave: heads over the limit,
//! a client that never finishes its head, bytes that are not HTTP, control characters in the
//! target, content on a GET, and a pipelined second request. Each is answered (or dropped)
//! within the page's limits, and the page serves the next client as before.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::page::{exchange, own_page};
use rainforest_logger::web::{HEADER_TIMEOUT, MAX_HEAD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// The page's style sheet, as it is compiled in.
const STYLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/page.css"));

/// The status line of `reply` (its first line).
fn status_line(reply: &str) -> &str {
    reply.lines().next().unwrap_or_default()
}

/// Sends `request` on a connection of its own and fails the test unless the reply's status is
/// `status` (`what` names the case).
async fn expect_status(page: SocketAddr, request: &[u8], status: &str, what: &str) {
    let reply = exchange(page, request).await;
    assert_eq!(
        status_line(&reply),
        format!("HTTP/1.1 {status}"),
        "{what}: {reply}"
    );
}

/// Fails the test unless `page` serves `/` as usual.
async fn serves_the_page(page: SocketAddr) {
    let reply = exchange(page, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status_line(&reply), "HTTP/1.1 200 OK", "{reply}");
    assert!(reply.contains("<meta name=\"viewport\""), "{reply}");
}

/// A request head of exactly `length` bytes, complete (ending in its blank line).
fn head_of_length(length: usize) -> Vec<u8> {
    let start = "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: ";
    let end = "\r\n\r\n";
    let filler = "a".repeat(length - start.len() - end.len());
    format!("{start}{filler}{end}").into_bytes()
}

#[tokio::test]
async fn a_head_of_16_kib_is_served_and_one_byte_more_gets_431() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    assert_eq!(MAX_HEAD, 16 * 1024);

    let at_the_limit = exchange(page.addr, &head_of_length(MAX_HEAD)).await;
    assert_eq!(status_line(&at_the_limit), "HTTP/1.1 200 OK");
    let over = exchange(page.addr, &head_of_length(MAX_HEAD + 1)).await;
    assert_eq!(
        status_line(&over),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    assert!(over.contains("\r\nConnection: close\r\n"), "{over}");
    // Far over, and with the client still sending when the page answers.
    let far_over = exchange(page.addr, &head_of_length(1024 * 1024)).await;
    assert!(far_over.starts_with("HTTP/1.1 431 "), "{far_over}");
    serves_the_page(page.addr).await;
    page.handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_head_gets_408_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    let mut client = TcpStream::connect(page.addr).await.unwrap();
    let connected = Instant::now();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // One more byte every second (on the paused clock), never the end of the head.
    let mut trickled = 0;
    let mut reply = Vec::new();
    let mut chunk = [0; 1024];
    let answered = loop {
        tokio::select! {
            read = client.read(&mut chunk) => {
                let read = read.unwrap();
                assert!(read > 0, "the page closed the connection without a reply");
                reply.extend_from_slice(&chunk[..read]);
                break connected.elapsed();
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                client.write_all(b"a").await.unwrap();
                trickled += 1;
            }
        }
    };
    // The timeout runs from the connection: the trickle does not extend it.
    assert!(
        answered >= HEADER_TIMEOUT && answered < HEADER_TIMEOUT + Duration::from_secs(1),
        "answered after {answered:?}"
    );
    assert!(trickled >= 9, "{trickled}");
    // The rest of the reply, up to the page closing the connection.
    while let Ok(read @ 1..) = client.read(&mut chunk).await {
        reply.extend_from_slice(&chunk[..read]);
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert_eq!(
        status_line(&reply),
        "HTTP/1.1 408 Request Timeout",
        "{reply}"
    );
    serves_the_page(page.addr).await;
    page.handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_head_sent_a_byte_at_a_time_within_the_timeout_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    let mut client = TcpStream::connect(page.addr).await.unwrap();
    // Bare line feeds, as HTTP/1.1 lets a server accept.
    for byte in b"GET /page.css HTTP/1.1\r\nHost: x\n\r\n" {
        client.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut reply = String::new();
    client.read_to_string(&mut reply).await.unwrap();
    assert_eq!(status_line(&reply), "HTTP/1.1 200 OK", "{reply}");
    assert!(reply.ends_with(STYLE), "{reply}");
    page.handle.stop().await;
}

/// The first bytes a TLS client sends (its ClientHello), made by reqwest's rustls connecting
/// to a loopback listener: what the page gets when someone types `https://` before its name.
async fn tls_client_hello() -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    let client = tokio::spawn(async move { reqwest::get(url).await });
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut hello = vec![0; 16 * 1024];
    let read = socket.read(&mut hello).await.unwrap();
    hello.truncate(read);
    client.abort();
    hello
}

#[tokio::test]
async fn bytes_that_are_not_http_get_400() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    let hello = tls_client_hello().await;
    assert_eq!(hello[0], 0x16, "not a TLS handshake record: {hello:?}");
    for (what, bytes) in [
        ("a TLS ClientHello", hello.as_slice()),
        // RFC 9113, section 3.4: the preface of HTTP/2 with prior knowledge.
        (
            "the HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".as_slice(),
        ),
        // RFC 4253, section 4.2: an SSH client's identification string.
        (
            "an SSH banner",
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n".as_slice(),
        ),
        ("NUL bytes", &[0; 64]),
        ("a request line alone", b"GET\r\n\r\n"),
    ] {
        expect_status(page.addr, bytes, "400 Bad Request", what).await;
    }
    serves_the_page(page.addr).await;
    page.handle.stop().await;
}

#[tokio::test]
async fn a_control_character_in_the_target_or_a_header_gets_400() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    for control in ["\0", "\x07", "\x1b[2J", "\x7f", "\t"] {
        for request in [
            format!("GET /{control} HTTP/1.1\r\nHost: x\r\n\r\n"),
            format!("GET /events{control}x HTTP/1.1\r\nHost: x\r\n\r\n"),
            format!("GET / HTTP/1.1\r\nHost: x{control}y\r\n\r\n"),
        ] {
            // A tab is allowed inside a header value, and nowhere else.
            if control == "\t" && request.contains("Host: x\t") {
                continue;
            }
            let what = format!("{request:?}");
            expect_status(page.addr, request.as_bytes(), "400 Bad Request", &what).await;
        }
    }
    serves_the_page(page.addr).await;
    page.handle.stop().await;
}

#[tokio::test]
async fn a_get_that_declares_content_gets_413_without_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    for (header, status) in [
        (
            "Content-Length: 18446744073709551615",
            "413 Content Too Large",
        ),
        (
            "Content-Length: 99999999999999999999999999",
            "413 Content Too Large",
        ),
        ("Transfer-Encoding: chunked", "413 Content Too Large"),
        ("Content-Length: -1", "400 Bad Request"),
        ("Content-Length: 12abc", "400 Bad Request"),
    ] {
        for method in ["GET", "HEAD"] {
            // The content is never sent: the answer must not wait for it.
            let request = format!("{method} / HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n");
            let what = format!("{request:?}");
            expect_status(page.addr, request.as_bytes(), status, &what).await;
        }
    }
    // And when it is sent, the reply still arrives whole.
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n".to_vec();
    request.resize(request.len() + 50_000, b'x');
    let reply = exchange(page.addr, &request).await;
    assert_eq!(status_line(&reply), "HTTP/1.1 413 Content Too Large");
    assert!(
        reply.ends_with("A GET or HEAD here carries no content.\n"),
        "{reply}"
    );
    serves_the_page(page.addr).await;
    page.handle.stop().await;
}

#[tokio::test]
async fn a_pipelined_second_request_is_not_answered() {
    let dir = tempfile::tempdir().unwrap();
    let page = own_page(dir.path()).await;
    let reply = exchange(
        page.addr,
        b"GET /page.css HTTP/1.1\r\nHost: x\r\n\r\nGET /page.js HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(reply.matches("HTTP/1.1 ").count(), 1, "{reply}");
    assert_eq!(status_line(&reply), "HTTP/1.1 200 OK");
    assert!(reply.contains("\r\nConnection: close\r\n"), "{reply}");
    assert!(
        reply.contains(&format!("\r\nContent-Length: {}\r\n", STYLE.len())),
        "{reply}"
    );
    // The style sheet, and nothing of a second reply after it.
    assert!(reply.ends_with(&format!("\r\n\r\n{STYLE}")), "{reply}");
    page.handle.stop().await;
}
