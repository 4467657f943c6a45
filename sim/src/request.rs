//! Parsing a `post_manager` request body into a command.
//!
//! The device treats element names case-insensitively and does not care about whitespace or
//! line endings (docs/eagle-api.md §1.1), so neither does this parser. Command names are matched
//! case-insensitively too. The root may be `<Command>` or the legacy `<LocalCommand>`.

use roxmltree::{Document, Node};

/// Which variables a `device_query` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// `<Components><All>Y</All></Components>`.
    All,
    /// `<Variable><Name>…</Name></Variable>` elements, in request order.
    Names(Vec<String>),
}

/// The legacy RFA-Z109 queries the simulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyQuery {
    InstantaneousDemand,
    CurrentSummation,
    Price,
    NetworkInfo,
}

/// A command the simulator understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    DeviceList,
    DeviceDetails {
        address: String,
    },
    DeviceQuery {
        address: String,
        selection: Selection,
    },
    WifiStatus,
    Legacy {
        query: LegacyQuery,
        /// `<Format>JSON</Format>` was given; otherwise the reply is the XML fragment.
        json: bool,
        /// The optional `<MacId>`.
        mac_id: Option<String>,
    },
}

/// The outcome of parsing one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The `<Name>` of the command, lower-cased, when the body got that far (for statistics).
    pub name: Option<String>,
    /// The command, or why the body is a bad request.
    pub command: Result<Command, String>,
}

/// Parse a request body. Never panics; anything unexpected is a reason for a 400.
pub(crate) fn parse(body: &[u8]) -> Parsed {
    // The device's character set is code page 1252; lossy UTF-8 keeps every ASCII tag intact.
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}').trim();
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            return Parsed {
                name: None,
                command: Err(format!("body is not an XML command: {e}")),
            }
        }
    };
    let root = doc.root_element();
    let root_name = root.tag_name().name();
    if !(root_name.eq_ignore_ascii_case("Command")
        || root_name.eq_ignore_ascii_case("LocalCommand"))
    {
        return Parsed {
            name: None,
            command: Err(format!("root element <{root_name}> is not <Command>")),
        };
    }
    let Some(name) = child(root, "Name").map(text_of).filter(|n| !n.is_empty()) else {
        return Parsed {
            name: None,
            command: Err("no command <Name>".to_string()),
        };
    };
    let name = name.to_ascii_lowercase();
    let command = command(root, &name);
    Parsed {
        name: Some(name),
        command,
    }
}

fn command(root: Node, name: &str) -> Result<Command, String> {
    let legacy = |query| {
        Ok(Command::Legacy {
            query,
            json: child(root, "Format").is_some_and(|f| text_of(f).eq_ignore_ascii_case("JSON")),
            mac_id: child(root, "MacId").map(text_of).filter(|m| !m.is_empty()),
        })
    };
    match name {
        "device_list" => Ok(Command::DeviceList),
        "wifi_status" => Ok(Command::WifiStatus),
        "device_details" => Ok(Command::DeviceDetails {
            address: address(root)?,
        }),
        "device_query" => Ok(Command::DeviceQuery {
            address: address(root)?,
            selection: selection(root)?,
        }),
        "get_instantaneous_demand" => legacy(LegacyQuery::InstantaneousDemand),
        "get_current_summation" => legacy(LegacyQuery::CurrentSummation),
        "get_price" => legacy(LegacyQuery::Price),
        "get_network_info" => legacy(LegacyQuery::NetworkInfo),
        other => Err(format!("unsupported command `{other}`")),
    }
}

/// `<DeviceDetails><HardwareAddress>…` of a details/query command.
fn address(root: Node) -> Result<String, String> {
    child(root, "DeviceDetails")
        .and_then(|d| child(d, "HardwareAddress"))
        .map(text_of)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| "missing <DeviceDetails><HardwareAddress>".to_string())
}

