//! The real-device corpus (`tests/fixtures/`, sources in its README) replayed over loopback
//! HTTP, byte for byte, to the real client (`Eagle::poll`), and each decoded to values
//! worked out by hand here: every expected decimal is written out, with how it follows from
//! the reply's text, hex, Multiplier and Divisor.

use crate::common;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::replay::{fixture, Replay};
use rainforest_logger::config::ApiKind;
use rainforest_logger::eagle::{Anomaly, Eagle, EagleError, MeterSample};
use rust_decimal::Decimal;

fn dec(text: &str) -> Option<Decimal> {
    Some(Decimal::from_str(text).unwrap())
}

fn time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

/// A sample with demand and summations only; the price fields are added where a reply has them.
fn sample(
    meter: &str,
    meter_time: &str,
    demand_kw: Option<Decimal>,
    delivered_kwh: Option<Decimal>,
    received_kwh: Option<Decimal>,
) -> MeterSample {
    MeterSample {
        meter: meter.to_string(),
        demand_kw,
        delivered_kwh,
        received_kwh,
        ..common::empty_sample(time(meter_time))
    }
}

/// Checks that the EAGLE-200 reply `fixture` is read as `expected`.
async fn assert_reads(fixture: &str, expected: MeterSample) {
    assert_eq!(poll_eagle200(fixture).await.unwrap(), expected, "{fixture}");
}

/// The text between `<name>` and `</name>` in `xml`.
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
    &xml[start..end]
}

/// Polls an EAGLE-200/3 whose `device_query` reply is the fixture `name`, verbatim. The
/// `device_list` reply is the recorded 2019 list with the fixture's meter address in it (the
/// client picks the meter from the list before it queries).
async fn poll_eagle200(name: &str) -> Result<MeterSample, EagleError> {
    let query = fixture(name);
    let address = element(&String::from_utf8_lossy(&query), "HardwareAddress").to_string();
    let list = String::from_utf8(fixture("device_list_2019.xml"))
        .unwrap()
        .replace("0x0007810000123456", &address);
    let server = Replay::start(move |request| {
        if request.contains("device_list") {
            list.clone().into_bytes()
        } else {
            query.clone()
        }
    })
    .await;
    let settings = common::eagle_settings(&server.url(), Duration::from_secs(2));
    Eagle::new(&settings).unwrap().poll().await
}

#[tokio::test]
async fn eagle200_2017_manual_inline_unit() {
    // "21.499 kW": the number before the unit, three decimals as the 2017 manual prints it.
    // LastContact 0x59a0b67c = 1503704700 s since 1970 = 2017-08-25T23:45:00Z.
    let expected = sample(
        "0x000781000081fd0b",
        "2017-08-25T23:45:00Z",
        dec("21.499"),
        None,
        None,
    );
    assert_reads("device_query_2017_one_variable.xml", expected).await;
}

#[tokio::test]
async fn eagle200_2018_inline_units_six_decimals() {
    // "0.070000 kW" → 0.07; "14.329000 kWh" → 14.329; "0.000000 kWh" → 0; Price "0.000000"
    // → 0 (the EAGLE-200 has no "zero means none" rule; only TrailingDigits 255 does).
    // LastContact 0x5c5aff97 = 1549467543 = 2019-02-06T15:39:03Z.
    let expected = MeterSample {
        price: dec("0"),
        ..sample(
            "0x000781000081fd0b",
            "2019-02-06T15:39:03Z",
            dec("0.07"),
            dec("14.329"),
            dec("0"),
        )
    };
    assert_reads("device_query_2018_inline_units.xml", expected).await;
}

