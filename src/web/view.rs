//! The page's facts in words: the texts of its elements, by element id, rendered once per
//! change and shared by every client.

use chrono::{DateTime, Local, Utc};
use rust_decimal::Decimal;

use super::facts::PageFacts;
use crate::cli::VERSION;

/// The text of each element of the page that changes, by its `id`, plus the same as the JSON
/// object an update event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageView {
    fields: Vec<(&'static str, String)>,
    json: String,
}

/// Shown where a value is not known (no reading yet, no summation today).
const UNKNOWN: &str = "–";

impl PageView {
    /// The view of `facts`.
    pub fn new(facts: &PageFacts) -> PageView {
        let latest = facts.latest.as_ref().map(|stored| &stored.reading);
        let demand = latest.and_then(|reading| reading.demand_kw);
        let today = |value: fn(&crate::reading::Reading) -> Option<Decimal>| {
            let first = facts
                .day_start
                .as_ref()
                .map(|s| &s.reading)
                .and_then(value)?;
            let last = latest.and_then(value)?;
            // A summation that went backwards (an EAGLE that reset it) gives no honest total.
            (last >= first).then(|| format!("{} kWh", (last - first).round_dp(3).normalize()))
        };
        let fields = vec![
            (
                "demand",
                demand.map_or(UNKNOWN.to_string(), |kw| format!("{} kW", kw.normalize())),
            ),
            (
                "flow",
                match demand {
                    Some(kw) if kw < Decimal::ZERO => "exporting to the grid",
                    Some(kw) if kw > Decimal::ZERO => "from the grid",
                    Some(_) => "neither using nor exporting",
                    None => "no reading yet",
                }
                .to_string(),
            ),
            (
                "reading_seq",
                facts
                    .latest
                    .as_ref()
                    .map_or(String::new(), |stored| stored.seq.to_string()),
            ),
            (
                "last_reading",
                latest.map_or("none yet".to_string(), |reading| local_time(reading.time)),
            ),
            (
                "today_delivered",
                today(|r| r.delivered_kwh).unwrap_or(UNKNOWN.into()),
            ),
            (
                "today_received",
                today(|r| r.received_kwh).unwrap_or(UNKNOWN.into()),
            ),
            (
                "today_since",
                facts.day_start.as_ref().map_or(String::new(), |first| {
                    format!("since {}", local_time(first.reading.time))
                }),
            ),
            ("price", latest.map_or(String::new(), price)),
            ("led_state", facts.led.to_string()),
            ("led_meaning", facts.led.meaning().to_string()),
            ("led_advice", facts.led.advice().to_string()),
            (
                "last_upload",
                facts.last_upload.map_or("none yet".to_string(), local_time),
            ),
            ("pending", format!("{} readings", facts.pending_rows)),
            ("version", VERSION.to_string()),
        ];
        let json = serde_json::Value::Object(
            fields
                .iter()
                .map(|(id, text)| (id.to_string(), serde_json::Value::from(text.as_str())))
                .collect(),
        )
        .to_string();
        PageView { fields, json }
    }

    /// Each element's id and text (raw: escape it before putting it into HTML).
    pub fn fields(&self) -> &[(&'static str, String)] {
        &self.fields
    }

    /// The text of element `id`, if the page has it.
    pub fn text(&self, id: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == id)
            .map(|(_, text)| text.as_str())
    }

    /// The fields as one JSON object on one line (the data of an update event).
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// A time as the household reads it: local date and time to the second.
fn local_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The price and its tariff as the EAGLE named them, e.g. `0.1234 USD/kWh (Off-Peak)`; raw
/// EAGLE text, escaped where it is put into HTML.
fn price(reading: &crate::reading::Reading) -> String {
    let Some(price) = reading.price else {
        return String::new();
    };
    let currency = reading.currency.as_deref().unwrap_or("");
    let mut text = format!("{} {currency}/kWh", price.normalize());
    if let Some(label) = &reading.rate_label {
        text.push_str(&format!(" ({label})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::LedState;
    use crate::reading::tests::{empty_reading, pending};
    use crate::reading::{Reading, StoredReading};
    use std::str::FromStr;

    fn stored(seq: i64, demand: &str, delivered: &str, received: &str) -> StoredReading {
        let dec = |text: &str| Some(Decimal::from_str(text).unwrap());
        let time = DateTime::from_timestamp(1_780_000_000 + seq, 0).unwrap();
        pending(
            seq,
            Reading {
                demand_kw: dec(demand),
                delivered_kwh: dec(delivered),
                received_kwh: dec(received),
                price: dec("0.1234"),
                currency: Some("USD".into()),
                rate_label: Some("<b>Off-Peak</b>".into()),
                ..empty_reading("0x0013500100abcdef", time)
            },
        )
    }

    #[test]
    fn totals_are_the_difference_since_the_day_start() {
        let view = PageView::new(&PageFacts {
            latest: Some(stored(9, "-1.250", "1012.0006", "20.100")),
            day_start: Some(stored(1, "0.5", "1000.000", "20.000")),
            pending_rows: 7,
            ..PageFacts::nothing_known(LedState::MeterNotReporting)
        });
        assert_eq!(view.text("demand"), Some("-1.25 kW"));
        assert_eq!(view.text("flow"), Some("exporting to the grid"));
        assert_eq!(view.text("today_delivered"), Some("12.001 kWh"));
        assert_eq!(view.text("today_received"), Some("0.1 kWh"));
        assert_eq!(view.text("reading_seq"), Some("9"));
        assert_eq!(view.text("led_state"), Some("meter not reporting"));
        assert_eq!(
            view.text("led_advice"),
            Some(LedState::MeterNotReporting.advice())
        );
        assert_eq!(view.text("pending"), Some("7 readings"));
        assert_eq!(view.text("last_upload"), Some("none yet"));
        assert_eq!(view.text("price"), Some("0.1234 USD/kWh (<b>Off-Peak</b>)"));
        let json: serde_json::Value = serde_json::from_str(view.json()).unwrap();
        assert_eq!(json["demand"], "-1.25 kW");
        assert!(!view.json().contains('\n'));
    }

    #[test]
    fn a_summation_that_went_backwards_gives_no_total() {
        let view = PageView::new(&PageFacts {
            latest: Some(stored(9, "1", "0", "5")),
            day_start: Some(stored(1, "1", "1000", "5")),
            ..PageFacts::nothing_known(LedState::Healthy)
        });
        assert_eq!(view.text("today_delivered"), Some(UNKNOWN));
        assert_eq!(view.text("today_received"), Some("0 kWh"));
        assert_eq!(view.text("flow"), Some("from the grid"));
    }

    #[test]
    fn nothing_known_yet() {
        let view = PageView::new(&PageFacts::nothing_known(LedState::EagleUnreachable));
        assert_eq!(view.text("demand"), Some(UNKNOWN));
        assert_eq!(view.text("flow"), Some("no reading yet"));
        assert_eq!(view.text("last_reading"), Some("none yet"));
        assert_eq!(view.text("version"), Some(VERSION));
    }
}
