//! Reading a client's request head, within the page's limits: 16 KiB, sent within 10 s.
//!
//! The page has no use for anything but the method and the path, so that is all a
//! [`Request`] keeps; every request is answered with `Connection: close`, so nothing after the
//! head (content, a pipelined second request) is ever interpreted.

use std::io;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// How long a client may take, from its connection, to send its request head.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The most bytes a request head may have (hyper's default was 400 KiB; a browser sends
/// under 2 KiB).
pub const MAX_HEAD: usize = 16 * 1024;

/// The most header lines a request head may have: a browser sends about 15.
const MAX_HEADERS: usize = 64;

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 4 * 1024;

/// What the page needs to know of a request.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// GET, HEAD, or anything else (refused).
    pub method: Method,
    /// The path of the target, without its query: `/events` of `/events?x=1` or of
    /// `http://host/events`.
    pub path: String,
    /// The request says it carries content (a non-zero `Content-Length`, or any
    /// `Transfer-Encoding`), which a GET or HEAD of this page never needs.
    pub declares_content: bool,
}

/// The methods told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: the reply to GET without its content.
    Head,
    /// Any other method.
    Other,
}

/// Why no [`Request`] could be read.
#[derive(Debug)]
pub enum Refusal {
    /// The head did not arrive within [`HEADER_TIMEOUT`]: 408.
    Timeout,
    /// The head (or its number of lines) is over the limit: 431.
    TooLarge,
    /// The bytes are not an HTTP/1.x request head: 400.
    Malformed,
    /// The client closed the connection, or it failed, before the head was complete: no
    /// reply is possible.
    Gone(io::Error),
}

/// Reads from `stream` until a request head is complete (or refused) and returns it; waits
/// until `deadline` at most.
pub async fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Request, Refusal> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let room = MAX_HEAD - start;
        head.reserve(READ_CHUNK.min(room));
        let read = timeout_at(
            deadline,
            (&mut *stream).take(room as u64).read_buf(&mut head),
        )
        .await
        .map_err(|_| Refusal::Timeout)?
        .map_err(Refusal::Gone)?;
        if read == 0 {
            return Err(Refusal::Gone(io::ErrorKind::UnexpectedEof.into()));
        }
        // Parsed on the first read, so bytes that are not HTTP at all are refused at once, and
        // then only once a blank line arrived: a client trickling a byte at a time costs one
        // parse, not one per byte.
        if start == 0 || ends_with_blank_line(&head, start) {
            if let Some(request) = parse(&head)? {
                return Ok(request);
            }
        }
        if head.len() == MAX_HEAD {
            return Err(Refusal::TooLarge);
        }
    }
}

/// Whether the bytes from `from` on complete a blank line (`\n\n` or `\n\r\n`, looking back
/// far enough to find one split across reads).
fn ends_with_blank_line(head: &[u8], from: usize) -> bool {
    let recent = &head[from.saturating_sub(2)..];
    recent.windows(2).any(|two| two == b"\n\n") || recent.windows(3).any(|three| three == b"\n\r\n")
}

/// The request in `head`, or `None` when it is not complete yet.
fn parse(head: &[u8]) -> Result<Option<Request>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(head) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(_)) => {
            let method = match parsed.method {
                Some("GET") => Method::Get,
                Some("HEAD") => Method::Head,
                _ => Method::Other,
            };
            Ok(Some(Request {
                method,
                path: path_of(parsed.path.unwrap_or_default()).to_string(),
                declares_content: declares_content(parsed.headers)?,
            }))
        }
        Err(httparse::Error::TooManyHeaders) => Err(Refusal::TooLarge),
        Err(_) => Err(Refusal::Malformed),
    }
}

