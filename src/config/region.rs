//! `s3.region`: the name requests are signed with, and with Amazon S3 also the one that picks
//! the host the readings go to.
//!
//! It must therefore never be able to name a host: with Amazon S3 (an empty `s3.endpoint`) it is
//! an AWS region name of the form AWS gives them, so a typo (`us-east1`) is refused here
//! instead of becoming a DNS failure retried for ever; with a custom endpoint it is a plain
//! token (the server only compares it with its own). A URL is refused in both cases.

use super::settings::Endpoint;
use super::suggest;

/// The compass parts of AWS region names (`us-east-1`, `ap-southeast-5`, `cn-northwest-1`).
const DIRECTIONS: &[&str] = &[
    "north",
    "south",
    "east",
    "west",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

/// What `s3.region` accepts with Amazon S3.
pub(super) const AWS_EXPECTED: &str = "an AWS region name such as \"us-east-1\", \
     \"eu-central-2\" or \"us-gov-west-1\" (s3.endpoint is \"\", i.e. Amazon S3; for another \
     S3 service set s3.endpoint to its URL)";

/// What `s3.region` accepts with a custom endpoint or a directory.
pub(super) const TOKEN_EXPECTED: &str = "a region name of 1 to 63 letters, digits, '-' or '_', \
     such as \"us-east-1\" or \"garage\" (the server's address goes in s3.endpoint)";

/// The region if it suits `endpoint` (`None`: the endpoint is itself invalid, so only the
/// rule every endpoint shares is applied), else the whole problem message.
pub(super) fn check(text: &str, endpoint: Option<&Endpoint>) -> Result<String, String> {
    let (valid, expected) = match endpoint {
        Some(Endpoint::Aws) => (is_aws_region(text), AWS_EXPECTED),
        _ => (is_token(text), TOKEN_EXPECTED),
    };
    if valid {
        return Ok(text.to_string());
    }
    let hint = match (endpoint, near_aws_region(text)) {
        (Some(Endpoint::Aws), Some(near)) => format!(" (did you mean {near:?}?)"),
        _ => String::new(),
    };
    Err(format!("expected {expected}, found {text:?}{hint}"))
}

/// `us-east-1`, `us-gov-west-1`, `cn-northwest-1`: two lowercase letters, optionally `gov`
/// (GovCloud), a compass direction, then a number from 1 without leading zero. Every region
/// AWS has opened follows it, and it allows no '.', ':' or '/', so no host name or URL.
fn is_aws_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (area, direction, number) = match parts[..] {
        [area, direction, number] | [area, "gov", direction, number] => (area, direction, number),
        _ => return false,
    };
    area.len() == 2
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && DIRECTIONS.contains(&direction)
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0')
}

fn is_token(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The AWS region name `text` was probably meant to be: case, `_` or space for `-`, a missing
/// `-` before the number (`us-east1`), a misspelt direction (`eu-centrl-1`).
fn near_aws_region(text: &str) -> Option<String> {
    let mut spelled = String::new();
    for c in text.trim().chars() {
        let c = match c.to_ascii_lowercase() {
            '_' | ' ' => '-',
            c => c,
        };
        let after_letter = spelled
            .chars()
            .last()
            .is_some_and(|l| l.is_ascii_lowercase());
        if c.is_ascii_digit() && after_letter {
            spelled.push('-');
        }
        spelled.push(c);
    }
    let mut parts: Vec<String> = spelled.split('-').map(str::to_string).collect();
    let direction = parts.len().checked_sub(2)?;
    if let Some(near) = suggest::closest(&parts[direction], DIRECTIONS) {
        parts[direction] = near.to_string();
    }
    let near = parts.join("-");
    (near != text && is_aws_region(&near)).then_some(near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_regions_accepted() {
        for name in [
            "us-east-1",
            "us-west-2",
            "eu-central-2",
            "ap-southeast-5",
            "ap-northeast-3",
            "ca-west-1",
            "il-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-gov-west-1",
            "us-gov-east-1",
            "cn-north-1",
            "cn-northwest-1",
        ] {
            assert_eq!(check(name, Some(&Endpoint::Aws)), Ok(name.to_string()));
        }
    }

    #[test]
    fn aws_regions_rejected_with_a_suggestion_where_one_is_plain() {
        let cases = [
            ("us-east1", Some("us-east-1")),
            ("US-EAST-1", Some("us-east-1")),
            ("eu_west_2", Some("eu-west-2")),
            ("eu-centrl-1", Some("eu-central-1")),
            ("http://127.0.0.1:9000", None),
            ("s3.amazonaws.com", None),
            ("us-east-01", None),
            ("us-east-0", None),
            ("use-east-1", None),
            ("us-iso-east-1", None),
            // Names rust-s3 would map to other providers (DigitalOcean, Wasabi, Yandex).
            ("nyc3", None),
            ("wa-us-east-1", None),
            ("ru-central1", Some("ru-central-1")),
            ("", None),
        ];
        for (text, near) in cases {
            let message = check(text, Some(&Endpoint::Aws)).expect_err(text);
            assert!(
                message.starts_with(&format!("expected {AWS_EXPECTED}, found {text:?}")),
                "{message}"
            );
            match near {
                Some(near) => assert!(
                    message.ends_with(&format!("(did you mean {near:?}?)")),
                    "{message}"
                ),
                None => assert!(!message.contains("did you mean"), "{message}"),
            }
        }
    }

    #[test]
    fn custom_endpoints_take_a_plain_token_never_a_url() {
        let custom = Endpoint::Custom("https://minio:9000".into());
        for name in ["us-east-1", "garage", "fr_par", "RegionOne"] {
            assert_eq!(check(name, Some(&custom)), Ok(name.to_string()));
            assert_eq!(check(name, None), Ok(name.to_string()));
        }
        for text in [
            "http://evil:9000",
            "minio:9000",
            "a.b",
            "a/b",
            "",
            &"a".repeat(64),
        ] {
            for endpoint in [Some(&custom), None] {
                let message = check(text, endpoint).expect_err(text);
                assert!(
                    message.starts_with(&format!("expected {TOKEN_EXPECTED}")),
                    "{message}"
                );
            }
        }
    }
}
