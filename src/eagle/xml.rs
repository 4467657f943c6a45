//! Tolerant XML reading for EAGLE replies.
//!
//! Some EAGLE-200 firmware sends a raw `&` inside text ("demand & summation"), which is not
//! well-formed XML; element names are case-insensitive on the device side, so we compare them
//! case-insensitively too.

use std::borrow::Cow;

use roxmltree::{Document, Node};

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
    let body = &text[1..];
    let Some(end) = body.find(';') else {
        return false;
    };
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    !name.is_empty() && name.len() <= 8 && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses a reply body (repairing raw ampersands first) and hands its root element to `read`,
/// which extracts owned data: the document borrows the repaired text, so it cannot escape.
pub fn read_root<T>(
    body: &str,
    read: impl FnOnce(Node<'_, '_>) -> T,
) -> Result<T, roxmltree::Error> {
    let text = repair_ampersands(body);
    let doc = Document::parse(&text)?;
    Ok(read(doc.root_element()))
}

/// Case-insensitive test of an element's tag name.
pub fn is(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name().eq_ignore_ascii_case(name)
}

/// The first child element named `name` (case-insensitive).
pub fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| is(*c, name))
}

/// All child elements named `name` (case-insensitive).
pub fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is(*c, name))
}

/// The trimmed text of the child element `name`; `None` when the element is absent, `Some("")`
/// when it is present but empty.
pub fn child_text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(|c| c.text().unwrap_or("").trim())
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
    fn lookups_ignore_case() {
        let text = read_root("<DEVICE><name> Meter </name></DEVICE>", |root| {
            (
                is(root, "Device"),
                child_text(root, "Name").map(str::to_string),
            )
        })
        .unwrap();
        assert_eq!(text, (true, Some("Meter".to_string())));
    }
}
