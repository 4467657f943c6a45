//! The plain XML every EAGLE reply in the field is written in, read in one pass: elements
//! with ASCII names and no attributes, ASCII text without references, one root, nothing
//! around it but whitespace.
//!
//! It reads no more than that. At the first byte outside the subset (an attribute, `&`, a
//! comment, a declaration, a non-ASCII or control character, a tag left open, nesting deeper
//! than [`MAX_DEPTH`]) it gives up, and the reply goes to the full parser, which gives the
//! verdict on it ([`super::element_tree`]). Whatever it accepts is well-formed XML, and reads
//! there to the same elements.

use super::element_tree::{ElementTree, Record};
use super::xml::MAX_DEPTH;

/// The elements of `body`, or `None` when it is not plain XML.
pub fn parse(body: &str) -> Option<ElementTree<'_>> {
    let bytes = body.as_bytes();
    // About one element per 40 bytes in real replies: one allocation for the list, not ten.
    let mut records: Vec<Record<'_>> = Vec::with_capacity(bytes.len() / 40);
    // The open elements, innermost last.
    let mut open = [0usize; MAX_DEPTH];
    let mut depth = 0;
    // Whether the innermost open element has no child yet: text now is its text. (Each tag
    // sets it.)
    let mut childless;
    let mut root_closed = false;
    let mut at = bytes.iter().position(|&b| !is_space(b))?;
    while at < bytes.len() {
        // Only whitespace may follow the root, or come before it.
        if root_closed || bytes[at] != b'<' {
            return None;
        }
        let closing = bytes.get(at + 1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        let name_end = name_start + name_len(&bytes[name_start..])?;
        let name = &body[name_start..name_end];
        match (closing, &bytes[name_end..]) {
            (false, [b'>', ..]) => {
                if depth == MAX_DEPTH {
                    return None;
                }
                open[depth] = records.len();
                depth += 1;
                records.push(Record {
                    name,
                    end: 0,
                    text: None,
                });
                childless = true;
                at = name_end + 1;
            }
            (false, [b'/', b'>', ..]) if depth > 0 => {
                records.push(Record {
                    name,
                    end: records.len() + 1,
                    text: None,
                });
                childless = false;
                at = name_end + 2;
            }
            (true, [b'>', ..]) if depth > 0 && records[open[depth - 1]].name == name => {
                depth -= 1;
                records[open[depth]].end = records.len();
                root_closed = depth == 0;
                childless = false;
                at = name_end + 1;
            }
            _ => return None,
        }
        let text_end = bytes[at..]
            .iter()
            .position(|&b| b == b'<')
            .map_or(bytes.len(), |offset| at + offset);
        let text = &bytes[at..text_end];
        if depth == 0 {
            if !text.iter().all(|&b| is_space(b)) {
                return None;
            }
        } else if !text.iter().all(|&b| is_plain_text(b)) {
            return None;
        } else if childless && !text.is_empty() {
            let innermost = open[depth - 1];
            records[innermost].text = Some(body[at..text_end].trim());
        }
        at = text_end;
    }
    root_closed.then_some(ElementTree { records })
}

/// The length of the element name `bytes` starts with: an ASCII letter or `_`, then letters,
/// digits, `_`, `-` and `.`; `None` when none starts there. (A `:` would be a namespace
/// prefix: not plain.)
fn name_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let rest = bytes[1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        .unwrap_or(bytes.len() - 1);
    Some(1 + rest)
}

/// Whitespace between elements. `\r` is not plain: XML turns `\r\n` into `\n` in text.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n')
}

