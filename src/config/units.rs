//! Durations (`"6s"`) and sizes (`"512MiB"`) as written in the config file and on the command line.

use std::time::Duration;

/// Parses an integer followed by a unit: `ms`, `s`, `m` or `min`, `h`, `d` (e.g. `"500ms"`,
/// `"6s"`, `"5min"`, `"1h"`, `"30d"`). A bare number is an error: `"6"` could mean anything.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text).ok_or_else(|| duration_error(text))?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(duration_error(text)),
    };
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration {text:?} is too large"))
}

/// Parses an integer followed by a unit: `B`, binary `KiB`/`MiB`/`GiB` or decimal `KB`/`MB`/`GB`
/// (e.g. `"512MiB"`, `"100MB"`, `"4096B"`). Returns bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text).ok_or_else(|| size_error(text))?;
    let bytes_per_unit: u64 = match unit {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(size_error(text)),
    };
    number
        .checked_mul(bytes_per_unit)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

/// Splits leading ASCII digits from the rest. `None` without digits, or if they overflow;
/// a sign is not a digit, so negative and `+` values are refused here.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number = text[..digits].parse().ok()?;
    Some((number, &text[digits..]))
}

fn duration_error(text: &str) -> String {
    format!("invalid duration {text:?}: expected an integer followed by ms, s, m (or min), h or d, e.g. \"6s\"")
}

fn size_error(text: &str) -> String {
    format!("invalid size {text:?}: expected an integer followed by B, KiB, MiB, GiB, KB, MB or GB, e.g. \"512MiB\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("0s", Duration::ZERO),
            ("6s", Duration::from_secs(6)),
            ("5m", Duration::from_secs(300)),
            ("5min", Duration::from_secs(300)),
            ("1h", Duration::from_secs(3600)),
            ("30d", Duration::from_secs(30 * 86_400)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn durations_rejected() {
        for text in [
            "",
            "6",
            "s",
            "-6s",
            "+6s",
            "6 s",
            " 6s",
            "6s ",
            "6S",
            "1.5h",
            "6sec",
            "10 seconds",
            "6s6",
            "99999999999999999999s",
            "18446744073709551615d",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn duration_error_says_what_is_expected() {
        let message = parse_duration("6").unwrap_err();
        assert!(
            message.contains("\"6\"") && message.contains("ms, s, m"),
            "{message}"
        );
        assert!(parse_duration("18446744073709551615d")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn sizes_in_every_unit() {
        let cases = [
            ("4096B", 4096),
            ("1KiB", 1024),
            ("512MiB", 512 << 20),
            ("1GiB", 1 << 30),
            ("2KB", 2_000),
            ("100MB", 100_000_000),
            ("3GB", 3_000_000_000),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_size(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn sizes_rejected() {
        for text in [
            "",
            "4096",
            "MiB",
            "-1MiB",
            "1 MiB",
            "1mib",
            "1G",
            "1.5GiB",
            "1TiB",
            "18446744073709551615GiB",
            "99999999999999999999B",
        ] {
            assert!(parse_size(text).is_err(), "{text:?} should be rejected");
        }
    }
}
