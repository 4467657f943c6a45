//! HTTP Basic authentication: user = Cloud ID (case-insensitive hex), password = Install Code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Whether an `Authorization` header value carries the right credentials. Anything malformed
/// is simply "not authorised".
pub(crate) fn authorised(header: Option<&[u8]>, cloud_id: &str, install_code: &str) -> bool {
    let Some(value) = header.and_then(|h| std::str::from_utf8(h).ok()) else {
        return false;
    };
    let mut parts = value.trim().splitn(2, ' ');
    let (Some(scheme), Some(token)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("Basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(token.trim()) else {
        return false;
    };
    let Ok(pair) = String::from_utf8(decoded) else {
        return false;
    };
    match pair.split_once(':') {
        Some((user, pass)) => user.eq_ignore_ascii_case(cloud_id) && pass == install_code,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(pair: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(pair)).into_bytes()
    }

    #[test]
    fn checks_both_parts() {
        let ok = |h: &[u8]| authorised(Some(h), "0123ab", "0123456789abcdef");
        assert!(ok(&basic("0123ab:0123456789abcdef")));
        assert!(ok(&basic("0123AB:0123456789abcdef")));
        assert!(!ok(&basic("0123ab:wrong")));
        assert!(!ok(&basic("ffffff:0123456789abcdef")));
        assert!(!ok(b"Basic !!!notbase64"));
        assert!(!ok(b"Bearer abc"));
        assert!(!ok(b"\xff\xfe"));
        assert!(!authorised(None, "0123ab", "0123456789abcdef"));
    }
}