/// A byte of plain text: printable ASCII but `&` (a reference, or the firmware's raw `&`,
/// which the full parser repairs) and `>` (`]]>` is not allowed in text), or a tab or a
/// newline. (`<` ends the text.)
fn is_plain_text(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b' '..=b'~') && b != b'&' && b != b'>'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eagle::fixture;
    use crate::eagle::xml;

    /// The elements as the full parser reads them, owned, or its error.
    fn full(body: &str) -> Result<String, xml::XmlError> {
        xml::read_root(body, |root| format!("{:?}", ElementTree::from_node(root)))
    }

    fn plain(body: &str) -> Option<String> {
        parse(body).map(|tree| format!("{tree:?}"))
    }

    /// Whatever the plain reading accepts, the full parser reads to the same elements.
    fn assert_agrees(body: &str) -> bool {
        let Some(plain) = plain(body) else {
            return false;
        };
        assert_eq!(
            full(body),
            Ok(plain),
            "plain and full readings differ on {body:?}"
        );
        true
    }

    /// Every XML reply fixture, and whether it is plain.
    const FIXTURES: &[(&str, bool)] = &[
        ("device_list_2019.xml", true),
        ("device_list_stale_first.xml", true),
        ("device_query_2017_one_variable.xml", true),
        ("device_query_2018_inline_units.xml", true),
        ("device_query_2021.xml", true),
        ("device_query_2025_every_value_empty.xml", true),
        ("device_query_all_2019.xml", true),
        ("device_query_eagle3_value_none.xml", true),
        ("device_query_hybrid.xml", true),
        ("device_query_negative_wrap.xml", true),
        ("device_query_no_components.xml", true),
        ("device_query_not_joined.xml", true),
        // The firmware's raw `&`: the full parser repairs it.
        ("device_query_raw_ampersand.xml", false),
    ];

    #[test]
    fn real_replies_are_plain_and_read_as_the_full_parser_reads_them() {
        for &(name, plain) in FIXTURES {
            assert_eq!(assert_agrees(&fixture(name)), plain, "{name}");
        }
        // A fixture added later is added here too.
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".xml"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = FIXTURES.iter().map(|&(name, _)| name).collect();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn elements_texts_and_extents() {
        let tree = parse("\n<a> x <b>1</b><c/><d>\n</d>  </a>\n").unwrap();
        let records: Vec<_> = tree
            .records
            .iter()
            .map(|r| (r.name, r.end, r.text))
            .collect();
        assert_eq!(
            records,
            [
                ("a", 4, Some("x")),
                ("b", 2, Some("1")),
                ("c", 3, None),
                ("d", 4, Some("")),
            ]
        );
        assert!(assert_agrees("\n<a> x <b>1</b><c/><d>\n</d>  </a>\n"));
    }

    #[test]
    fn anything_outside_the_subset_is_left_to_the_full_parser() {
        for body in [
            "",
            "   ",
            "text",
            "<a>",
            "<a></b>",
            "<a></A>",
            "<a/>",
            "<a></a><b></b>",
            "<a></a>x",
            "x<a></a>",
            "<a x='1'></a>",
            "<a ></a>",
            "<a></a >",
            "<x:a></x:a>",
            "<1a></1a>",
            "<a>&amp;</a>",
            "<a>AT&T</a>",
            "<a>]]></a>",
            "<a>\r\n</a>",
            "<a>\u{0}</a>",
            "<a>\u{7f}</a>",
            "<a>é</a>",
            "<?xml version='1.0'?><a></a>",
            "<!-- c --><a></a>",
            "<a><!-- c --></a>",
            "<a><![CDATA[x]]></a>",
            "<!DOCTYPE a><a></a>",
            "\u{feff}<a></a>",
        ] {
            assert_eq!(plain(body), None, "{body:?}");
        }
    }

    #[test]
    fn nesting_deeper_than_the_bound_is_left_to_the_full_parser() {
        let nested = |depth: usize| "<a>".repeat(depth) + &"</a>".repeat(depth);
        assert!(assert_agrees(&nested(MAX_DEPTH)));
        assert_eq!(plain(&nested(MAX_DEPTH + 1)), None);
        assert_eq!(full(&nested(MAX_DEPTH + 1)), Err(xml::XmlError::TooDeep));
    }

    /// Every truncation of a real reply, and every special byte put in at every place: the plain
    /// reading either gives up or agrees with the full parser.
    #[test]
    fn mutated_replies_are_refused_or_read_alike() {
        let reply = fixture("device_query_negative_wrap.xml");
        let mut agreed = 0;
        for cut in 0..=reply.len() {
            agreed += usize::from(assert_agrees(&reply[..cut]));
        }
        for at in 0..=reply.len() {
            for inserted in [
                "<", ">", "/", "&", "=", "!", "?", "\"", " ", "\n", "\r", "\0", "é", "a",
            ] {
                let mutated = format!("{}{inserted}{}", &reply[..at], &reply[at..]);
                agreed += usize::from(assert_agrees(&mutated));
            }
        }
        // Many mutants (a letter or a space in a text) are still plain: the check has teeth.
        assert!(agreed > reply.len(), "only {agreed} plain mutants");
    }
}
