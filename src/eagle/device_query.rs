//! `device_query` replies of the EAGLE-200 / EAGLE 3: one meter's variables → [`MeterSample`].

use std::str::FromStr;

use rust_decimal::Decimal;

use super::device_list::{parse_hardware_address, parse_last_contact};
use super::element_tree::{Element, ElementTree};
use super::error::EagleError;
use super::sample::{Anomaly, MeterSample};
use super::text_field;
use super::value::{check_demand, parse_value, to_base_unit, unwrap_negative, Value};

/// Variable names, which drifted across firmware (docs/eagle-api.md §3.3); first match wins.
const DEMAND: &[&str] = &["zigbee:InstantaneousDemand"];
const DELIVERED: &[&str] = &["zigbee:CurrentSummationDelivered"];
const RECEIVED: &[&str] = &["zigbee:CurrentSummationReceived"];
const MULTIPLIER: &[&str] = &["zigbee:Multiplier"];
const DIVISOR: &[&str] = &["zigbee:Divisor"];
const PRICE: &[&str] = &["zigbee:Price"];
const PRICE_DIGITS: &[&str] = &["zigbee:PriceTrailingDigits", "zigbee:TrailingDigits"];
const CURRENCY: &[&str] = &["zigbee:PriceCurrency", "zigbee:Currency"];
const RATE_LABEL: &[&str] = &["zigbee:PriceRateLabel", "zigbee:RateLabel"];
const TIER: &[&str] = &["zigbee:PriceTier"];

/// `PriceTrailingDigits` of 255 is the firmware's "no price".
const NO_PRICE_DIGITS: &str = "255";

/// One variable as the reply has it: name, value text and units text, trimmed, borrowed from
/// the parsed document (a reply carries about 30 variables, looked up a dozen times per poll).
struct RawVariable<'a> {
    name: &'a str,
    value: Option<&'a str>,
    units: Option<&'a str>,
}

/// The variables of one reply; when a name appears twice the later one counts.
struct Variables<'a>(Vec<RawVariable<'a>>);

/// Parses a `device_query` reply for the meter. A meter whose ConnectionStatus is not
/// `Connected` gives [`EagleError::MeterNotJoined`]: its values are empty or stale.
pub fn parse_device_query(body: &str) -> Result<MeterSample, EagleError> {
    let malformed = |kind, detail: String| EagleError::Malformed {
        command: "device_query",
        kind,
        detail,
    };
    if body.trim().is_empty() {
        return Err(malformed("empty-body", "empty reply".into()));
    }
    ElementTree::read(body, |root| {
        if !root.is("Device") {
            return Err(malformed(
                "unexpected-root",
                format!("root element <{}>", root.name()),
            ));
        }
        let details = root
            .child("DeviceDetails")
            .ok_or_else(|| malformed("no-device-details", "no <DeviceDetails>".into()))?;
        let address_text = details.child_text("HardwareAddress").unwrap_or("");
        let meter = parse_hardware_address(address_text)
            .ok_or_else(|| malformed("bad-address", format!("HardwareAddress {address_text:?}")))?;
        let status = details.child_text("ConnectionStatus").unwrap_or("");
        if !status.eq_ignore_ascii_case("Connected") {
            return Err(EagleError::MeterNotJoined {
                meter,
                status: status.to_string(),
            });
        }
        let last_contact_text = details.child_text("LastContact").unwrap_or("");
        let meter_time = parse_last_contact(last_contact_text)
            .flatten()
            .ok_or_else(|| {
                malformed(
                    "bad-last-contact",
                    format!("LastContact {last_contact_text:?}"),
                )
            })?;
        let components = root
            .child("Components")
            .ok_or_else(|| malformed("no-components", "<Device> without <Components>".into()))?;
        let variables = collect_variables(components);
        Ok(decode(meter, meter_time, &variables))
    })
    .map_err(|e| malformed(e.kind(), e.to_string()))?
}

