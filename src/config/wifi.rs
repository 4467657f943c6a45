//! The rules for the values of `[wifi]`: what 802.11, wpa_supplicant and the kernel's
//! regulatory database accept, checked here so a typo is reported by `check-config` rather
//! than found when the Pi does not join the network.

use super::secret::Secret;
use super::settings::WifiSecurity;

/// What `wifi.ssid` should look like.
pub(super) const SSID_EXPECTED: &str = r#"the network name: 1 to 32 bytes of UTF-8 without control characters, or "" for no Wi-Fi (Ethernet only)"#;

/// What `wifi.passphrase` should look like.
pub(super) const PASSPHRASE_EXPECTED: &str = r#"8 to 63 printable ASCII characters (letters, digits, space, punctuation), exactly 64 hex digits, or "" for an open network"#;

/// What `wifi.country` should look like.
pub(super) const COUNTRY_EXPECTED: &str =
    r#"a two-letter ISO 3166 country code such as "US" or "GB""#;

/// The SSID, or `None` for `""` (no Wi-Fi).
pub(super) fn ssid(text: &str) -> Result<Option<String>, &'static str> {
    if text.is_empty() {
        Ok(None)
    } else if text.len() > 32 {
        // 802.11 counts bytes, and a letter outside ASCII takes two to four of them.
        Err("a network name of at most 32 bytes (a letter outside ASCII counts 2 to 4)")
    } else if text.chars().any(char::is_control) {
        Err("a network name without control characters (tabs, line breaks)")
    } else {
        Ok(Some(text.to_string()))
    }
}

/// The network's key: `""` is an open network, 64 hex digits a pre-shared key, anything
/// else must be a WPA passphrase (IEEE 802.11i: 8 to 63 characters from 0x20 to 0x7e).
pub(super) fn security(text: &str) -> Result<WifiSecurity, &'static str> {
    let printable = text.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if text.is_empty() {
        Ok(WifiSecurity::Open)
    } else if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(WifiSecurity::Psk(Secret::new(text)))
    } else if !printable {
        Err("printable ASCII characters only (no accented letters, tabs or line breaks), 8 to 63 of them")
    } else if text.len() == 64 {
        Err("64 hex digits (a key of 64 characters is a pre-shared key; a passphrase has at most 63)")
    } else if (8..=63).contains(&text.len()) {
        Ok(WifiSecurity::Passphrase(Secret::new(text)))
    } else {
        Err(PASSPHRASE_EXPECTED)
    }
}

/// The country code in uppercase, or `None` for `""`.
pub(super) fn country(text: &str) -> Result<Option<String>, &'static str> {
    let code = text.to_ascii_uppercase();
    if text.is_empty() {
        Ok(None)
    } else if code == "UK" {
        // The common mistake: the kernel knows no "UK", so the radio would stay on world
        // channels.
        Err(r#""GB" for the United Kingdom ("UK" is not an ISO 3166 code)"#)
    } else if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(Some(code))
    } else {
        Err(COUNTRY_EXPECTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssids() {
        assert_eq!(ssid(""), Ok(None));
        assert_eq!(ssid("HomeNet"), Ok(Some("HomeNet".into())));
        assert_eq!(ssid(" spaced out "), Ok(Some(" spaced out ".into())));
        assert_eq!(ssid(&"x".repeat(32)), Ok(Some("x".repeat(32))));
        // 16 two-byte letters are 32 bytes; one more is too many although only 17 characters.
        assert!(ssid(&"é".repeat(16)).is_ok());
        assert!(ssid(&"é".repeat(17)).unwrap_err().contains("32 bytes"));
        assert!(ssid(&"x".repeat(33)).unwrap_err().contains("32 bytes"));
        assert!(ssid("Home\tNet").unwrap_err().contains("control"));
        assert!(ssid("Home\nNet").unwrap_err().contains("control"));
    }

    #[test]
    fn passphrases() {
        assert_eq!(security(""), Ok(WifiSecurity::Open));
        assert_eq!(
            security("12345678"),
            Ok(WifiSecurity::Passphrase(Secret::new("12345678")))
        );
        let longest = "~".repeat(63);
        assert_eq!(
            security(&longest),
            Ok(WifiSecurity::Passphrase(Secret::new(longest.clone())))
        );
        assert_eq!(
            security(r#"a "quoted" \ # pass"#),
            Ok(WifiSecurity::Passphrase(Secret::new(
                r#"a "quoted" \ # pass"#
            )))
        );
        let psk = "0123456789abcdefABCDEF".repeat(3)[..64].to_string();
        assert_eq!(
            security(&psk),
            Ok(WifiSecurity::Psk(Secret::new(psk.clone())))
        );

        assert_eq!(security("1234567"), Err(PASSPHRASE_EXPECTED));
        assert!(security(&"g".repeat(64))
            .unwrap_err()
            .contains("64 hex digits"));
        assert!(security(&"a".repeat(65)).is_err());
        assert!(security("pässwörd123")
            .unwrap_err()
            .contains("printable ASCII"));
        assert!(security("tab\there!")
            .unwrap_err()
            .contains("printable ASCII"));
        assert!(security("del\u{7f}eted!")
            .unwrap_err()
            .contains("printable ASCII"));
    }

    #[test]
    fn countries() {
        assert_eq!(country(""), Ok(None));
        assert_eq!(country("GB"), Ok(Some("GB".into())));
        assert_eq!(country("us"), Ok(Some("US".into())));
        assert_eq!(country("De"), Ok(Some("DE".into())));
        assert!(country("UK").unwrap_err().contains("\"GB\""));
        assert!(country("uk").unwrap_err().contains("\"GB\""));
        for bad in ["USA", "U", "1A", "U.", "É1", " US"] {
            assert_eq!(country(bad), Err(COUNTRY_EXPECTED), "{bad}");
        }
    }
}
