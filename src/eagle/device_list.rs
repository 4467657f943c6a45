//! `device_list`: which devices the EAGLE knows, and which one is the meter to poll.
//!
//! The list keeps old meters after a move or meter swap, often first and `Not joined`; taking
//! the first entry is the classic bug. We take the joined electric meter, or the one named in
//! the config.

use chrono::{DateTime, Utc};

use super::element_tree::{Element, ElementTree};
use super::error::EagleError;

/// One `<Device>` of a `<DeviceList>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// `0x` + 16 hex digits, lowercase.
    pub hardware_address: String,
    /// `electric_meter` for meters.
    pub model_id: String,
    /// `<Name>` (absent on 2017–2019 firmware).
    pub name: Option<String>,
    /// `Connected`, `Not joined`, `Rejoining`, …
    pub connection_status: String,
    /// When the EAGLE last heard the device; `None` for `0x00000000` (never).
    pub last_contact: Option<DateTime<Utc>>,
}

impl DeviceEntry {
    /// True for an electric meter the EAGLE is hearing from.
    pub fn is_joined_meter(&self) -> bool {
        self.model_id.eq_ignore_ascii_case("electric_meter")
            && self.connection_status.eq_ignore_ascii_case("Connected")
            && self.last_contact.is_some()
    }
}

/// Parses a `device_list` reply. `<DeviceList/>` (no device provisioned) is an empty list.
pub fn parse_device_list(body: &str) -> Result<Vec<DeviceEntry>, EagleError> {
    let malformed = |kind, detail: String| EagleError::Malformed {
        command: "device_list",
        kind,
        detail,
    };
    if body.trim().is_empty() {
        return Err(malformed("empty-body", "empty reply".into()));
    }
    let entries = ElementTree::read(body, |root| {
        if !root.is("DeviceList") {
            return Err(malformed(
                "unexpected-root",
                format!("root element <{}>", root.name()),
            ));
        }
        root.children()
            .filter(|c| c.is("Device"))
            .map(parse_device)
            .collect()
    })
    .map_err(|e| malformed(e.kind(), e.to_string()))??;
    Ok(entries)
}

fn parse_device(node: Element<'_, '_>) -> Result<DeviceEntry, EagleError> {
    let text = |name| node.child_text(name).unwrap_or("").to_string();
    let hardware_address =
        parse_hardware_address(&text("HardwareAddress")).ok_or_else(|| EagleError::Malformed {
            command: "device_list",
            kind: "bad-address",
            detail: format!("HardwareAddress {:?}", text("HardwareAddress")),
        })?;
    Ok(DeviceEntry {
        hardware_address,
        model_id: text("ModelId"),
        name: node
            .child_text("Name")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        connection_status: text("ConnectionStatus"),
        last_contact: parse_last_contact(&text("LastContact")).flatten(),
    })
}

/// Validates and lowercases a HardwareAddress (`0x` + 16 hex digits). The address is later
/// sent back inside an XML request, so nothing else may pass.
pub fn parse_hardware_address(text: &str) -> Option<String> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    (hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("0x{}", hex.to_ascii_lowercase()))
}

/// Parses `LastContact`: hex Unix seconds. `Some(None)` for zero (never heard), `None` when
/// the text is not hex.
pub fn parse_last_contact(text: &str) -> Option<Option<DateTime<Utc>>> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    let seconds = u64::from_str_radix(hex, 16).ok()?;
    if seconds == 0 {
        return Some(None);
    }
    let seconds = i64::try_from(seconds).ok()?;
    Some(DateTime::from_timestamp(seconds, 0))
}

/// Chooses the meter to poll: the configured address if set (it must be listed), otherwise the
/// joined electric meter heard from most recently.
pub fn select_meter<'a>(
    devices: &'a [DeviceEntry],
    configured: Option<&str>,
) -> Result<&'a DeviceEntry, EagleError> {
    if let Some(wanted) = configured {
        return devices
            .iter()
            .find(|d| d.hardware_address.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| EagleError::MeterNotListed(wanted.to_string()));
    }
    devices
        .iter()
        .filter(|d| d.is_joined_meter())
        .max_by_key(|d| d.last_contact)
        .ok_or(EagleError::NoJoinedMeter {
            listed: devices.len(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HA issue #125281 (2024): a stale, never-joined meter listed before the live one.
    const STALE_FIRST: &str = include_str!("../../tests/fixtures/device_list_stale_first.xml");
    /// Feb 2019 fixture: one meter, no `<Name>`.
    const SINGLE_2019: &str = include_str!("../../tests/fixtures/device_list_2019.xml");

    #[test]
    fn stale_not_joined_meter_is_never_chosen() {
        let devices = parse_device_list(STALE_FIRST).unwrap();
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].connection_status, "Not joined");
        assert_eq!(devices[0].last_contact, None);
        let chosen = select_meter(&devices, None).unwrap();
        assert_eq!(chosen.hardware_address, "0x0013500100aa3ce7");
        assert_eq!(
            chosen.last_contact.unwrap().to_rfc3339(),
            "2024-09-04T22:50:58+00:00"
        );
    }

    #[test]
    fn list_without_name_elements() {
        let devices = parse_device_list(SINGLE_2019).unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].name, None);
        assert_eq!(devices[0].hardware_address, "0x0007810000123456");
        assert!(devices[0].is_joined_meter());
    }

    #[test]
    fn configured_meter_wins_even_if_not_newest() {
        let devices = parse_device_list(STALE_FIRST).unwrap();
        let chosen = select_meter(&devices, Some("0x001350050044ACCB")).unwrap();
        assert_eq!(chosen.hardware_address, "0x001350050044accb");
        let missing = select_meter(&devices, Some("0x0000000000000001")).unwrap_err();
        assert_eq!(missing.kind(), "meter-not-listed");
    }

    #[test]
    fn no_joined_meter() {
        let only_stale = STALE_FIRST.replace("Connected", "Rejoining");
        let devices = parse_device_list(&only_stale).unwrap();
        let err = select_meter(&devices, None).unwrap_err();
        assert!(matches!(err, EagleError::NoJoinedMeter { listed: 2 }));
        let empty = parse_device_list("<DeviceList/>").unwrap();
        assert!(select_meter(&empty, None).is_err());
        assert!(parse_device_list("<DeviceList>\r\n</DeviceList>\r\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn malformed_lists_are_errors_not_panics() {
        for (body, kind) in [
            ("", "empty-body"),
            ("<Device></Device>", "unexpected-root"),
            ("<DeviceList><Device>", "bad-xml"),
            ("\u{1}\u{2}garbage", "bad-xml"),
            (
                "<DeviceList><Device><HardwareAddress>0x12</HardwareAddress></Device></DeviceList>",
                "bad-address",
            ),
            (
                "<DeviceList><Device><HardwareAddress>0x0007810000123456</HardwareAddress>\
                 </Device><Device><HardwareAddress>&lt;x/&gt;</HardwareAddress></Device></DeviceList>",
                "bad-address",
            ),
        ] {
            let err = parse_device_list(body).unwrap_err();
            assert_eq!(err.kind(), kind, "{body:?}");
        }
    }

    #[test]
    fn last_contact_decoding() {
        assert_eq!(
            parse_last_contact("0x5989f8f5")
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2017-08-08T17:46:29+00:00"
        );
        assert_eq!(parse_last_contact("0x00000000"), Some(None));
        assert_eq!(parse_last_contact("5989f8f5"), None);
        assert_eq!(parse_last_contact("0xzz"), None);
    }
}
