//! Network addresses as staff type them: the EAGLE's host and the S3 endpoint.

use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::settings::Endpoint;

/// What `eagle.host` accepts.
pub(super) const HOST_EXPECTED: &str =
    "a host name, IP address, host:port, or URL http://host[:port] or https://host[:port]";

/// What `s3.endpoint` accepts.
pub(super) const ENDPOINT_EXPECTED: &str =
    "\"\" (Amazon S3), an http:// or https:// URL, or file:///absolute/directory";

/// Normalises `eagle.host` to a base URL with scheme and without trailing slash:
/// `eagle-0123ab.local` → `http://eagle-0123ab.local`. Plain HTTP by default because that
/// is what the EAGLE serves on the local network.
pub(super) fn eagle_base_url(text: &str) -> Result<String, &'static str> {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), text),
    };
    if scheme != "http" && scheme != "https" {
        return Err(HOST_EXPECTED);
    }
    let (authority, path) = split_path(rest);
    // The client appends the API path itself; any path here would be silently ignored.
    if !path.is_empty() && path != "/" {
        return Err("a host without a path (such as http://eagle-0123ab.local)");
    }
    let authority = normalise_authority(authority).ok_or(HOST_EXPECTED)?;
    Ok(format!("{scheme}://{authority}"))
}

/// Parses `s3.endpoint`.
pub(super) fn endpoint(text: &str) -> Result<Endpoint, &'static str> {
    if text.is_empty() {
        return Ok(Endpoint::Aws);
    }
    let (scheme, rest) = text.split_once("://").ok_or(ENDPOINT_EXPECTED)?;
    match scheme.to_ascii_lowercase().as_str() {
        "file" if rest.starts_with('/') => Ok(Endpoint::Directory(PathBuf::from(rest))),
        "file" => Err("file:// followed by an absolute directory, such as file:///srv/bucket"),
        scheme @ ("http" | "https") => {
            let (authority, path) = split_path(rest);
            let authority = normalise_authority(authority).ok_or(ENDPOINT_EXPECTED)?;
            let path = path.trim_end_matches('/');
            Ok(Endpoint::Custom(format!("{scheme}://{authority}{path}")))
        }
        _ => Err(ENDPOINT_EXPECTED),
    }
}

/// Splits `host:port/path` at the first `/`.
fn split_path(rest: &str) -> (&str, &str) {
    match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    }
}

/// Checks `host`, `host:port`, `[v6]:port` or a bare IPv6 address; returns it in URL form.
fn normalise_authority(authority: &str) -> Option<String> {
    if authority.parse::<Ipv6Addr>().is_ok() {
        return Some(format!("[{authority}]"));
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        address.parse::<Ipv6Addr>().ok()?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
            .then(|| authority.to_string());
    }
    let valid = match authority.split_once(':') {
        Some((host, port)) => is_host(host) && is_port(port),
        None => is_host(authority),
    };
    valid.then(|| authority.to_string())
}

/// A DNS name or IPv4 address: letters, digits, `.` and `-`, not starting with either symbol.
fn is_host(host: &str) -> bool {
    host.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn is_port(port: &str) -> bool {
    port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|port| port > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eagle_hosts_accepted() {
        let cases = [
            ("eagle-0123ab.local", "http://eagle-0123ab.local"),
            ("192.168.1.20", "http://192.168.1.20"),
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://eagle:80/", "http://eagle:80"),
            ("HTTPS://eagle.example", "https://eagle.example"),
            ("fe80::1", "http://[fe80::1]"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ];
        for (text, expected) in cases {
            assert_eq!(eagle_base_url(text).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn eagle_hosts_rejected() {
        for text in [
            "",
            "ftp://eagle",
            "http://",
            "http://eagle/cgi-bin/post_manager",
            "eagle:0",
            "eagle:99999",
            "eagle:http",
            "user@eagle",
            "eagle local",
            "-eagle",
            "http://[::1",
            "[nonsense]:80",
            "eagle?x=1",
        ] {
            assert!(eagle_base_url(text).is_err(), "{text:?} should be rejected");
        }
        assert!(eagle_base_url("http://eagle/x")
            .unwrap_err()
            .contains("without a path"));
    }

    #[test]
    fn endpoints_accepted() {
        let cases = [
            ("", Endpoint::Aws),
            (
                "https://s3.example.com/",
                Endpoint::Custom("https://s3.example.com".into()),
            ),
            (
                "http://minio:9000",
                Endpoint::Custom("http://minio:9000".into()),
            ),
            (
                "http://host/base//",
                Endpoint::Custom("http://host/base".into()),
            ),
            (
                "file:///srv/bucket",
                Endpoint::Directory(PathBuf::from("/srv/bucket")),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(endpoint(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn endpoints_rejected() {
        for text in [
            "s3.example.com",
            "ftp://host",
            "https://",
            "file://relative/dir",
            "file:",
            "s3://bucket",
        ] {
            assert!(endpoint(text).is_err(), "{text:?} should be rejected");
        }
        assert!(endpoint("file://x").unwrap_err().contains("absolute"));
    }
}