#[tokio::test]
async fn eagle200_2019_all_variables() {
    // Value + <Units>: "2.790000" kW, "91937.250000" kWh, "0.000000" kWh; Price "0.088400"
    // (TrailingDigits 4) → 0.0884; Currency "USD"; RateLabel "Block 1"; PriceTier "0".
    // LastContact 0x5c5aff97 = 2019-02-06T15:39:03Z.
    let expected = MeterSample {
        price: dec("0.0884"),
        currency: Some("USD".into()),
        rate_label: Some("Block 1".into()),
        tier: Some(0),
        ..sample(
            "0x0007810000123456",
            "2019-02-06T15:39:03Z",
            dec("2.79"),
            dec("91937.25"),
            dec("0"),
        )
    };
    assert_reads("device_query_all_2019.xml", expected).await;
}

#[tokio::test]
async fn eagle200_2021_price_invalid() {
    // "1.965000" kW; "2853.662000" kWh (exactly, not 2853.6620000000003); Price "invalid" and
    // PriceTrailingDigits 255 → no price; PriceCurrency "USD"; PriceRateLabel empty → none;
    // PriceTier "0". LastContact 0x61155b2a = 1628789546 = 2021-08-12T17:32:26Z.
    let expected = MeterSample {
        currency: Some("USD".into()),
        tier: Some(0),
        ..sample(
            "0x000781000081fd0b",
            "2021-08-12T17:32:26Z",
            dec("1.965"),
            dec("2853.662"),
            dec("0"),
        )
    };
    assert_reads("device_query_2021.xml", expected).await;
}

#[tokio::test]
async fn eagle200_2021_negative_demand_wrap() {
    // "4294963.584000 kW" is export printed as unsigned 32-bit: raw = 4294963.584 × Divisor
    // 1000 ÷ Multiplier 1 = 4294963584; 4294963584 − 2^32 (4294967296) = −3712 → −3.712 kW.
    // "5120.115000 kWh" → 5120.115; "841.207000 kWh" → 841.207.
    // LastContact 0x610d1e2c = 1628249644 = 2021-08-06T11:34:04Z.
    let expected = sample(
        "0x000781000081fd0b",
        "2021-08-06T11:34:04Z",
        dec("-3.712"),
        dec("5120.115"),
        dec("841.207"),
    );
    assert_reads("device_query_negative_wrap.xml", expected).await;
}

#[tokio::test]
async fn eagle200_2021_inline_unit_and_units_element() {
    // "2.151000 kW" with <Units>kW: the number, the unit once → 2.151; "1201.500000 kWh" →
    // 1201.5; "0.000000 kWh" → 0. LastContact 0x610d1e2c = 2021-08-06T11:34:04Z.
    let expected = sample(
        "0x000781000081fd0b",
        "2021-08-06T11:34:04Z",
        dec("2.151"),
        dec("1201.5"),
        dec("0"),
    );
    assert_reads("device_query_hybrid.xml", expected).await;
}

#[tokio::test]
async fn eagle200_raw_ampersand_in_a_description() {
    // Not well-formed XML ("demand & summation"), read anyway: "0.720000" kW → 0.72,
    // "91937.250000" kWh → 91937.25. LastContact 0x5c5aff97 = 2019-02-06T15:39:03Z.
    let expected = sample(
        "0x000781000081fd0b",
        "2019-02-06T15:39:03Z",
        dec("0.72"),
        dec("91937.25"),
        None,
    );
    assert_reads("device_query_raw_ampersand.xml", expected).await;
}

#[tokio::test]
async fn eagle3_2025_demand_none() {
    // InstantaneousDemand "None" → no demand (not 0); "3310.118000" kWh → 3310.118.
    // LastContact 0x688a1b20 = 1753881376 = 2025-07-30T13:16:16Z.
    let expected = sample(
        "0x000781000081fd0b",
        "2025-07-30T13:16:16Z",
        None,
        dec("3310.118"),
        None,
    );
    assert_reads("device_query_eagle3_value_none.xml", expected).await;
}

