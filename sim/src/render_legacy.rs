//! Replies of the legacy RFA-Z109 `post_manager` commands: raw ZigBee integers as hex strings
//! (docs/eagle-api.md §1.2, §2.4, §3.2), as JSON with `<Format>JSON</Format>` or as the XML
//! fragment.

use rust_decimal::Decimal;

use super::meter::Snapshot;
use super::profile::Knobs;
use super::render::escape;
use super::request::LegacyQuery;
use super::served::ServedReading;

/// Seconds from the Unix epoch to the ZigBee epoch, 2000-01-01T00:00:00Z.
pub(crate) const ZIGBEE_EPOCH: i64 = 946_684_800;

/// The identity of the legacy unit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LegacyDevice<'a> {
    pub knobs: &'a Knobs,
    /// The EAGLE's own MAC, `0xd8d5b9…`.
    pub device_mac: &'a str,
    /// The meter's MAC.
    pub meter_mac: &'a str,
    pub install_code: &'a str,
}

/// The meter's Multiplier/Divisor and the raw integers they imply.
#[derive(Debug, Clone, Copy)]
struct Scale {
    multiplier: i64,
    divisor: i64,
}

impl Scale {
    fn of(knobs: &Knobs) -> Scale {
        // Zero means one (docs/eagle-api.md §3.2); the raw fields still show the zero.
        Scale {
            multiplier: i64::from(knobs.legacy_multiplier.max(1)),
            divisor: i64::from(knobs.legacy_divisor.max(1)),
        }
    }

    /// The raw attribute for a value in thousandths (W or Wh): value = raw × M ÷ D.
    /// Truncates when the meter's scale is coarser than a thousandth.
    fn raw(self, thousandths: i64) -> i64 {
        thousandths * self.divisor / (1000 * self.multiplier)
    }

    /// What a correct client computes from a raw attribute.
    fn decode(self, raw: i64) -> Decimal {
        Decimal::from(raw * self.multiplier) / Decimal::from(self.divisor)
    }
}

/// The reply to one legacy query for reading `snap`.
pub(crate) fn render(dev: LegacyDevice, query: LegacyQuery, json: bool, snap: &Snapshot) -> String {
    let knobs = dev.knobs;
    let scale = Scale::of(knobs);
    let timestamp = format!("0x{:08x}", (snap.unix - ZIGBEE_EPOCH).max(0));
    let multiplier = format!("0x{:08x}", knobs.legacy_multiplier);
    let divisor = format!("0x{:08x}", knobs.legacy_divisor);
    let ids = [
        ("DeviceMacId", dev.device_mac.to_string()),
        ("MeterMacId", dev.meter_mac.to_string()),
        ("TimeStamp", timestamp),
    ];
    let (root, fields): (&str, Vec<(&str, String)>) = match query {
        LegacyQuery::InstantaneousDemand => {
            let mut f = ids.to_vec();
            f.extend([
                ("Demand", demand_hex(scale.raw(snap.demand_w))),
                ("Multiplier", multiplier),
                ("Divisor", divisor),
                ("DigitsRight", "0x03".into()),
                ("DigitsLeft", "0x06".into()),
                ("SuppressLeadingZero", "Y".into()),
            ]);
            ("InstantaneousDemand", f)
        }
        LegacyQuery::CurrentSummation => {
            let mut f = ids.to_vec();
            f.extend([
                (
                    "SummationDelivered",
                    summation_hex(scale.raw(snap.delivered_wh as i64)),
                ),
                (
                    "SummationReceived",
                    summation_hex(scale.raw(snap.received_wh as i64)),
                ),
                ("Multiplier", multiplier),
                ("Divisor", divisor),
                ("DigitsRight", "0x01".into()),
                ("DigitsLeft", "0x06".into()),
                ("SuppressLeadingZero", "Y".into()),
            ]);
            ("CurrentSummation", f)
        }
        LegacyQuery::Price => {
            let mut f = ids.to_vec();
            // No price: the all-ones "not set" pattern the legacy firmware uses.
            let (raw, digits, currency, tier, label) = match knobs.price {
                Some(p) => (
                    p.mantissa,
                    p.digits,
                    p.currency_numeric,
                    p.tier,
                    p.rate_label,
                ),
                None => (0xffff_ffff, 0, 840, 0, ""),
            };
            f.extend([
                ("Price", format!("0x{raw:08x}")),
                ("Currency", format!("0x{currency:04x}")),
                ("TrailingDigits", format!("0x{digits:02x}")),
                ("Tier", format!("0x{tier:02x}")),
                ("RateLabel", label.to_string()),
            ]);
            ("PriceCluster", f)
        }
        LegacyQuery::NetworkInfo => (
            "NetworkInfo",
            vec![
                ("DeviceMacId", dev.device_mac.to_string()),
                ("InstallCode", format!("0x{}", dev.install_code)),
                ("FWVersion", "2.3.4 (8466)".into()),
                ("HWVersion", "1.2.5".into()),
                ("Manufacturer", "Rainforest Automation, Inc.".into()),
                ("ModelId", "Z109-EAGLE".into()),
                ("DateCode", "2014051823520701".into()),
                ("ImageType", "0x1301".into()),
                ("Protocol", "Zigbee".into()),
            ],
        ),
    };
    if json {
        to_json(root, &fields)
    } else {
        to_xml(root, &fields)
    }
}