/// Gathers every named `<Variable>` under `<Components>`.
fn collect_variables<'a>(components: Element<'_, 'a>) -> Variables<'a> {
    let variables = components
        .descendants()
        .filter(|n| n.is("Variable"))
        .filter_map(|variable| {
            Some(RawVariable {
                name: variable.child_text("Name")?,
                value: variable.child_text("Value"),
                units: variable.child_text("Units"),
            })
        })
        .collect();
    Variables(variables)
}

impl<'a> Variables<'a> {
    /// The first of `names` present (case-insensitive), with the name it was found under.
    fn lookup(&self, names: &[&'static str]) -> Option<(&RawVariable<'a>, &'static str)> {
        names.iter().find_map(|&name| {
            self.0
                .iter()
                .rev()
                .find(|variable| variable.name.eq_ignore_ascii_case(name))
                .map(|variable| (variable, name))
        })
    }
}

/// A numeric variable in its base unit, or `None` (missing, or refused with an anomaly).
fn quantity(
    variables: &Variables<'_>,
    names: &[&'static str],
    base_unit: &str,
    anomalies: &mut Vec<Anomaly>,
) -> Option<Decimal> {
    let (raw, name) = variables.lookup(names)?;
    match parse_value(raw.value, raw.units) {
        Value::Missing => None,
        Value::Unparseable(text) => {
            anomalies.push(Anomaly::Unparseable {
                variable: name.to_string(),
                text,
            });
            None
        }
        Value::Number { value, unit } => {
            let converted = to_base_unit(value, unit.as_deref(), base_unit);
            if converted.is_none() {
                anomalies.push(Anomaly::UnknownUnit {
                    variable: name.to_string(),
                    unit: unit.unwrap_or_default(),
                });
            }
            converted
        }
    }
}

/// A text variable, `None` when absent or empty.
fn text<'a>(variables: &Variables<'a>, names: &[&'static str]) -> Option<&'a str> {
    variables
        .lookup(names)
        .and_then(|(raw, _)| raw.value)
        .filter(|v| !v.is_empty())
}

/// A scale factor (Multiplier/Divisor); absent or unreadable means 1, as 0 does.
fn scale(variables: &Variables<'_>, names: &[&'static str]) -> Decimal {
    text(variables, names)
        .and_then(|t| Decimal::from_str(t).ok())
        .unwrap_or(Decimal::ONE)
}

fn decode(
    meter: String,
    meter_time: chrono::DateTime<chrono::Utc>,
    variables: &Variables<'_>,
) -> MeterSample {
    let mut anomalies = Vec::new();
    let demand_kw = quantity(variables, DEMAND, "kW", &mut anomalies)
        .map(|kw| unwrap_negative(kw, scale(variables, MULTIPLIER), scale(variables, DIVISOR)))
        .and_then(|kw| check_demand(kw, DEMAND[0], &mut anomalies));
    let delivered_kwh = quantity(variables, DELIVERED, "kWh", &mut anomalies);
    let received_kwh = quantity(variables, RECEIVED, "kWh", &mut anomalies);
    let no_price = text(variables, PRICE_DIGITS) == Some(NO_PRICE_DIGITS);
    let price =
        variables
            .lookup(PRICE)
            .and_then(|(raw, name)| match parse_value(raw.value, None) {
                Value::Number { value, .. } if !no_price => Some(value),
                Value::Number { .. } | Value::Missing => None,
                Value::Unparseable(text) => {
                    anomalies.push(Anomaly::Unparseable {
                        variable: name.to_string(),
                        text,
                    });
                    None
                }
            });
    let currency = variables
        .lookup(CURRENCY)
        .and_then(|(raw, name)| text_field::currency(raw.value?, name, &mut anomalies));
    let rate_label = variables
        .lookup(RATE_LABEL)
        .and_then(|(raw, name)| text_field::rate_label(raw.value?, name, &mut anomalies));
    let tier = text(variables, TIER).and_then(|t| t.parse::<i64>().ok());
    MeterSample {
        meter,
        meter_time,
        demand_kw,
        delivered_kwh,
        received_kwh,
        price,
        currency,
        rate_label,
        tier,
        anomalies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eagle::fixture;

    fn dec(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    fn sample(name: &str) -> MeterSample {
        parse_device_query(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn manual_2017_inline_unit_three_decimals() {
        let s = sample("device_query_2017_one_variable.xml");
        assert_eq!(s.meter, "0x000781000081fd0b");
        assert_eq!(s.meter_time.to_rfc3339(), "2017-08-25T23:45:00+00:00");
        assert_eq!(s.demand_kw, dec("21.499"));
        assert_eq!(s.delivered_kwh, None);
        assert!(s.anomalies.is_empty());
    }

    #[test]
    fn fixture_2019_all_variables() {
        let s = sample("device_query_all_2019.xml");
        assert_eq!(s.meter, "0x0007810000123456");
        assert_eq!(s.demand_kw, dec("2.79"));
        assert_eq!(s.delivered_kwh, dec("91937.25"));
        assert_eq!(s.received_kwh, dec("0"));
        assert_eq!(s.price, dec("0.0884"));
        assert_eq!(s.currency.as_deref(), Some("USD"));
        assert_eq!(s.rate_label.as_deref(), Some("Block 1"));
        assert_eq!(s.tier, Some(0));
        assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
    }

    #[test]
    fn a_variable_named_twice_counts_as_its_later_value_whatever_the_case() {
        // The table is looked up case-insensitively and a repeated name is the later one, as
        // when it was a map keyed by the lowercased name.
        let body = fixture("device_query_all_2019.xml").replace(
            "<Variable>\n          <Name>zigbee:InstantaneousDemand</Name>",
            "<Variable><Name>ZIGBEE:INSTANTANEOUSDEMAND</Name><Value>9.5</Value>\
             <Units>kW</Units></Variable>\n        <Variable>\n          \
             <Name>zigbee:instantaneousdemand</Name>",
        );
        assert_eq!(parse_device_query(&body).unwrap().demand_kw, dec("2.79"));
        let later = body.replace("<Value>2.790000</Value>", "<Value>1.25</Value>");
        assert_eq!(parse_device_query(&later).unwrap().demand_kw, dec("1.25"));
    }

    #[test]
    fn inline_units_six_decimals() {
        let s = sample("device_query_2018_inline_units.xml");
        assert_eq!(s.demand_kw, dec("0.07"));
        assert_eq!(s.delivered_kwh, dec("14.329"));
        assert_eq!(s.received_kwh, dec("0"));
        assert_eq!(s.price, dec("0"));
    }

    #[test]
    fn negative_demand_unsigned_wrap() {
        let s = sample("device_query_negative_wrap.xml");
        assert_eq!(s.demand_kw, dec("-3.712"));
        assert_eq!(s.demand_kw.unwrap().to_string(), "-3.712");
        assert_eq!(s.received_kwh, dec("841.207"));
    }

    #[test]
    fn hybrid_inline_and_units_element() {
        let s = sample("device_query_hybrid.xml");
        assert_eq!(s.demand_kw, dec("2.151"));
        assert_eq!(s.delivered_kwh, dec("1201.5"));
    }

    #[test]
    fn names_of_2021_and_invalid_price() {
        let s = sample("device_query_2021.xml");
        assert_eq!(s.demand_kw, dec("1.965"));
        // Exact decimal: no 2853.6620000000003.
        assert_eq!(s.delivered_kwh.unwrap().to_string(), "2853.662");
        assert_eq!(s.price, None);
        assert_eq!(s.currency.as_deref(), Some("USD"));
        assert_eq!(s.rate_label, None);
        assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
    }

    #[test]
    fn raw_ampersand_in_description() {
        let body = fixture("device_query_raw_ampersand.xml");
        assert!(body.contains("demand & summation"));
        let s = sample("device_query_raw_ampersand.xml");
        assert_eq!(s.demand_kw, dec("0.72"));
        assert_eq!(s.delivered_kwh, dec("91937.25"));
    }

    #[test]
    fn value_none_on_new_firmware() {
        let s = sample("device_query_eagle3_value_none.xml");
        assert_eq!(s.demand_kw, None);
        assert_eq!(s.delivered_kwh, dec("3310.118"));
        assert!(s.anomalies.is_empty());
    }

    #[test]
    fn not_joined_meter_is_an_error_not_a_reading() {
        let err = parse_device_query(&fixture("device_query_not_joined.xml")).unwrap_err();
        assert!(
            matches!(&err, EagleError::MeterNotJoined { status, .. } if status == "Not joined")
        );
    }

    #[test]
    fn missing_components_is_malformed() {
        let err = parse_device_query(&fixture("device_query_no_components.xml")).unwrap_err();
        assert_eq!(err.kind(), "no-components");
    }

    #[test]
    fn case_insensitive_element_names() {
        let body = fixture("device_query_all_2019.xml")
            .replace("<Variable>", "<VARIABLE>")
            .replace("</Variable>", "</VARIABLE>")
            .replace("LastContact>", "lastcontact>");
        let s = parse_device_query(&body).unwrap();
        assert_eq!(s.demand_kw, dec("2.79"));
    }

    #[test]
    fn bad_values_are_reported_and_not_stored() {
        let body = fixture("device_query_hybrid.xml")
            .replace("2.151000 kW</Value>", "2,151 kW</Value>")
            .replace(
                "1201.500000 kWh</Value>\n          <Units>kWh",
                "1201.5 MWh</Value>\n          <Units>MWh",
            );
        let s = parse_device_query(&body).unwrap();
        assert_eq!(s.demand_kw, None);
        assert_eq!(s.delivered_kwh, None);
        let kinds: Vec<_> = s.anomalies.iter().map(Anomaly::kind).collect();
        assert_eq!(kinds, ["unparseable-value", "unknown-unit"]);
        // A wrap that cannot be undone (raw above 2^32) is implausible, not stored.
        let body =
            fixture("device_query_negative_wrap.xml").replace("4294963.584000", "9999999.000000");
        let s = parse_device_query(&body).unwrap();
        assert_eq!(s.demand_kw, None);
        assert_eq!(s.anomalies[0].kind(), "implausible-value");
    }

    #[test]
    fn truncated_or_foreign_bodies_are_malformed() {
        let full = fixture("device_query_all_2019.xml");
        for (body, kind) in [
            (&full[..full.len() / 2], "bad-xml"),
            ("", "empty-body"),
            ("<DeviceList/>", "unexpected-root"),
            ("<Device><Components/></Device>", "no-device-details"),
        ] {
            assert_eq!(parse_device_query(body).unwrap_err().kind(), kind);
        }
        let no_contact = full.replace("<LastContact>0x5c5aff97</LastContact>", "");
        assert_eq!(
            parse_device_query(&no_contact).unwrap_err().kind(),
            "bad-last-contact"
        );
    }

    #[test]
    fn over_long_text_is_dropped_and_the_reading_kept() {
        let body = fixture("device_query_all_2019.xml")
            .replace("Block 1", &"B".repeat(100_000))
            .replace("<Value>USD</Value>", "<Value>US Dollars</Value>");
        let s = parse_device_query(&body).unwrap();
        assert_eq!(s.rate_label, None);
        assert_eq!(s.currency, None);
        assert_eq!(s.demand_kw, dec("2.79"));
        let kinds: Vec<_> = s.anomalies.iter().map(Anomaly::kind).collect();
        assert_eq!(kinds, ["bad-text", "bad-text"]);
    }
}
