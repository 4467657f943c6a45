//! XML replies of the EAGLE-200 / EAGLE 3 Local API, shaped like the docs/eagle-api.md §2.1–2.3.

use rust_decimal::Decimal;

use super::meter::Presented;
use super::profile::Knobs;
use super::request::Selection;
use super::variables::{Source, VarSpec, MULTIPLIER_DESC_RAW_AMP};

/// A meter as `device_list` and `device_query` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MeterView {
    pub address: String,
    pub joined: bool,
    /// Unix seconds; 0 for a meter never heard from.
    pub last_contact: i64,
}

impl MeterView {
    fn last_contact_hex(&self) -> String {
        format!("0x{:08x}", self.last_contact.max(0))
    }

    fn status(&self) -> (&'static str, &'static str) {
        if self.joined {
            ("Connected", "0x0000")
        } else {
            ("Not joined", "0xffff")
        }
    }
}

/// What the renderers need to know about the device besides the meter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Device<'a> {
    pub knobs: &'a Knobs,
    pub catalogue: &'a [VarSpec],
    /// The EAGLE's own ZigBee MAC (`<NetworkInterface>`).
    pub network_interface: &'a str,
}

/// `device_list`: every meter, in the order given.
pub(crate) fn device_list(dev: Device, meters: &[MeterView]) -> String {
    let mut x = Xml::new(dev.knobs.indent);
    x.open("DeviceList");
    for m in meters {
        let (status, network_address) = m.status();
        x.open("Device");
        if dev.knobs.list_names {
            x.leaf("Name", "Power Meter");
        }
        x.leaf("HardwareAddress", &m.address);
        x.leaf("Manufacturer", dev.knobs.manufacturer);
        x.leaf("ModelId", "electric_meter");
        x.leaf("Protocol", "Zigbee");
        x.leaf("LastContact", &m.last_contact_hex());
        x.leaf("ConnectionStatus", status);
        x.leaf("NetworkAddress", network_address);
        x.close("Device");
    }
    x.close("DeviceList");
    x.finish()
}

/// `device_details`: the meter and the names of its variables. `components: false` leaves
/// out `<Components>` (the NoComponents fault).
pub(crate) fn device_details(dev: Device, meter: &MeterView, components: bool) -> String {
    let mut x = Xml::new(dev.knobs.indent);
    x.open("Device");
    x.open("DeviceDetails");
    x.leaf("Name", "Power Meter");
    x.leaf("HardwareAddress", &meter.address);
    x.leaf("Protocol", "Zigbee");
    x.leaf("Manufacturer", dev.knobs.manufacturer);
    x.leaf("ModelId", "electric_meter");
    x.close("DeviceDetails");
    if components {
        x.open("Components");
        x.open("Component");
        x.leaf("Name", "Main");
        x.leaf("FixedId", "0");
        x.open("Variables");
        for v in dev.catalogue {
            x.leaf("Variable", &v.name);
        }
        x.close("Variables");
        x.close("Component");
        x.close("Components");
    }
    x.close("Device");
    x.finish()
}

