//! HTTP/1.x by hand, for talking to the simulator below any client library: the simulator's
//! own tests (framing, headers) and the poll floor bench (`benches/poll_floor.rs`).

use base64::Engine as _;
use rainforest_eagle_sim::SimConfig;

/// A `post_manager` request carrying `body`, as `version` ("HTTP/1.0", "HTTP/1.1"), with the
/// simulator's default credentials and `extra` header lines (each ending in CRLF).
pub fn raw_request(version: &str, body: &str, extra: &str) -> String {
    let config = SimConfig::default();
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", config.cloud_id, config.install_code));
    format!(
        "POST /cgi-bin/post_manager {version}\r\nHost: eagle\r\nContent-type: text/xml\r\nContent-Length: {}\r\nAuthorization: Basic {auth}\r\n{extra}\r\n{body}",
        body.len()
    )
}

/// The chunks of a complete chunked body, joined.
pub fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap().trim(), 16)
            .expect("hex chunk size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
