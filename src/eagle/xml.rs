//! Tolerant, bounded XML reading for EAGLE replies.
//!
//! Some EAGLE-200 firmware sends a raw `&` inside text ("demand & summation"), which is not
//! well-formed XML; element names are case-insensitive on the device side, so we compare them
//! case-insensitively too.
//!
//! Anything that answers at the EAGLE's address can send any bytes up to the reply size cap
//! (1 MiB). Real replies nest six elements deep and carry no attributes, so [`check_shape`]
//! refuses deeper nesting and more than a few attributes in one linear pass *before* a tree is
//! built: a deep reply would otherwise overflow the stack, and the parser's duplicate-attribute
//! check is quadratic (80,000 attributes cost seconds). Every step here is linear in the reply,
//! so a parse costs milliseconds at most and can run in line on the poll task.

use std::borrow::Cow;

use roxmltree::{Document, Node, ParsingOptions};

/// Deepest element nesting accepted. `device_query` replies nest six levels (`Device`,
/// `Components`, `Component`, `Variables`, `Variable`, `Value`); 16 leaves room for firmware
/// that wraps them further.
pub const MAX_DEPTH: usize = 16;

/// Most attributes accepted in a whole reply. No EAGLE reply in the field notes or the
/// fixtures has any; a few are tolerated in case a firmware adds an `xmlns` or a version.
pub const MAX_ATTRIBUTES: usize = 8;

/// Entity and character references are short (`&amp;`, `&#x10FFFF;`): a `;` further than this
/// from the `&` means the `&` is raw text, and looking no further keeps the repair linear.
const MAX_REFERENCE_LEN: usize = 32;

/// Why a reply was refused before parsing, or could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Elements nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_ATTRIBUTES`] attributes.
    TooManyAttributes,
    /// Not well-formed XML (after the ampersand repair).
    Syntax(String),
}

impl XmlError {
    /// A stable short name, used as the `Malformed` kind.
    pub fn kind(&self) -> &'static str {
        match self {
            XmlError::TooDeep => "too-deep",
            XmlError::TooManyAttributes => "too-many-attributes",
            XmlError::Syntax(_) => "bad-xml",
        }
    }
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::TooDeep => write!(
                f,
                "elements nest deeper than {MAX_DEPTH} levels (an EAGLE reply nests 6); refused unparsed"
            ),
            XmlError::TooManyAttributes => write!(
                f,
                "more than {MAX_ATTRIBUTES} attributes (an EAGLE reply has none); refused unparsed"
            ),
            XmlError::Syntax(detail) => f.write_str(detail),
        }
    }
}

/// One linear pass over `text` that refuses nesting deeper than [`MAX_DEPTH`] or more than
/// [`MAX_ATTRIBUTES`] attributes. It is a bound, not a validator: whatever passes still goes
/// through the real parser, which gives the verdict on well-formedness. Comments, CDATA and
/// processing instructions are skipped whole (a `<` inside them is text); every loop moves
/// the cursor forward, so the cost is O(len) whatever the input.
pub fn check_shape(text: &str) -> Result<(), XmlError> {
    let bytes = text.as_bytes();
    let skip_to = |from: usize, end: &[u8]| -> usize {
        bytes[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(bytes.len(), |at| from + at + end.len())
    };
    let mut depth = 0usize;
    let mut attributes = 0usize;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        i += offset + 1;
        let rest = &bytes[i..];
        if rest.starts_with(b"!--") {
            i = skip_to(i + 3, b"-->");
        } else if rest.starts_with(b"![CDATA[") {
            i = skip_to(i + 8, b"]]>");
        } else if rest.starts_with(b"?") {
            i = skip_to(i + 1, b"?>");
        } else if rest.starts_with(b"/") {
            depth = depth.saturating_sub(1);
        } else if rest.starts_with(b"!") {
            // A DOCTYPE: the parser refuses DTDs (ParsingOptions::allow_dtd is off).
        } else {
            // A start tag: read to its `>`, counting `=` outside quoted values.
            let mut quote = None;
            let mut self_closing = false;
            while i < bytes.len() {
                let b = bytes[i];
                i += 1;
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'=') => {
                        attributes += 1;
                        if attributes > MAX_ATTRIBUTES {
                            return Err(XmlError::TooManyAttributes);
                        }
                    }
                    (None, b'>') => {
                        self_closing = bytes[i - 2] == b'/';
                        break;
                    }
                    (None, _) => {}
                }
            }
            if !self_closing {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
            }
        }
        if i >= bytes.len() {
            break;
        }
    }
    Ok(())
}

