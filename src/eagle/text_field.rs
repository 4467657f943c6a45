//! The free-text fields of a reply (currency, rate label): kept only when they are what a
//! meter sends, so a hostile or broken EAGLE cannot put a megabyte, or terminal escape
//! sequences, into every row. A refused value is reported as an [`Anomaly`]; the reading is
//! kept without it.

use super::sample::Anomaly;

/// Longest rate label kept, in characters. Real ones are a few words (`Block 1`, `Set by
/// User`, `Tier 2 Peak`); ZigBee's own limit for the label is 12 octets.
pub const MAX_RATE_LABEL_CHARS: usize = 64;

/// A rate label, trimmed; `None` when empty, or (with an anomaly) when longer than
/// [`MAX_RATE_LABEL_CHARS`] or holding a control or bidirectional-override character.
pub fn rate_label(text: &str, variable: &str, anomalies: &mut Vec<Anomaly>) -> Option<String> {
    let text = text.trim();
    let refuse = |reason| Anomaly::BadText {
        variable: variable.to_string(),
        reason,
        text: text.to_string(),
    };
    if text.is_empty() {
        None
    } else if text.chars().count() > MAX_RATE_LABEL_CHARS {
        anomalies.push(refuse("longer than 64 characters"));
        None
    } else if text.chars().any(is_unprintable) {
        anomalies.push(refuse("holds control characters"));
        None
    } else {
        Some(text.to_string())
    }
}

/// An ISO 4217 alphabetic code from what the firmware sends: the code itself (`USD`) or the
/// numeric code (`840`) for the currencies of the utilities that deployed EAGLEs. `None`
/// when empty, or (with an anomaly) when it is neither.
pub fn currency(text: &str, variable: &str, anomalies: &mut Vec<Anomaly>) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let code = currency_code(text);
    if code.is_none() {
        anomalies.push(Anomaly::BadText {
            variable: variable.to_string(),
            reason: "not an ISO 4217 currency code",
            text: text.to_string(),
        });
    }
    code
}

/// The alphabetic code for `text` (see [`currency`]), without reporting.
pub fn currency_code(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(text.to_ascii_uppercase());
    }
    let code = match text.trim_start_matches('0').parse::<u16>().ok()? {
        36 => "AUD",
        124 => "CAD",
        554 => "NZD",
        826 => "GBP",
        840 => "USD",
        978 => "EUR",
        _ => return None,
    };
    Some(code.to_string())
}

/// Control characters (C0, DEL, C1) and the bidirectional controls that can reorder what a
/// terminal or a spreadsheet shows.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// At most the first 32 characters of `text`, for log lines about refused values.
pub fn preview(text: &str) -> String {
    match text.char_indices().nth(32) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_labels_are_bounded_and_printable() {
        let mut anomalies = Vec::new();
        let mut label = |text: &str| rate_label(text, "zigbee:PriceRateLabel", &mut anomalies);
        assert_eq!(label(" Block 1 ").as_deref(), Some("Block 1"));
        assert_eq!(label("Été ⚡ 峰時").as_deref(), Some("Été ⚡ 峰時"));
        assert_eq!(label(""), None);
        let longest = "x".repeat(MAX_RATE_LABEL_CHARS);
        assert_eq!(label(&longest).as_deref(), Some(longest.as_str()));
        assert_eq!(label(&"x".repeat(MAX_RATE_LABEL_CHARS + 1)), None);
        assert_eq!(label("Tier\u{1b}[2J 1"), None);
        assert_eq!(label("Peak\u{202e}kaeP"), None);
        let kinds: Vec<_> = anomalies.iter().map(Anomaly::kind).collect();
        assert_eq!(kinds, ["bad-text"; 3]);
        // The log line shows an escaped, shortened preview, never the raw text.
        let shown = anomalies[1].to_string();
        assert!(shown.contains(r"\u{1b}[2J"), "{shown}");
        assert!(!shown.contains('\u{1b}'));
        let long = Anomaly::BadText {
            variable: "v".into(),
            reason: "r",
            text: "y".repeat(1 << 20),
        };
        assert!(long.to_string().len() < 100, "{long}");
    }

    #[test]
    fn currencies_are_iso_codes() {
        let code = |text: &str| {
            let mut anomalies = Vec::new();
            let code = currency(text, "zigbee:PriceCurrency", &mut anomalies);
            (code, anomalies.len())
        };
        assert_eq!(code("usd"), (Some("USD".to_string()), 0));
        assert_eq!(code("840"), (Some("USD".to_string()), 0));
        assert_eq!(code(""), (None, 0));
        assert_eq!(code("0348"), (None, 1));
        assert_eq!(code("US Dollar"), (None, 1));
        assert_eq!(code(&"U".repeat(1 << 20)), (None, 1));
    }
}
