//! TOML text → an untyped table, with syntax errors made safe to print.

use std::path::Path;

use toml::Table;

use super::error::ConfigError;

/// Parses `text` as a TOML document. A syntax error keeps the toml crate's line, column and
/// description but never the source text or any quoted value, since the offending line may
/// hold a credential.
///
/// A leading UTF-8 byte-order mark is skipped: Windows Notepad saves one, and the file on the
/// boot partition is edited on whatever computer the household has. (CRLF line endings need
/// nothing: TOML allows them.)
pub(super) fn parse(text: &str, source: &Path) -> Result<Table, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.parse::<Table>().map_err(|error| {
        let description = redact_quoted(error.message());
        let message = match error.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                format!("line {line}, column {column}: {description}")
            }
            None => description,
        };
        ConfigError::Syntax {
            path: source.to_path_buf(),
            message,
        }
    })
}

/// 1-based line and column (in characters) of a byte offset, as the toml crate counts them.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Replaces every backtick-quoted fragment longer than three characters with `` `…` ``.
///
/// The toml crate quotes short grammar tokens (`` `=` ``, `` `"` ``) but also whole offending
/// values (an over-long integer), and we cannot tell whether such a value is a credential.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('`') {
        let after_open = &rest[open + 1..];
        let Some(close) = after_open.find('`') else {
            break;
        };
        out.push_str(&rest[..open]);
        let quoted = &after_open[..close];
        if quoted.chars().count() > 3 {
            out.push_str("`…`");
        } else {
            out.push('`');
            out.push_str(quoted);
            out.push('`');
        }
        rest = &after_open[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_message(text: &str) -> String {
        match parse(text, Path::new("/x.toml")) {
            Err(ConfigError::Syntax { message, .. }) => message,
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn valid_toml_parses() {
        let table = parse("[eagle]\nhost = \"x\"\n", Path::new("/x.toml")).unwrap();
        assert!(table["eagle"].is_table());
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_endings_are_accepted() {
        let text = "\u{feff}[household]\r\nid = \"h-0001\"\r\n[wifi]\r\nssid = \"Home\"\r\n";
        let table = parse(text, Path::new("/x.toml")).unwrap();
        assert_eq!(table["household"]["id"].as_str(), Some("h-0001"));
        assert_eq!(table["wifi"]["ssid"].as_str(), Some("Home"));
    }

    #[test]
    fn positions_after_a_byte_order_mark_count_from_the_text() {
        assert_eq!(
            syntax_message("\u{feff}[eagle]\r\nhost = \"x\" y\r\n"),
            "line 2, column 12: unexpected key or value, expected newline, `#`"
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        assert_eq!(
            syntax_message("[eagle]\nhost = \"x\" y\n"),
            "line 2, column 12: unexpected key or value, expected newline, `#`"
        );
    }

    #[test]
    fn syntax_error_on_a_secret_line_does_not_leak_it() {
        let secret = "0123456789abcdef";
        let cases = [
            format!("[eagle]\ninstall_code = {secret}\n"),
            format!("[eagle]\ninstall_code = \"{secret}\n"),
            format!("[eagle]\ninstall_code = \"{secret}\" trailing\n"),
            format!("[eagle]\ninstall_code = {secret}xyz\n"),
            "[s3]\nsecret_access_key = 1234567890123456789012345\n".to_string(),
            "[s3]\nsecret_access_key = 0x0123456789abcdefffffffff\n".to_string(),
        ];
        for text in cases {
            let error = parse(&text, Path::new("/x.toml")).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(shown.contains("line 2"), "{shown}");
            for leaked in [
                secret,
                "1234567890123456789012345",
                "352125166730063722332553215",
            ] {
                assert!(!shown.contains(leaked), "{leaked} leaked in {shown}");
            }
        }
    }

    #[test]
    fn redaction_keeps_grammar_tokens() {
        assert_eq!(
            redact_quoted("expected `=`, `\"`, found `123456789` here"),
            "expected `=`, `\"`, found `…` here"
        );
        assert_eq!(redact_quoted("unbalanced ` tick"), "unbalanced ` tick");
    }

    #[test]
    fn position_counts_characters_not_bytes() {
        assert_eq!(line_and_column("a\né = x", 7), (2, 5));
        assert_eq!(line_and_column("abc", 1), (1, 2));
    }
}