/// The variables of a `device_query`. Variables of any component are collected: the meter has
/// only `Main`, and the device's behaviour for other component names is undocumented.
fn selection(root: Node) -> Result<Selection, String> {
    let components = child(root, "Components").ok_or_else(|| "missing <Components>".to_string())?;
    if child(components, "All").is_some_and(|a| text_of(a).eq_ignore_ascii_case("Y")) {
        return Ok(Selection::All);
    }
    let names: Vec<String> = components
        .descendants()
        .filter(|n| is(*n, "Variable"))
        .filter_map(|v| child(v, "Name").map(text_of))
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err("device_query names no variables and not <All>Y</All>".to_string());
    }
    Ok(Selection::Names(names))
}

fn is(node: Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name().eq_ignore_ascii_case(name)
}

/// The first child element called `name`, ignoring case.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, name))
}

/// All text inside an element, trimmed.
fn text_of(node: Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: &str = "0x000781000081fd0b";

    #[test]
    fn whitespace_and_case_do_not_matter() {
        let compact = format!("<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>{ADDR}</HardwareAddress></DeviceDetails><Components><All>Y</All></Components></Command>");
        let crlf = format!("<Command>\r\n  <Name>device_query</Name>\r\n  <DeviceDetails>\r\n    <HardwareAddress>{ADDR}</HardwareAddress>\r\n  </DeviceDetails>\r\n  <Components>\r\n    <All>Y</All>\r\n  </Components>\r\n</Command>\r\n");
        let upper = compact.to_uppercase().replace("0X000781000081FD0B", ADDR);
        let want = Parsed {
            name: Some("device_query".into()),
            command: Ok(Command::DeviceQuery {
                address: ADDR.into(),
                selection: Selection::All,
            }),
        };
        for body in [compact, crlf, upper] {
            assert_eq!(parse(body.as_bytes()), want, "{body}");
        }
    }

    #[test]
    fn named_variables_in_order() {
        let body = format!("<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>{ADDR}</HardwareAddress></DeviceDetails><Components><Component><Name>Main</Name><Variables><Variable><Name>zigbee:Price</Name><Refresh>Y</Refresh></Variable><Variable><Name> zigbee:InstantaneousDemand </Name></Variable></Variables></Component></Components></Command>");
        assert_eq!(
            parse(body.as_bytes()).command,
            Ok(Command::DeviceQuery {
                address: ADDR.into(),
                selection: Selection::Names(vec![
                    "zigbee:Price".into(),
                    "zigbee:InstantaneousDemand".into()
                ]),
            })
        );
    }

    #[test]
    fn legacy_commands() {
        let p = parse(b"<LocalCommand>\n<Name>get_instantaneous_demand</Name>\n<MacId>0x00178d0000000004</MacId>\n</LocalCommand>");
        assert_eq!(
            p.command,
            Ok(Command::Legacy {
                query: LegacyQuery::InstantaneousDemand,
                json: false,
                mac_id: Some("0x00178d0000000004".into()),
            })
        );
        let p = parse(b"<Command><Name>get_price</Name><Format>json</Format></Command>");
        assert!(matches!(
            p.command,
            Ok(Command::Legacy {
                json: true,
                mac_id: None,
                ..
            })
        ));
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"\xff\xfe\x00garbage",
            b"<Command>",
            b"<Other><Name>device_list</Name></Other>",
            b"<Command><Name></Name></Command>",
            b"<Command><Name>device_details</Name></Command>",
            b"<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>0x1</HardwareAddress></DeviceDetails></Command>",
            b"<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>0x1</HardwareAddress></DeviceDetails><Components><All>N</All></Components></Command>",
            b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><Command><Name>&a;</Name></Command>",
        ];
        for body in cases {
            assert!(
                parse(body).command.is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        let p = parse(b"<Command><Name>Device_Control</Name></Command>");
        assert_eq!(p.name.as_deref(), Some("device_control"));
        assert!(p.command.is_err());
    }
}