/// Whether a reply to `query` carries a meter reading (and so counts as serving it).
pub(crate) fn carries_reading(query: LegacyQuery) -> bool {
    query != LegacyQuery::NetworkInfo
}

/// The reading a correct client decodes from the legacy replies for `snap`.
pub(crate) fn served(dev: LegacyDevice, snap: &Snapshot) -> ServedReading {
    let scale = Scale::of(dev.knobs);
    ServedReading {
        hardware_address: dev.meter_mac.to_string(),
        meter_time: ServedReading::time(snap.unix),
        demand_kw: scale.decode(scale.raw(snap.demand_w)),
        demand_blank: false,
        delivered_kwh: Some(scale.decode(scale.raw(snap.delivered_wh as i64))),
        received_kwh: scale.decode(scale.raw(snap.received_wh as i64)),
        price: dev.knobs.price.map(|p| Decimal::new(p.mantissa, p.digits)),
    }
}

/// Demand: 6 hex digits when positive; negative as 32-bit two's complement, as real units do.
fn demand_hex(raw: i64) -> String {
    if raw >= 0 {
        format!("0x{raw:06x}")
    } else {
        format!("0x{:08x}", raw.rem_euclid(1 << 32))
    }
}

/// Summations: 16 hex digits (a 48-bit attribute, zero-padded) as real frames carry.
fn summation_hex(raw: i64) -> String {
    format!("0x{:016x}", raw.max(0))
}

/// The README's layout: one key per line, keys in the device's order.
fn to_json(root: &str, fields: &[(&str, String)]) -> String {
    let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
        .collect();
    format!("{{\n{}: {{\n{}}}\n}}\n", quote(root), body.join(",\n"))
}

/// The manual's XML fragment: no indentation, one element per line.
fn to_xml(root: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("<{root}>\n");
    for (k, v) in fields {
        out.push_str(&format!("<{k}>{}</{k}>\n", escape(v)));
    }
    out.push_str(&format!("</{root}>\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    fn snap(demand_w: i64) -> Snapshot {
        Snapshot {
            tick: 0,
            unix: ZIGBEE_EPOCH + 0x185a_dc1d,
            demand_w,
            delivered_wh: 110_442_272,
            received_wh: 4_162_112,
        }
    }

    fn reply(profile: Profile, query: LegacyQuery, demand_w: i64) -> serde_json::Value {
        let knobs = profile.knobs();
        let dev = LegacyDevice {
            knobs: &knobs,
            device_mac: "0xd8d5b900000123ab",
            meter_mac: "0x000781000081fd17",
            install_code: "0123456789abcdef",
        };
        serde_json::from_str(&render(dev, query, true, &snap(demand_w))).unwrap()
    }

    #[test]
    fn hex_forms_match_the_manual() {
        let d = reply(Profile::Legacy, LegacyQuery::InstantaneousDemand, 5944);
        assert_eq!(d["InstantaneousDemand"]["Demand"], "0x001738");
        assert_eq!(d["InstantaneousDemand"]["TimeStamp"], "0x185adc1d");
        assert_eq!(d["InstantaneousDemand"]["Divisor"], "0x000003e8");
        let d = reply(Profile::Legacy, LegacyQuery::InstantaneousDemand, -3712);
        assert_eq!(d["InstantaneousDemand"]["Demand"], "0xfffff180");
        let s = reply(Profile::Legacy, LegacyQuery::CurrentSummation, 0);
        assert_eq!(
            s["CurrentSummation"]["SummationDelivered"],
            "0x0000000006953720"
        );
        assert_eq!(
            s["CurrentSummation"]["SummationReceived"],
            "0x00000000003f8240"
        );
        let p = reply(Profile::Legacy, LegacyQuery::Price, 0);
        assert_eq!(p["PriceCluster"]["Price"], "0x0000007d");
        assert_eq!(p["PriceCluster"]["Currency"], "0x0348");
        assert_eq!(p["PriceCluster"]["TrailingDigits"], "0x03");
    }

    #[test]
    fn divisor_zero_means_one() {
        let d = reply(
            Profile::LegacyDivisorZero,
            LegacyQuery::InstantaneousDemand,
            -3712,
        );
        assert_eq!(d["InstantaneousDemand"]["Divisor"], "0x00000000");
        assert_eq!(d["InstantaneousDemand"]["Demand"], "0xfffffffd");
        let knobs = Profile::LegacyDivisorZero.knobs();
        let dev = LegacyDevice {
            knobs: &knobs,
            device_mac: "",
            meter_mac: "",
            install_code: "",
        };
        let s = served(dev, &snap(-3712));
        assert_eq!(s.demand_kw, Decimal::from(-3));
        assert_eq!(s.delivered_kwh, Some(Decimal::from(110_442)));
    }

    #[test]
    fn xml_form_has_the_same_fields() {
        let knobs = Profile::Legacy.knobs();
        let dev = LegacyDevice {
            knobs: &knobs,
            device_mac: "0xd8d5b900000123ab",
            meter_mac: "0x000781000081fd17",
            install_code: "0123456789abcdef",
        };
        let xml = render(dev, LegacyQuery::InstantaneousDemand, false, &snap(5944));
        assert!(xml
            .starts_with("<InstantaneousDemand>\n<DeviceMacId>0xd8d5b900000123ab</DeviceMacId>\n"));
        assert!(xml.contains("<Demand>0x001738</Demand>"));
        roxmltree::Document::parse(&xml).unwrap();
    }
}
