//! Text from outside (heartbeats, EAGLE replies) made safe to print: a terminal must never
//! receive a control character (an escape sequence can rewrite earlier lines, set the window
//! title or hide text) nor a bidirectional override (which reorders what the reader sees).

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1), line or paragraph separator and
/// bidirectional formatting character replaced by its `\u{…}` escape; borrowed when there is
/// nothing to replace, which is the common case.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            clean.push_str(&c.escape_unicode().to_string());
        } else {
            clean.push(c);
        }
    }
    Cow::Owned(clean)
}

/// Characters that change how a terminal shows what follows them.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'                  // Arabic letter mark
            | '\u{200E}' | '\u{200F}'   // left-to-right / right-to-left mark
            | '\u{2028}' | '\u{2029}'   // line / paragraph separator
            | '\u{202A}'..='\u{202E}'   // embeddings and overrides
            | '\u{2066}'..='\u{2069}'   // isolates
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            sanitize("h-0001 ümlaut ✓"),
            Cow::Borrowed("h-0001 ümlaut ✓")
        ));
    }

    #[test]
    fn escapes_controls_and_bidi_overrides() {
        let hostile = "ok\u{1b}[2J\u{1b}]0;title\u{7}\r\n\u{9b}31m\u{202E}gnp.exe\u{2066}";
        let clean = sanitize(hostile);
        assert!(!clean.chars().any(is_unsafe), "{clean}");
        assert_eq!(
            clean,
            "ok\\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{d}\\u{a}\\u{9b}31m\\u{202e}gnp.exe\\u{2066}"
        );
    }
}
