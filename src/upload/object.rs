//! The bytes of one batch object: gzip'd NDJSON, one reading per line (docs/design.md §2).
//!
//! Deterministic on purpose: the same rows always give the same bytes (keys in a fixed order,
//! exact decimals, gzip header with mtime 0), so a re-upload after a crash is byte-identical
//! and S3 holds exactly one version of the truth.

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::SecondsFormat;
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use rust_decimal::Decimal;

use crate::reading::StoredReading;

/// One line of NDJSON for `row`: keys in the order of docs/design.md §2, absent values omitted.
pub fn ndjson_line(household: &str, row: &StoredReading) -> String {
    let r = &row.reading;
    let mut line = String::with_capacity(256);
    line.push('{');
    push_str(&mut line, "household", household);
    push_str(&mut line, "meter", &r.meter);
    push_raw(&mut line, "seq", &row.seq.to_string());
    push_str(
        &mut line,
        "time",
        &r.time.to_rfc3339_opts(SecondsFormat::Millis, true),
    );
    if let Some(meter_time) = r.meter_time {
        push_str(
            &mut line,
            "meter_time",
            &meter_time.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
    }
    push_number(&mut line, "demand_kw", r.demand_kw);
    push_number(&mut line, "delivered_kwh", r.delivered_kwh);
    push_number(&mut line, "received_kwh", r.received_kwh);
    push_number(&mut line, "price", r.price);
    if let Some(currency) = &r.currency {
        push_str(&mut line, "currency", currency);
    }
    if let Some(label) = &r.rate_label {
        push_str(&mut line, "rate_label", label);
    }
    if let Some(tier) = r.tier {
        push_raw(&mut line, "tier", &tier.to_string());
    }
    push_str(
        &mut line,
        "clock",
        if r.clock.synced { "synced" } else { "unsynced" },
    );
    line.push('}');
    line
}

/// The gzip'd NDJSON object for `rows` (which the caller sorted by seq).
pub fn build_object(household: &str, rows: &[StoredReading]) -> Vec<u8> {
    // mtime 0 and no file name: the header carries nothing that changes between builds.
    let mut gzip: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    for row in rows {
        let mut line = ndjson_line(household, row);
        line.push('\n');
        // Writing into a Vec cannot fail.
        let _ = gzip.write_all(line.as_bytes());
    }
    gzip.finish().unwrap_or_default()
}

fn separator(line: &mut String) {
    if line.len() > 1 {
        line.push(',');
    }
}

fn push_raw(line: &mut String, key: &str, json: &str) {
    separator(line);
    let _ = write!(line, "\"{key}\":{json}");
}

fn push_str(line: &mut String, key: &str, value: &str) {
    // serde_json escapes exactly as JSON requires (quotes, control characters).
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    push_raw(line, key, &quoted);
}

/// A decimal as a JSON number, exactly as stored (`2853.662`, never `2853.6620000000003`).
fn push_number(line: &mut String, key: &str, value: Option<Decimal>) {
    if let Some(value) = value {
        push_raw(line, key, &value.normalize().to_string());
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::str::FromStr;

    use chrono::{DateTime, Utc};
    use flate2::read::GzDecoder;

    use super::*;
    use crate::reading::tests::{empty_reading, pending};
    use crate::reading::Reading;

    fn row(seq: i64, demand: &str) -> StoredReading {
        let time = DateTime::<Utc>::from_timestamp_millis(1_772_875_800_123).unwrap();
        pending(
            seq,
            Reading {
                meter_time: DateTime::from_timestamp(1_772_875_799, 0),
                demand_kw: Some(Decimal::from_str(demand).unwrap()),
                delivered_kwh: Some(Decimal::from_str("2853.662").unwrap()),
                price: Some(Decimal::from_str("0.0884").unwrap()),
                currency: Some("USD".into()),
                rate_label: Some("Block \"1\"".into()),
                tier: Some(0),
                ..empty_reading("0x0013500100aa3ce7", time)
            },
        )
    }

    #[test]
    fn line_has_design_key_order_and_exact_numbers() {
        assert_eq!(
            ndjson_line("h-0001", &row(7, "-3.712")),
            r#"{"household":"h-0001","meter":"0x0013500100aa3ce7","seq":7,"time":"2026-03-07T09:30:00.123Z","meter_time":"2026-03-07T09:29:59Z","demand_kw":-3.712,"delivered_kwh":2853.662,"price":0.0884,"currency":"USD","rate_label":"Block \"1\"","tier":0,"clock":"synced"}"#
        );
        let line = ndjson_line("h-0001", &row(8, "1.5"));
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["demand_kw"].to_string(), "1.5");
        assert!(
            parsed.get("received_kwh").is_none(),
            "absent values are omitted"
        );
    }

    #[test]
    fn same_rows_same_bytes_and_it_decompresses() {
        let rows = [row(1, "0.5"), row(2, "-0.25")];
        let first = build_object("h-0001", &rows);
        let second = build_object("h-0001", &rows);
        assert_eq!(first, second);
        // gzip header: magic, deflate, no flags, mtime 0.
        assert_eq!(&first[..8], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        let mut text = String::new();
        GzDecoder::new(&first[..])
            .read_to_string(&mut text)
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains(r#""seq":2"#) && lines[1].contains("-0.25"));
        assert!(text.ends_with('\n'));
    }
}
