//! The legacy RFA-Z109 EAGLE: `post_manager` commands with `<Format>JSON</Format>`, whose
//! replies carry raw ZigBee integers as hex strings.
//!
//! value = raw × Multiplier ÷ Divisor (0 means 1); TimeStamp is seconds since
//! 2000-01-01T00:00:00Z; negative demand arrives as 32-bit (or documented 24-bit) two's
//! complement.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::device_list::parse_hardware_address;
use super::error::EagleError;
use super::sample::Anomaly;
use super::text_field;

/// Unix time of the ZigBee epoch, 2000-01-01T00:00:00Z.
const ZIGBEE_EPOCH: i64 = 946_684_800;

/// `get_instantaneous_demand`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyDemand {
    /// MeterMacId, lowercase.
    pub meter: String,
    /// The reading's TimeStamp; `None` when the EAGLE has none (`0` / `0xffffffff`).
    pub time: Option<DateTime<Utc>>,
    /// Demand in kW, signed.
    pub demand_kw: Decimal,
}

/// `get_current_summation`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySummation {
    /// Delivered, kWh.
    pub delivered_kwh: Decimal,
    /// Received, kWh.
    pub received_kwh: Decimal,
}

/// `get_price`, decoded. `price` is `None` when the EAGLE has no price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyPrice {
    /// Price per kWh.
    pub price: Option<Decimal>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Price tier.
    pub tier: Option<i64>,
    /// Rate label.
    pub rate_label: Option<String>,
    /// Currency or rate label refused (see [`text_field`]); the rest of the price is kept.
    pub anomalies: Vec<Anomaly>,
}

/// Parses a `get_instantaneous_demand` JSON reply.
pub fn parse_demand(body: &str) -> Result<LegacyDemand, EagleError> {
    let command = "get_instantaneous_demand";
    let fields = fragment(body, command, "InstantaneousDemand")?;
    let meter_text = string(&fields, "MeterMacId");
    let meter = parse_hardware_address(meter_text)
        .ok_or_else(|| malformed(command, "bad-address", format!("MeterMacId {meter_text:?}")))?;
    let raw = signed_demand(string(&fields, "Demand")).ok_or_else(|| {
        malformed(
            command,
            "bad-value",
            format!("Demand {:?}", string(&fields, "Demand")),
        )
    })?;
    Ok(LegacyDemand {
        meter,
        time: timestamp(string(&fields, "TimeStamp")),
        demand_kw: scaled(Decimal::from(raw), &fields, command)?,
    })
}

/// Parses a `get_current_summation` JSON reply.
pub fn parse_summation(body: &str) -> Result<LegacySummation, EagleError> {
    let command = "get_current_summation";
    let fields = fragment(body, command, "CurrentSummation")?;
    let unsigned = |name| {
        hex_u64(string(&fields, name)).ok_or_else(|| {
            malformed(
                command,
                "bad-value",
                format!("{name} {:?}", string(&fields, name)),
            )
        })
    };
    Ok(LegacySummation {
        delivered_kwh: scaled(
            Decimal::from(unsigned("SummationDelivered")?),
            &fields,
            command,
        )?,
        received_kwh: scaled(
            Decimal::from(unsigned("SummationReceived")?),
            &fields,
            command,
        )?,
    })
}

/// Parses a `get_price` JSON reply. A raw price of 0 means "no price": the RFA-Z109 manuals
/// (REST API v1.1 and Uploader API v6, PriceCluster) say the EAGLE returns zero when neither
/// the meter nor the user has set a price. `0xffffffff` is the ZigBee "not available" too.
pub fn parse_price(body: &str) -> Result<LegacyPrice, EagleError> {
    let command = "get_price";
    let fields = fragment(body, command, "PriceCluster")?;
    let digits = hex_or_decimal(string(&fields, "TrailingDigits")).unwrap_or(0);
    let price = hex_u64(string(&fields, "Price"))
        .filter(|&raw| raw != 0 && raw != u64::from(u32::MAX))
        .zip(u32::try_from(digits).ok().filter(|d| *d <= 20))
        .map(|(raw, digits)| Decimal::from_i128_with_scale(i128::from(raw), digits).normalize());
    let mut anomalies = Vec::new();
    let currency_text = string(&fields, "Currency");
    // The legacy EAGLE sends the ISO 4217 number in hex (`0x0348` = 840).
    let currency = match hex_or_decimal(currency_text) {
        Some(number) => text_field::currency(&number.to_string(), "Currency", &mut anomalies),
        None => text_field::currency(currency_text, "Currency", &mut anomalies),
    };
    let rate_label =
        text_field::rate_label(string(&fields, "RateLabel"), "RateLabel", &mut anomalies);
    Ok(LegacyPrice {
        price,
        currency,
        tier: hex_or_decimal(string(&fields, "Tier")).and_then(|t| i64::try_from(t).ok()),
        rate_label,
        anomalies,
    })
}