/// `device_query`. `values` is `None` for a meter that is not joined: every variable is then
/// listed with an empty `<Value>`. A requested variable the meter lacks is simply absent.
pub(crate) fn device_query(
    dev: Device,
    meter: &MeterView,
    values: Option<&Presented>,
    selection: &Selection,
    components: bool,
) -> String {
    let knobs = dev.knobs;
    let (status, network_address) = meter.status();
    let mut x = Xml::new(knobs.indent);
    x.open("Device");
    x.open("DeviceDetails");
    x.leaf("Name", "Power Meter");
    x.leaf("HardwareAddress", &meter.address);
    if knobs.network_interface {
        x.leaf("NetworkInterface", dev.network_interface);
    }
    x.leaf("Protocol", "Zigbee");
    x.leaf("NetworkAddress", network_address);
    x.leaf("Manufacturer", knobs.manufacturer);
    x.leaf("ModelId", "electric_meter");
    x.leaf("LastContact", &meter.last_contact_hex());
    x.leaf("ConnectionStatus", status);
    x.close("DeviceDetails");
    if components {
        let chosen: Vec<&VarSpec> = match selection {
            Selection::All => dev.catalogue.iter().collect(),
            Selection::Names(names) => names
                .iter()
                .filter_map(|n| {
                    dev.catalogue
                        .iter()
                        .find(|v| v.name.eq_ignore_ascii_case(n))
                })
                .collect(),
        };
        x.open("Components");
        x.open("Component");
        x.leaf("HardwareId", "");
        x.leaf("FixedId", "0");
        x.leaf("Name", "Main");
        x.open("Variables");
        for v in chosen {
            x.open("Variable");
            x.leaf("Name", &v.name);
            x.leaf("Value", &value_text(knobs, v, values));
            if knobs.style.unit_elements() {
                x.leaf("Units", v.units);
                if knobs.raw_ampersand && v.source == Source::Multiplier {
                    // Deliberately not escaped: this is the firmware defect being simulated.
                    x.leaf_raw("Description", MULTIPLIER_DESC_RAW_AMP);
                } else {
                    x.leaf("Description", v.description);
                }
            }
            x.close("Variable");
        }
        x.close("Variables");
        x.close("Component");
        x.close("Components");
    }
    x.close("Device");
    x.finish()
}

/// `wifi_status`, 2019 form. It includes `<Key>`: the real device leaks the Wi-Fi key there,
/// and the simulator does the same so tests can prove the client never logs it.
pub(crate) fn wifi_status(key: &str) -> String {
    let mut x = Xml::new("");
    x.open("WiFiStatus");
    for (name, value) in [
        ("Enabled", "Y"),
        ("Type", "client"),
        ("OperatingState", "up"),
        ("LastUpTime", "1576300561"),
        ("LastUpTimeString", "Sat Dec 14 05:16:01 2019"),
        ("SSID", "sim-home-network"),
        ("Encryption", "psk2"),
        ("EncryptionDetails", "none"),
        ("Channel", "11"),
        ("IpAddress", "192.168.7.1"),
        ("Key", key),
    ] {
        x.leaf(name, value);
    }
    x.close("WiFiStatus");
    x.finish()
}

/// The `<Value>` text of one variable.
fn value_text(knobs: &Knobs, v: &VarSpec, values: Option<&Presented>) -> String {
    let Some(p) = values else {
        return String::new();
    };
    let decimals = knobs.style.decimals();
    let text = match &v.source {
        Source::Demand => match p.demand_w {
            None => return String::new(),
            Some(w) if w < 0 && knobs.wrap_negative => {
                // The EAGLE-200 prints the raw attribute as unsigned 32-bit, then scales it.
                scaled(w + (1_i64 << 32), decimals)
            }
            Some(w) => scaled(w, decimals),
        },
        Source::Delivered => scaled(p.delivered_wh as i64, decimals),
        Source::Received => scaled(p.received_wh as i64, decimals),
        Source::Multiplier => "1".to_string(),
        Source::Divisor => "1000".to_string(),
        Source::Price => match p.price {
            Some(mut price) => {
                price.rescale(decimals.max(price.scale()));
                price.to_string()
            }
            None => "invalid".to_string(),
        },
        Source::TrailingDigits => knobs
            .price
            .map_or("255".to_string(), |k| k.digits.to_string()),
        Source::Currency => knobs.price.map_or("USD", |k| k.currency).to_string(),
        Source::RateLabel => knobs.price.map_or("", |k| k.rate_label).to_string(),
        Source::Tier => knobs.price.map_or(0, |k| k.tier).to_string(),
        Source::Fixed(s) => s.to_string(),
    };
    let numeric = !matches!(v.source, Source::Price | Source::Fixed(""));
    if knobs.style.inline_unit() && numeric && !v.units.is_empty() && !text.is_empty() {
        format!("{text} {}", v.units)
    } else {
        text
    }
}