/// The path of a request target: origin form (`/a?b`) or absolute form (`http://host/a?b`).
/// Any other form (`*`, `host:port`) is returned whole, and matches no page.
fn path_of(target: &str) -> &str {
    let target = target.split_once('?').map_or(target, |(path, _)| path);
    if target.starts_with('/') {
        return target;
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let Some(rest) = ["http://", "https://"]
        .into_iter()
        .find(|scheme| lower.starts_with(scheme))
        .map(|scheme| &target[scheme.len()..])
    else {
        return target;
    };
    rest.find('/').map_or("/", |slash| &rest[slash..])
}

/// Whether the headers announce content; a `Content-Length` that is not a number is
/// [`Refusal::Malformed`] (RFC 9112, section 6.3: the framing cannot be trusted).
fn declares_content(headers: &[httparse::Header]) -> Result<bool, Refusal> {
    let mut declares = false;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            declares = true;
        } else if header.name.eq_ignore_ascii_case("content-length") {
            // A list ("5, 5") is allowed when every member is the same number.
            for length in std::str::from_utf8(header.value)
                .map_err(|_| Refusal::Malformed)?
                .split(',')
            {
                let length = length.trim();
                if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Refusal::Malformed);
                }
                // All digits: a number too large for u64 is still a length above zero.
                declares |= length.bytes().any(|b| b != b'0');
            }
        }
    }
    Ok(declares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(head: &str) -> Result<Option<Request>, Refusal> {
        parse(head.as_bytes())
    }

    #[test]
    fn a_browser_request_is_its_method_and_path() {
        let head = "GET /events?since=3 HTTP/1.1\r\nHost: rainforest-h-0001.local\r\n\
                    Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
        let parsed = request(head).unwrap().unwrap();
        assert_eq!(
            parsed,
            Request {
                method: Method::Get,
                path: "/events".into(),
                declares_content: false
            }
        );
        assert_eq!(
            request("HEAD / HTTP/1.0\n\n").unwrap().unwrap().method,
            Method::Head
        );
        let post = request("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(post.unwrap().unwrap().method, Method::Other);
        // Methods are case-sensitive (RFC 9110, section 9.1).
        assert_eq!(
            request("get / HTTP/1.1\r\n\r\n").unwrap().unwrap().method,
            Method::Other
        );
    }

    #[test]
    fn an_unfinished_head_is_partial() {
        assert!(request("GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        assert!(request("GE").unwrap().is_none());
    }

    #[test]
    fn bytes_that_are_not_a_request_head_are_malformed() {
        for head in [
            "\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}", // a TLS ClientHello
            "GET /a\u{0}b HTTP/1.1\r\n\r\n",
            "GET /a\u{7}b HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: \r\n\r\n",
        ] {
            assert!(
                matches!(request(head), Err(Refusal::Malformed)),
                "{head:?} was not refused as malformed"
            );
        }
    }

    #[test]
    fn too_many_header_lines_are_too_large() {
        let mut head = "GET / HTTP/1.1\r\n".to_string();
        for line in 0..=MAX_HEADERS {
            head.push_str(&format!("X-{line}: y\r\n"));
        }
        head.push_str("\r\n");
        assert!(matches!(request(&head), Err(Refusal::TooLarge)));
    }

    #[test]
    fn content_is_declared_by_a_length_above_zero_or_a_transfer_encoding() {
        let declares = |header: &str| {
            request(&format!("GET / HTTP/1.1\r\n{header}\r\n\r\n"))
                .unwrap()
                .unwrap()
                .declares_content
        };
        assert!(!declares("Content-Length: 0"));
        assert!(!declares("Content-Length: 000, 0"));
        assert!(declares("Content-Length: 5"));
        assert!(declares("content-length: 18446744073709551615"));
        assert!(declares("Content-Length: 99999999999999999999999999"));
        assert!(declares("Transfer-Encoding: chunked"));
    }

    #[test]
    fn the_path_is_the_target_without_query_or_scheme_and_host() {
        for (target, path) in [
            ("/", "/"),
            ("/page.css?v=1", "/page.css"),
            ("http://rainforest-h-0001.local/events", "/events"),
            ("HTTP://host:80/page.js?x", "/page.js"),
            ("https://host", "/"),
            ("*", "*"),
            ("host:443", "host:443"),
        ] {
            assert_eq!(path_of(target), path, "{target}");
        }
    }

    #[test]
    fn a_blank_line_is_found_when_it_spans_reads() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for from in 0..head.len() {
            assert!(ends_with_blank_line(head, from), "from {from}");
        }
        assert!(!ends_with_blank_line(b"GET / HTTP/1.1\r\nHost: x\r\n", 0));
        assert!(ends_with_blank_line(b"GET / HTTP/1.0\n\n", 15));
    }
}
