//! Request bodies for `POST /cgi-bin/post_manager`.
//!
//! Compact, whitespace-free fragments, as aioeagle (Home Assistant) sends them; the device
//! accepts them and they cost the EAGLE's small web server the least.

/// EAGLE-200/3: list the devices the gateway knows.
pub fn device_list() -> String {
    "<Command><Name>device_list</Name></Command>".to_string()
}

/// EAGLE-200/3: every variable of one device. `<All>Y</All>` rather than named variables:
/// a named query sometimes omits CurrentSummationDelivered on real firmware.
///
/// `hardware_address` must already be validated (`0x` + 16 hex digits): it is not escaped.
pub fn device_query_all(hardware_address: &str) -> String {
    format!(
        "<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>{hardware_address}\
         </HardwareAddress></DeviceDetails><Components><All>Y</All></Components></Command>"
    )
}

/// Legacy RFA-Z109 commands the poller sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyCommand {
    /// Demand and the reading's TimeStamp.
    InstantaneousDemand,
    /// Delivered and received summations.
    CurrentSummation,
    /// Price cluster.
    Price,
}

impl LegacyCommand {
    /// The command's `<Name>`.
    pub fn name(self) -> &'static str {
        match self {
            LegacyCommand::InstantaneousDemand => "get_instantaneous_demand",
            LegacyCommand::CurrentSummation => "get_current_summation",
            LegacyCommand::Price => "get_price",
        }
    }
}

/// Legacy: a command asking for the JSON form of the reply.
pub fn legacy(command: LegacyCommand) -> String {
    format!(
        "<Command><Name>{}</Name><Format>JSON</Format></Command>",
        command.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_what_peers_send() {
        assert_eq!(device_list(), "<Command><Name>device_list</Name></Command>");
        assert_eq!(
            device_query_all("0x000781000081fd0b"),
            "<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>0x000781000081fd0b\
             </HardwareAddress></DeviceDetails><Components><All>Y</All></Components></Command>"
        );
        assert_eq!(
            legacy(LegacyCommand::CurrentSummation),
            "<Command><Name>get_current_summation</Name><Format>JSON</Format></Command>"
        );
    }
}