/// The object under `name` in a reply such as `{"InstantaneousDemand": {...}}`. Some firmware
/// omits the outer braces, so a bare `"Name": {...}` is accepted too.
fn fragment(
    body: &str,
    command: &'static str,
    name: &str,
) -> Result<Map<String, Json>, EagleError> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err(malformed(command, "empty-body", "empty reply".into()));
    }
    let parsed: Json = serde_json::from_str(trimmed)
        .or_else(|first| serde_json::from_str(&format!("{{{trimmed}}}")).map_err(|_| first))
        .map_err(|e| malformed(command, "bad-json", e.to_string()))?;
    parsed
        .as_object()
        .and_then(|root| root.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| v.as_object())
        .cloned()
        .ok_or_else(|| malformed(command, "unexpected-root", format!("no \"{name}\" object")))
}

fn malformed(command: &'static str, kind: &'static str, detail: String) -> EagleError {
    EagleError::Malformed {
        command,
        kind,
        detail,
    }
}

/// A string field, `""` when absent or not a string.
fn string<'a>(fields: &'a Map<String, Json>, name: &str) -> &'a str {
    fields.get(name).and_then(Json::as_str).unwrap_or("").trim()
}

/// `0x…` hex, up to 64 bits.
fn hex_u64(text: &str) -> Option<u64> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    (!hex.is_empty() && hex.len() <= 16).then_some(())?;
    u64::from_str_radix(hex, 16).ok()
}

/// `0x…` hex, or plain decimal (the README's `"Tier": "1"`).
fn hex_or_decimal(text: &str) -> Option<u64> {
    hex_u64(text).or_else(|| text.parse().ok())
}

/// Demand as a signed integer: 32-bit two's complement as real devices send it, or the
/// documented 24-bit form when exactly six hex digits have the top bit set.
fn signed_demand(text: &str) -> Option<i64> {
    let raw = hex_u64(text)?;
    let digits = text.len() - 2;
    let value = if digits <= 6 && raw >= 1 << 23 {
        raw as i64 - (1 << 24)
    } else if (1 << 31..1 << 32).contains(&raw) {
        raw as i64 - (1 << 32)
    } else {
        i64::try_from(raw).ok()?
    };
    Some(value)
}

/// raw × Multiplier ÷ Divisor, with 0 (or absent) meaning 1.
fn scaled(
    raw: Decimal,
    fields: &Map<String, Json>,
    command: &'static str,
) -> Result<Decimal, EagleError> {
    let factor = |name| {
        hex_u64(string(fields, name))
            .filter(|&v| v != 0)
            .map_or(Decimal::ONE, Decimal::from)
    };
    raw.checked_mul(factor("Multiplier"))
        .and_then(|v| v.checked_div(factor("Divisor")))
        .map(|v| v.normalize())
        .ok_or_else(|| malformed(command, "bad-value", "value out of range".into()))
}

