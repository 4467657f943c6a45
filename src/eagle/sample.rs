//! What one successful poll of the EAGLE yields.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::text_field::preview;

/// The meter's values as the EAGLE reported them in one reply, already decoded: exact
/// decimals in kW / kWh, negative demand unwrapped. A field is `None` when the EAGLE gave no
/// usable value for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterSample {
    /// HardwareAddress (EAGLE-200/3) or MeterMacId (legacy), lowercase.
    pub meter: String,
    /// When the EAGLE last heard from the meter (LastContact / legacy TimeStamp).
    pub meter_time: DateTime<Utc>,
    /// Instantaneous demand, kW.
    pub demand_kw: Option<Decimal>,
    /// CurrentSummationDelivered, kWh.
    pub delivered_kwh: Option<Decimal>,
    /// CurrentSummationReceived, kWh.
    pub received_kwh: Option<Decimal>,
    /// Price per kWh.
    pub price: Option<Decimal>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Tariff label.
    pub rate_label: Option<String>,
    /// Price tier.
    pub tier: Option<i64>,
    /// Values that were present but could not be used; each is reported, none is stored.
    pub anomalies: Vec<Anomaly>,
}

impl MeterSample {
    /// True when the reply carries a demand or a summation. A reply with neither (every value
    /// empty: the EAGLE answers, but the utility's meter has stopped reporting to it) is not a
    /// reading; the other fields (price, tier) say nothing about the household's energy.
    pub fn has_values(&self) -> bool {
        self.demand_kw.is_some() || self.delivered_kwh.is_some() || self.received_kwh.is_some()
    }
}

/// A value in an otherwise good reply that the logger refused to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// The value text is not a number.
    Unparseable {
        /// Variable name, e.g. `zigbee:InstantaneousDemand`.
        variable: String,
        /// The text found.
        text: String,
    },
    /// The number came with a unit the logger does not convert.
    UnknownUnit {
        /// Variable name.
        variable: String,
        /// The unit found.
        unit: String,
    },
    /// The number is outside what a household meter can show (e.g. demand beyond ±1000 kW).
    Implausible {
        /// Variable name.
        variable: String,
        /// The value found.
        value: Decimal,
    },
    /// A text field (currency, rate label) that no meter sends: too long, control
    /// characters, not a currency code.
    BadText {
        /// Variable name.
        variable: String,
        /// What is wrong with it.
        reason: &'static str,
        /// The text found.
        text: String,
    },
}

impl Anomaly {
    /// A stable short name for counters and once-per-kind logging.
    pub fn kind(&self) -> &'static str {
        match self {
            Anomaly::Unparseable { .. } => "unparseable-value",
            Anomaly::UnknownUnit { .. } => "unknown-unit",
            Anomaly::Implausible { .. } => "implausible-value",
            Anomaly::BadText { .. } => "bad-text",
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::Unparseable { variable, text } => {
                let text = preview(text);
                write!(f, "{variable}: value {text:?} is not a number; not stored")
            }
            Anomaly::UnknownUnit { variable, unit } => {
                write!(f, "{variable}: unknown unit {unit:?}; not stored")
            }
            Anomaly::Implausible { variable, value } => {
                write!(f, "{variable}: implausible value {value}; not stored")
            }
            Anomaly::BadText {
                variable,
                reason,
                text,
            } => {
                let text = preview(text);
                write!(f, "{variable}: {text:?} {reason}; not stored")
            }
        }
    }
}
