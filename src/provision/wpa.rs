//! wpa_supplicant's configuration for `wlan0`, from `[wifi]`.
//!
//! The SSID is written as hex, which wpa_supplicant reads as the network name's bytes:
//! no quoting rule can then be broken by what a household names its network. `scan_ssid=1`
//! probes for the network by name, so a hidden network is found too.

use super::MANAGED;
use crate::config::{WifiSecurity, WifiSettings};

/// The whole file. It holds the passphrase, hence mode 0600 where it is written.
pub(super) fn wpa_supplicant_conf(wifi: &WifiSettings) -> String {
    let ssid: String = wifi.ssid.bytes().map(|b| format!("{b:02x}")).collect();
    let key = match &wifi.security {
        // wpa_supplicant takes everything between the first and the last quote as the
        // passphrase, with no escapes, so any printable ASCII passphrase is safe here.
        WifiSecurity::Passphrase(passphrase) => format!("psk=\"{}\"", passphrase.expose()),
        WifiSecurity::Psk(psk) => format!("psk={}", psk.expose()),
        WifiSecurity::Open => "key_mgmt=NONE".to_string(),
    };
    format!(
        "# {MANAGED} [wifi]\n\
         ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\n\
         update_config=0\n\
         country={country}\n\
         \n\
         network={{\n\
         \tssid={ssid}\n\
         \tscan_ssid=1\n\
         \t{key}\n\
         }}\n",
        country = wifi.country,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn wifi(ssid: &str, security: WifiSecurity) -> WifiSettings {
        WifiSettings {
            ssid: ssid.into(),
            security,
            country: "GB".into(),
        }
    }

    #[test]
    fn a_passphrase_network() {
        let conf = wpa_supplicant_conf(&wifi(
            "HomeNet",
            WifiSecurity::Passphrase(Secret::new("a \"quoted\" pass")),
        ));
        let body = conf.split_once('\n').unwrap().1;
        assert_eq!(
            body,
            "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\n\
             update_config=0\n\
             country=GB\n\
             \n\
             network={\n\
             \tssid=486f6d654e6574\n\
             \tscan_ssid=1\n\
             \tpsk=\"a \"quoted\" pass\"\n\
             }\n"
        );
        assert!(conf.starts_with('#'));
    }

    #[test]
    fn a_psk_network_and_an_open_one() {
        let psk = "0123456789abcdef".repeat(4);
        let conf = wpa_supplicant_conf(&wifi("x", WifiSecurity::Psk(Secret::new(psk.clone()))));
        assert!(conf.contains(&format!("\n\tpsk={psk}\n")), "{conf}");
        let conf = wpa_supplicant_conf(&wifi("x", WifiSecurity::Open));
        assert!(conf.contains("\n\tkey_mgmt=NONE\n"), "{conf}");
        assert!(!conf.contains("psk"), "{conf}");
    }

    #[test]
    fn the_ssid_is_hex_of_its_utf8_bytes() {
        let conf = wpa_supplicant_conf(&wifi("Café \"5G\"", WifiSecurity::Open));
        assert!(conf.contains("\n\tssid=436166c3a92022354722\n"), "{conf}");
    }
}