/// Thousandths as a decimal string with `decimals` fractional digits.
fn scaled(thousandths: i64, decimals: u32) -> String {
    let mut d = Decimal::new(thousandths, 3);
    d.rescale(decimals);
    d.to_string()
}

/// A tiny indenting XML writer; text is escaped unless written with `leaf_raw`.
struct Xml {
    out: String,
    indent: &'static str,
    depth: usize,
}

impl Xml {
    fn new(indent: &'static str) -> Xml {
        Xml {
            out: String::with_capacity(2048),
            indent,
            depth: 0,
        }
    }

    fn pad(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str(self.indent);
        }
    }

    fn open(&mut self, name: &str) {
        self.pad();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.pad();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.leaf_raw(name, &escape(text));
    }

    fn leaf_raw(&mut self, name: &str, raw: &str) {
        self.pad();
        self.out.push_str(&format!("<{name}>{raw}</{name}>\n"));
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Escape XML text content.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{Meter, Presented};
    use crate::variables::catalogue;
    use crate::Profile;
    use std::time::Duration;

    fn query(profile: Profile, demand_w: i64) -> String {
        let knobs = profile.knobs();
        let cat = catalogue(knobs.naming);
        let meter = Meter::new(1, &knobs, Duration::from_secs(4), 1_600_000_000);
        let mut snap = meter.at(0);
        snap.demand_w = demand_w;
        let values = Presented::new(&knobs, &snap);
        let dev = Device {
            knobs: &knobs,
            catalogue: &cat,
            network_interface: "0xd8d5b900000123ab",
        };
        let view = MeterView {
            address: "0x0013500100aa3ce7".into(),
            joined: true,
            last_contact: snap.unix,
        };
        device_query(dev, &view, Some(&values), &Selection::All, true)
    }

    fn demand_value(xml: &str) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let var = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("Variable")
                    && n.children()
                        .any(|c| c.text() == Some("zigbee:InstantaneousDemand"))
            })
            .unwrap();
        var.children()
            .find(|c| c.has_tag_name("Value"))
            .and_then(|v| v.text())
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn value_formats_by_firmware() {
        assert_eq!(
            demand_value(&query(Profile::Eagle200_2017, 21499)),
            "21.499 kW"
        );
        assert_eq!(
            demand_value(&query(Profile::Eagle200_2018, 70)),
            "0.070000 kW"
        );
        assert_eq!(
            demand_value(&query(Profile::Eagle200_2019, 2790)),
            "2.790000"
        );
        assert_eq!(demand_value(&query(Profile::Hybrid, 2151)), "2.151000 kW");
        assert_eq!(
            demand_value(&query(Profile::NegativeExport, -3712)),
            "4294963.584000 kW"
        );
    }

    #[test]
    fn units_and_descriptions_only_where_the_firmware_has_them() {
        let x2017 = query(Profile::Eagle200_2017, 1);
        assert!(!x2017.contains("<Units>") && !x2017.contains("<Description>"));
        let x2019 = query(Profile::Eagle200_2019, 1);
        assert!(x2019.contains("<Units>kW</Units>"));
        assert!(x2019.contains("<Value>0.088400</Value>"));
        assert!(x2019.contains("<Name>zigbee:Currency</Name>"));
        let x2021 = query(Profile::Eagle200_2021, 1);
        assert!(x2021.contains("<Value>invalid</Value>"));
        assert!(x2021.contains("<Name>zigbee:PriceCurrency</Name>"));
    }

    #[test]
    fn raw_ampersand_breaks_the_xml() {
        let xml = query(Profile::RawAmpersand, 1);
        assert!(xml.contains("demand & summation"));
        assert!(roxmltree::Document::parse(&xml).is_err());
        assert!(roxmltree::Document::parse(&query(Profile::Eagle200_2019, 1)).is_ok());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a & <b>"), "a &amp; &lt;b&gt;");
        assert!(wifi_status("k<&>").contains("<Key>k&lt;&amp;&gt;</Key>"));
    }
}
