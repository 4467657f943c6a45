//! Judging S3's answer to one PUT, as untrusted input: only a 2xx on the request that was sent
//! counts as stored (docs/design.md §3), a redirect is a failure that names its target, an error body
//! is read only up to a bound, and an ETag that is a plain MD5 must be the MD5 that was sent.

use reqwest::header::{HeaderMap, ETAG, LOCATION};
use reqwest::{Response, StatusCode};

use super::error::{element, UploadError};

/// Bytes of an error body kept: S3's error documents are well under 2 KiB; a proxy or a
/// hostile server answering with hundreds of megabytes costs no more than this.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Characters of a server-supplied text (a redirect target, an ETag) shown in a message.
const SHOWN_CHARS: usize = 200;

/// Response headers saying S3 encrypted the object with KMS or a customer key: its ETag is
/// then not the MD5 of the bytes, so it cannot be compared.
const ENCRYPTION_HEADERS: [&str; 2] = [
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-aws-kms-key-id",
];

/// `Ok` only if `response` confirms that S3 stored exactly the bytes whose MD5 is `sent_md5`
/// (lowercase hex). Reads at most [`ERROR_BODY_LIMIT`] bytes of an error body.
pub async fn judge(response: Response, sent_md5: &str) -> Result<(), UploadError> {
    let status = response.status();
    if status.is_success() {
        return check_etag(response.headers(), sent_md5);
    }
    let headers = response.headers().clone();
    let body = read_limited(response, ERROR_BODY_LIMIT).await;
    let body = String::from_utf8_lossy(&body);
    if status.is_redirection() {
        return Err(redirect_error(status, &headers, &body));
    }
    Err(UploadError::from_s3_response(status.as_u16(), &body))
}

/// A 3xx: never followed, since following it would send the readings (307/308) or a bodiless
/// GET (301/302/303) to wherever it points, and a 2xx there would mark rows uploaded that S3
/// never stored. S3 itself redirects only for a wrong region or endpoint, and names the right
/// endpoint in the body (`<Endpoint>`), which the message passes on.
pub fn redirect_error(status: StatusCode, headers: &HeaderMap, body: &str) -> UploadError {
    let target = headers.get(LOCATION).map_or_else(
        || "no Location".to_string(),
        |value| shown(value.as_bytes()),
    );
    let s3_says = match (element(body, "Code"), element(body, "Endpoint")) {
        (Some(code), Some(endpoint)) => {
            format!(
                " ({} names endpoint {})",
                shown(code.as_bytes()),
                shown(endpoint.as_bytes())
            )
        }
        _ => String::new(),
    };
    UploadError::Transient(format!(
        "S3 answered a redirect (HTTP {}) to {target}{s3_says}; redirects are never followed \
         and nothing was stored: check s3.endpoint and s3.region (a captive portal or proxy on \
         the way answers like this too)",
        status.as_u16()
    ))
}

/// Compares a plain-MD5 ETag (`"` + 32 hex digits + `"`) with the MD5 that was sent. Any other
/// ETag (multipart, encrypted, another store's format, not UTF-8) is not an MD5 and cannot
/// contradict the upload: S3 already checked the bytes against `Content-MD5`. No ETag at all
/// is a failure: every S3 store answers a PutObject with one, a captive portal's or a proxy's
/// page does not.
pub fn check_etag(headers: &HeaderMap, sent_md5: &str) -> Result<(), UploadError> {
    let Some(etag) = headers.get(ETAG) else {
        return Err(UploadError::Transient(
            "the upload was answered 2xx without an ETag, which no S3 store does (a captive \
             portal or proxy on the way?): nothing is counted as stored"
                .into(),
        ));
    };
    if ENCRYPTION_HEADERS
        .iter()
        .any(|name| headers.contains_key(*name))
        || headers
            .get("x-amz-server-side-encryption")
            .is_some_and(|v| v.as_bytes().starts_with(b"aws:kms"))
    {
        return Ok(());
    }
    let raw = etag.as_bytes();
    let unquoted = raw
        .strip_prefix(b"\"")
        .and_then(|r| r.strip_suffix(b"\""))
        .unwrap_or(raw);
    if unquoted.len() != 32 || !unquoted.iter().all(u8::is_ascii_hexdigit) {
        return Ok(());
    }
    if unquoted.eq_ignore_ascii_case(sent_md5.as_bytes()) {
        Ok(())
    } else {
        Err(UploadError::Transient(format!(
            "S3 answered the upload with ETag {} but the MD5 of the bytes sent is {sent_md5}: \
             the object stored is not the one sent, so its rows stay pending",
            shown(raw)
        )))
    }
}