#[tokio::test]
async fn eagle3_2025_every_value_empty_is_a_sample_without_values() {
    // Every <Value> empty: no demand, no summation, no price. The client returns it as it is;
    // the recorder refuses to store it (tests/suite/meter_not_reporting.rs).
    // LastContact 0x68814a64 = 1753303652 = 2025-07-23T20:47:32Z.
    let polled = poll_eagle200("device_query_2025_every_value_empty.xml")
        .await
        .unwrap();
    let expected = sample(
        "0x000781000081fd0b",
        "2025-07-23T20:47:32Z",
        None,
        None,
        None,
    );
    assert_eq!(polled, expected);
    assert!(!polled.has_values());
}

#[tokio::test]
async fn eagle3_reply_without_components_is_malformed() {
    let error = poll_eagle200("device_query_no_components.xml")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "no-components", "{error}");
}

#[tokio::test]
async fn a_not_joined_meter_is_an_error_not_a_reading() {
    let error = poll_eagle200("device_query_not_joined.xml")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EagleError::MeterNotJoined { status, .. } if status == "Not joined"),
        "{error}"
    );
}

/// Polls a legacy RFA-Z109 that answers each command with the given reply body.
async fn poll_legacy(
    demand: Vec<u8>,
    summation: Vec<u8>,
    price: Vec<u8>,
) -> Result<MeterSample, EagleError> {
    let server = Replay::start(move |request| {
        if request.contains("get_instantaneous_demand") {
            demand.clone()
        } else if request.contains("get_current_summation") {
            summation.clone()
        } else if request.contains("get_price") {
            price.clone()
        } else {
            b"unexpected command".to_vec()
        }
    })
    .await;
    let mut settings = common::eagle_settings(&server.url(), Duration::from_secs(2));
    settings.api = ApiKind::Legacy;
    Eagle::new(&settings).unwrap().poll().await
}

#[tokio::test]
async fn legacy_z109_recorded_demand_summation_and_price() {
    // Demand 0x0002d9 = 729 × Multiplier 1 ÷ Divisor 0x3e8 (1000) = 0.729 kW.
    // SummationDelivered 0x06953720 = 110442272 ÷ 1000 = 110442.272 kWh; Received 0.
    // Price 0x48 = 72 with TrailingDigits 3 = 0.072; Currency 0x0348 = 840 = USD; Tier 1.
    // TimeStamp 0x246d0178 = 611123576 s after 2000-01-01 = 2019-05-14T04:32:56Z.
    let expected = MeterSample {
        price: dec("0.072"),
        currency: Some("USD".into()),
        rate_label: Some("Set by User".into()),
        tier: Some(1),
        ..sample(
            "0x00078100001d2c64",
            "2019-05-14T04:32:56Z",
            dec("0.729"),
            dec("110442.272"),
            dec("0"),
        )
    };
    let polled = poll_legacy(
        fixture("legacy_z109_demand.json"),
        fixture("legacy_z109_summation.json"),
        fixture("legacy_z109_price.json"),
    )
    .await
    .unwrap();
    assert_eq!(polled, expected);
}

#[tokio::test]
async fn legacy_readme_demand_with_manual_price_of_zero() {
    // Rainforest's README: Demand 0x0003b0 = 944 ÷ 1000 = 0.944 kW; TimeStamp 0x1c9347b8 =
    // 479414200 s after 2000 = 2015-03-11T18:36:40Z. The price reply is the recorded one with
    // Price 0: "will be zero if no price is set" (REST API manual) → no price, but the
    // currency, tier and label stay.
    let zero_price = String::from_utf8(fixture("legacy_z109_price.json"))
        .unwrap()
        .replace("0x00000048", "0x00000000");
    let polled = poll_legacy(
        fixture("legacy_demand.json"),
        fixture("legacy_z109_summation.json"),
        zero_price.into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(polled.meter, "0x000781000081fd17");
    assert_eq!(polled.meter_time, time("2015-03-11T18:36:40Z"));
    assert_eq!(polled.demand_kw, dec("0.944"));
    assert_eq!(polled.price, None);
    assert_eq!(polled.currency.as_deref(), Some("USD"));
    assert_eq!(polled.tier, Some(1));
    assert_eq!(polled.anomalies, Vec::<Anomaly>::new());
}
