//! The page's replies as bytes on the wire: a status line, the headers every reply has (type,
//! no caching, the security headers, `Connection: close`), and the content.

use std::fmt::Write;

/// A reply's status: code and reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16, pub &'static str);

/// 200.
pub const OK: Status = Status(200, "OK");
/// 400: the bytes are not an HTTP request.
pub const BAD_REQUEST: Status = Status(400, "Bad Request");
/// 404: no such page.
pub const NOT_FOUND: Status = Status(404, "Not Found");
/// 405: not GET or HEAD.
pub const METHOD_NOT_ALLOWED: Status = Status(405, "Method Not Allowed");
/// 408: the head took longer than its timeout.
pub const REQUEST_TIMEOUT: Status = Status(408, "Request Timeout");
/// 413: a request with content, which this page never takes.
pub const CONTENT_TOO_LARGE: Status = Status(413, "Content Too Large");
/// 431: the head is larger than its limit.
pub const HEADERS_TOO_LARGE: Status = Status(431, "Request Header Fields Too Large");
/// 503: every live-update stream is taken.
pub const SERVICE_UNAVAILABLE: Status = Status(503, "Service Unavailable");

/// Only this page's own script, style and event stream; no framing, no sniffing, no referrer.
const SECURITY_HEADERS: &str = "Content-Security-Policy: default-src 'none'; \
script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
base-uri 'none'; form-action 'none'\r\n\
X-Content-Type-Options: nosniff\r\n\
Referrer-Policy: no-referrer\r\n";

/// One reply: its head, and its content when that is known in full.
#[derive(Debug)]
pub struct Reply {
    status: Status,
    content_type: &'static str,
    /// A header only this reply has (`Allow`, `Retry-After`), as `Name: value`.
    extra: Option<String>,
    /// `None` for the event stream, whose events follow the head until the connection closes.
    content: Option<Vec<u8>>,
}

impl Reply {
    /// A page asset, with the headers that keep it from being framed, sniffed or cached stale.
    pub fn asset(content_type: &'static str, content: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: OK,
            content_type,
            extra: None,
            content: Some(content.into()),
        }
    }

    /// The head of the live-update stream. It has no length: the stream ends when the
    /// connection does (RFC 9112, section 6.3).
    pub fn event_stream() -> Reply {
        Reply {
            content: None,
            ..Reply::asset("text/event-stream", "")
        }
    }

    /// A short text saying what went wrong.
    pub fn plain(status: Status, text: &'static str) -> Reply {
        Reply {
            status,
            ..Reply::asset("text/plain; charset=utf-8", text)
        }
    }

    /// The reply with the one header only it has (`Allow`, `Retry-After`).
    pub fn with_header(self, name: &str, value: impl std::fmt::Display) -> Reply {
        Reply {
            extra: Some(format!("{name}: {value}")),
            ..self
        }
    }

    /// The bytes to write: the head, and the content unless `head_only` (the reply to HEAD,
    /// which still says how long the content of a GET would be).
    pub fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let Status(code, reason) = self.status;
        // An origin server with a clock sends Date (RFC 9110, section 6.6.1).
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
        let mut head = format!(
            "HTTP/1.1 {code} {reason}\r\nDate: {date}\r\nContent-Type: {}\r\n\
             Cache-Control: no-store\r\n{SECURITY_HEADERS}Connection: close\r\n",
            self.content_type
        );
        if let Some(extra) = &self.extra {
            let _ = write!(head, "{extra}\r\n");
        }
        if let Some(content) = &self.content {
            let _ = write!(head, "Content-Length: {}\r\n", content.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        match &self.content {
            Some(content) if !head_only => bytes.extend_from_slice(content),
            _ => {}
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head of `bytes` parsed back, as (name, value) pairs, and the content.
    fn read_back(bytes: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(end) = response.parse(bytes).unwrap() else {
            panic!("incomplete head: {:?}", String::from_utf8_lossy(bytes));
        };
        let headers = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect();
        (response.code.unwrap(), headers, bytes[end..].to_vec())
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_reply_is_valid_http_with_every_header_and_its_length() {
        let reply = Reply::plain(METHOD_NOT_ALLOWED, "Only GET and HEAD.\n")
            .with_header("Allow", "GET, HEAD");
        let (code, headers, content) = read_back(&reply.to_bytes(false));
        assert_eq!(code, 405);
        assert_eq!(content, b"Only GET and HEAD.\n");
        for (name, value) in [
            ("allow", "GET, HEAD"),
            ("content-type", "text/plain; charset=utf-8"),
            ("content-length", "19"),
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("connection", "close"),
        ] {
            assert_eq!(header(&headers, name), Some(value), "{name}");
        }
        let policy = header(&headers, "content-security-policy").unwrap();
        assert!(
            policy.starts_with("default-src 'none'; script-src 'self'"),
            "{policy}"
        );
        assert!(header(&headers, "date").unwrap().ends_with(" GMT"));
    }

    #[test]
    fn the_reply_to_head_has_the_length_of_get_and_no_content() {
        let reply = Reply::asset("text/css; charset=utf-8", "p{}");
        let (_, headers, content) = read_back(&reply.to_bytes(true));
        assert_eq!(header(&headers, "content-length"), Some("3"));
        assert!(content.is_empty());
    }

    #[test]
    fn the_event_stream_has_no_length() {
        let (code, headers, content) = read_back(&Reply::event_stream().to_bytes(false));
        assert_eq!(code, 200);
        assert_eq!(header(&headers, "content-type"), Some("text/event-stream"));
        assert_eq!(header(&headers, "content-length"), None);
        assert_eq!(header(&headers, "cache-control"), Some("no-store"));
        assert!(header(&headers, "content-security-policy").is_some());
        assert!(content.is_empty());
    }
}
