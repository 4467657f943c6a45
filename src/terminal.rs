//! Text from untrusted sources (an EAGLE's reply, a household's heartbeat) made safe to print
//! to a terminal: control characters could move the cursor, rewrite earlier lines or change
//! the window title, and bidirectional overrides could make text read differently from what
//! it holds.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and every bidirectional formatting
/// character written as a visible `\u{…}` escape; other text is returned unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the Unicode bidi marks, embeddings, overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped_plain_text_is_not() {
        assert!(matches!(escape("Tier 1 – €"), Cow::Borrowed("Tier 1 – €")));
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            escape("x\ny\r\t\u{7f}\u{9b}"),
            "x\\u{a}y\\u{d}\\u{9}\\u{7f}\\u{9b}"
        );
        assert_eq!(escape("usd\u{202e}dsu"), "usd\\u{202e}dsu");
        assert_eq!(escape("\u{2066}\u{200f}"), "\\u{2066}\\u{200f}");
    }
}