/// A 2000-epoch hex timestamp; `0` and `0xffffffff` mean "not set". ZigBee's UTCTime is 32
/// bits, so anything wider is not a time either (and the addition is checked regardless).
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let seconds = hex_u64(text).filter(|&s| s != 0 && s != u64::from(u32::MAX))?;
    let seconds = i64::from(u32::try_from(seconds).ok()?);
    DateTime::from_timestamp(ZIGBEE_EPOCH.checked_add(seconds)?, 0)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Rainforest's own README example (legacy device, 2015).
    const DEMAND_README: &str = include_str!("../../tests/fixtures/legacy_demand.json");

    #[test]
    fn readme_demand_example() {
        let demand = parse_demand(DEMAND_README).unwrap();
        assert_eq!(demand.meter, "0x000781000081fd17");
        assert_eq!(demand.demand_kw, dec("0.944"));
        // 0x1c9347b8 seconds after 2000-01-01.
        assert_eq!(
            demand.time.unwrap().to_rfc3339(),
            "2015-03-11T18:36:40+00:00"
        );
    }

    #[test]
    fn manual_worked_example_and_negative_forms() {
        let body = |demand: &str, divisor: &str| {
            format!(
                r#"{{"InstantaneousDemand":{{"MeterMacId":"0x00178d0000000004","TimeStamp":"0x185adc1d","Demand":"{demand}","Multiplier":"0x00000001","Divisor":"{divisor}"}}}}"#
            )
        };
        // (Demand, Divisor, kW)
        let cases = [
            // Manual p.22: 0x001738 = 5944 → 5.944 kW.
            ("0x001738", "0x000003e8", "5.944"),
            // Export as 32-bit two's complement: 0xfffff180 = −3712 W.
            ("0xfffff180", "0x000003e8", "-3.712"),
            // Documented 24-bit signed form: 0xfff180 = −3712.
            ("0xfff180", "0x000003e8", "-3.712"),
            // Divisor 0 means 1.
            ("0x001738", "0x00000000", "5944"),
        ];
        for (demand, divisor, kw) in cases {
            assert_eq!(
                parse_demand(&body(demand, divisor)).unwrap().demand_kw,
                dec(kw),
                "{demand} / {divisor}"
            );
        }
        // Missing braces (firmware quirk).
        let bare = body("0x001738", "0x000003e8");
        let bare = &bare[1..bare.len() - 1];
        assert_eq!(parse_demand(bare).unwrap().demand_kw, dec("5.944"));
    }

    #[test]
    fn summation_uses_sixteen_hex_digits() {
        let body = r#"{"CurrentSummation":{"MeterMacId":"0x000781000086d0fe","TimeStamp":"0x1c531e54","SummationDelivered":"0x0000000006953720","SummationReceived":"0x00000000003f8240","Multiplier":"0x00000001","Divisor":"0x000003e8"}}"#;
        let summation = parse_summation(body).unwrap();
        assert_eq!(summation.delivered_kwh, dec("110442.272"));
        assert_eq!(summation.received_kwh, dec("4162.112"));
    }

    #[test]
    fn price_cluster() {
        // Manual p.23: 0x7d with 3 trailing digits = $0.125; currency 0x0348 = 840 = USD.
        let body = r#"{"PriceCluster":{"MeterMacId":"0x00078100011cf431","TimeStamp":"0x1a462b4d","Price":"0x0000007d","Currency":"0x0348","TrailingDigits":"0x03","Tier":"0x01","RateLabel":"Set by User"}}"#;
        let price = parse_price(body).unwrap();
        assert_eq!(price.price, Some(dec("0.125")));
        assert_eq!(price.currency.as_deref(), Some("USD"));
        assert_eq!(price.tier, Some(1));
        assert_eq!(price.rate_label.as_deref(), Some("Set by User"));
        let none = body.replace("0x0000007d", "0xffffffff");
        assert_eq!(parse_price(&none).unwrap().price, None);
    }

    #[test]
    fn a_price_of_zero_is_no_price() {
        // Uploader API manual p.10 / REST API v1.1: Price "will be zero if no price is set".
        let body = r#"{"PriceCluster":{"MeterMacId":"0x00078100011cf431","TimeStamp":"0x00000000","Price":"0x00000000","Currency":"0x0348","TrailingDigits":"0x00","Tier":"0x01","RateLabel":""}}"#;
        let price = parse_price(body).unwrap();
        assert_eq!(price.price, None);
        assert_eq!(price.currency.as_deref(), Some("USD"));
        assert_eq!(price.rate_label, None);
        assert!(price.anomalies.is_empty());
    }

    #[test]
    fn hostile_price_text_is_dropped_with_an_anomaly() {
        let body = format!(
            r#"{{"PriceCluster":{{"Price":"0x0000007d","Currency":"0x9999","TrailingDigits":"0x03","RateLabel":"{}"}}}}"#,
            "L".repeat(10_000)
        );
        let price = parse_price(&body).unwrap();
        assert_eq!(price.price, Some(dec("0.125")));
        assert_eq!((price.currency, price.rate_label), (None, None));
        let kinds: Vec<_> = price.anomalies.iter().map(Anomaly::kind).collect();
        assert_eq!(kinds, ["bad-text", "bad-text"]);
    }

    #[test]
    fn malformed_replies() {
        for (body, kind) in [
            ("", "empty-body"),
            ("<html>", "bad-json"),
            (r#"{"Other":{}}"#, "unexpected-root"),
            (
                r#"{"InstantaneousDemand":{"MeterMacId":"0x00178d0000000004","Demand":"zz"}}"#,
                "bad-value",
            ),
            (
                r#"{"InstantaneousDemand":{"MeterMacId":"nope","Demand":"0x01"}}"#,
                "bad-address",
            ),
        ] {
            assert_eq!(parse_demand(body).unwrap_err().kind(), kind, "{body}");
        }
    }

    #[test]
    fn unset_timestamps() {
        assert_eq!(timestamp("0x00000000"), None);
        assert_eq!(timestamp("0xffffffff"), None);
        assert_eq!(timestamp(""), None);
    }

    #[test]
    fn timestamps_wider_than_32_bits_are_refused_not_overflowed() {
        // 2000-01-01 + 0xfffffffe s is the last ZigBee time.
        assert_eq!(
            timestamp("0xfffffffe").unwrap().to_rfc3339(),
            "2136-02-07T06:28:14+00:00"
        );
        // These used to overflow the addition (a panic in debug builds).
        for text in [
            "0x7fffffffffffffff",
            "0x7ffffffffc6f7d7f",
            "0xffffffffffffffff",
        ] {
            assert_eq!(timestamp(text), None, "{text}");
        }
        let body = r#"{"InstantaneousDemand":{"MeterMacId":"0x00178d0000000004","TimeStamp":"0x7fffffffffffffff","Demand":"0x001738"}}"#;
        assert_eq!(parse_demand(body).unwrap().time, None);
    }
}