/// Escapes every `&` that does not start a character or entity reference, so a body with the
/// firmware's raw-ampersand defect still parses. Well-formed bodies are returned unchanged.
pub fn repair_ampersands(body: &str) -> Cow<'_, str> {
    if !body.contains('&') {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + 16);
    let mut rest = body;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if starts_reference(tail) {
            out.push('&');
        } else {
            out.push_str("&amp;");
        }
        rest = &tail[1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// True when `text` (starting at `&`) is `&name;` or `&#digits;` / `&#xhex;`.
fn starts_reference(text: &str) -> bool {
    let body = &text.as_bytes()[1..];
    let window = &body[..body.len().min(MAX_REFERENCE_LEN)];
    let Some(end) = window.iter().position(|&b| b == b';') else {
        return false;
    };
    // `;` is ASCII, so `end` is a character boundary.
    let body = &text[1..];
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    !name.is_empty() && name.len() <= 8 && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses a reply body (bounded by [`check_shape`], raw ampersands repaired) and hands its
/// root element to `read`, which extracts owned data: the document borrows the repaired text,
/// so it cannot escape.
pub fn read_root<T>(body: &str, read: impl FnOnce(Node<'_, '_>) -> T) -> Result<T, XmlError> {
    check_shape(body)?;
    let text = repair_ampersands(body);
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(&text, options)
        .map_err(|e| XmlError::Syntax(e.to_string()))?;
    Ok(read(doc.root_element()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ampersands_are_escaped_and_references_kept() {
        assert_eq!(
            repair_ampersands("demand & summation &amp; &lt;x&gt; &#38; &#x26; AT&T;"),
            "demand &amp; summation &amp; &lt;x&gt; &#38; &#x26; AT&T;"
        );
        assert_eq!(repair_ampersands("a &b c; d"), "a &amp;b c; d");
        assert_eq!(repair_ampersands("trailing &"), "trailing &amp;");
        assert!(matches!(
            repair_ampersands("no ampersand"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn shape_bounds_depth_and_attributes() {
        let nested = |depth: usize| "<a>".repeat(depth) + &"</a>".repeat(depth);
        assert_eq!(check_shape(&nested(MAX_DEPTH)), Ok(()));
        assert_eq!(check_shape(&nested(MAX_DEPTH + 1)), Err(XmlError::TooDeep));
        // Siblings and self-closing elements do not add depth.
        let wide = format!("<a>{}</a>", "<b><c/></b>".repeat(1_000));
        assert_eq!(check_shape(&wide), Ok(()));
        let attributes = |n: usize| format!("<a{}/>", " x='1'".repeat(n));
        assert_eq!(check_shape(&attributes(MAX_ATTRIBUTES)), Ok(()));
        assert_eq!(
            check_shape(&attributes(MAX_ATTRIBUTES + 1)),
            Err(XmlError::TooManyAttributes)
        );
        // `=` inside a quoted value or in text is not an attribute.
        assert_eq!(
            check_shape(r#"<a x="1=2=3=4=5=6=7=8=9">a=b=c=d=e=f=g=h=i</a>"#),
            Ok(())
        );
        // `<` inside comments, CDATA and processing instructions is text.
        let hidden = format!(
            "<?pi <a><a>?><a><!-- {} --><![CDATA[{}]]></a>",
            "<b>".repeat(100),
            "<c>".repeat(100)
        );
        assert_eq!(check_shape(&hidden), Ok(()));
        // Unterminated constructs end the scan; the parser gives the verdict.
        for text in ["<a", "<a x='", "<!--", "<![CDATA[", "<?", "<", ""] {
            assert_eq!(check_shape(text), Ok(()), "{text:?}");
        }
    }

    #[test]
    fn refused_shapes_never_reach_the_parser() {
        let deep = "<a>".repeat(20_000) + &"</a>".repeat(20_000);
        assert_eq!(read_root(&deep, |_| ()), Err(XmlError::TooDeep));
        assert_eq!(XmlError::TooDeep.kind(), "too-deep");
        let dtd = "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>";
        assert!(matches!(read_root(dtd, |_| ()), Err(XmlError::Syntax(_))));
    }

    #[test]
    fn a_reference_is_looked_for_only_near_its_ampersand() {
        // A `;` far away does not make a reference of a raw `&`.
        let far = format!("&{};", "a".repeat(MAX_REFERENCE_LEN));
        assert_eq!(repair_ampersands(&far), format!("&amp;{}", &far[1..]));
        // A megabyte of raw ampersands with no `;` (one bounded look per `&`, so this ends at
        // once; the old whole-rest search took minutes here).
        let raw = "&".repeat(1 << 20);
        let repaired = repair_ampersands(&raw);
        assert_eq!(repaired.len(), 5 << 20);
    }
}