/// At most `limit` bytes of the body; the rest is never read (dropping the response closes
/// the connection). A body that fails half-way is as good as what arrived.
pub async fn read_limited(mut response: Response, limit: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    while kept.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    kept
}

/// Server-supplied bytes fit for a log line and a terminal: quoted, every control and
/// non-ASCII character escaped, cut to [`SHOWN_CHARS`].
pub fn shown(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let cut: String = text.chars().take(SHOWN_CHARS).collect();
    let more = if text.chars().count() > SHOWN_CHARS {
        "…"
    } else {
        ""
    };
    format!("\"{}\"{more}", cut.escape_default())
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    const MD5: &str = "9e107d9d372bb6826bd81d3542a419d6";

    fn etag(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ETAG, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    #[test]
    fn a_plain_md5_etag_must_match_what_was_sent() {
        assert!(check_etag(&etag(format!("\"{MD5}\"").as_bytes()), MD5).is_ok());
        assert!(check_etag(&etag(MD5.to_uppercase().as_bytes()), MD5).is_ok());
        let other = etag(b"\"d41d8cd98f00b204e9800998ecf8427e\"");
        let error = check_etag(&other, MD5).unwrap_err().to_string();
        assert!(
            error.contains("d41d8cd98f00b204e9800998ecf8427e") && error.contains(MD5),
            "{error}"
        );
    }

    #[test]
    fn etags_that_are_not_an_md5_do_not_fail_the_upload() {
        // Multipart, not UTF-8, another store's format.
        for value in [
            &b"\"9e107d9d372bb6826bd81d3542a419d6-2\""[..],
            b"\"\xff\xfe\x80abc\"",
            b"W/\"1\"",
        ] {
            assert!(check_etag(&etag(value), MD5).is_ok(), "{value:?}");
        }
        assert!(
            check_etag(&HeaderMap::new(), MD5).is_err(),
            "no ETag: not S3"
        );
        // SSE-KMS: a 32-hex ETag that is not the MD5 of the data.
        let mut kms = etag(b"\"d41d8cd98f00b204e9800998ecf8427e\"");
        kms.insert(
            "x-amz-server-side-encryption",
            HeaderValue::from_static("aws:kms"),
        );
        assert!(check_etag(&kms, MD5).is_ok());
    }

    #[test]
    fn a_redirect_names_its_target_safely() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            HeaderValue::from_bytes(b"http://portal.example/login?\xc2\x9b2J").unwrap(),
        );
        let text = redirect_error(StatusCode::TEMPORARY_REDIRECT, &headers, "").to_string();
        assert!(text.contains("HTTP 307"), "{text}");
        assert!(text.contains("portal.example/login"), "{text}");
        assert!(!text.chars().any(char::is_control), "{text:?}");
        let text = redirect_error(StatusCode::SEE_OTHER, &HeaderMap::new(), "<html>").to_string();
        assert!(
            text.contains("HTTP 303") && text.contains("no Location"),
            "{text}"
        );
    }

    #[test]
    fn shown_text_is_bounded() {
        let long = "x".repeat(10_000);
        assert!(shown(long.as_bytes()).chars().count() < SHOWN_CHARS + 5);
    }
}
