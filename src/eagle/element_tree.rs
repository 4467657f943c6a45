//! A reply's elements as the decoders read them: a flat list in document order, each element
//! with its name, its extent and its text.
//!
//! Real replies are written in a plain subset of XML (no attributes, comments, references or
//! declarations; ASCII text), which [`plain_xml`] reads in one pass straight into this list.
//! Anything else goes through the full parser ([`xml::read_root`]: bounded, raw ampersands
//! repaired, roxmltree's verdict on well-formedness), and its tree is copied into the same
//! form. Both readings of a plain reply are the same list (tests and `fuzz/` check it), so a
//! decoder cannot tell which one it got; the plain reading costs a fifth of the full one.

use super::plain_xml;
use super::xml::{self, XmlError};

/// A document's elements in document order (the root first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementTree<'a> {
    pub(super) records: Vec<Record<'a>>,
}

/// One element as stored in an [`ElementTree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record<'a> {
    /// Its tag name (without a namespace prefix).
    pub(super) name: &'a str,
    /// The index one past its last descendant: its children start right after it.
    pub(super) end: usize,
    /// Its first child's text, trimmed, when that first child is text.
    pub(super) text: Option<&'a str>,
}

/// One element of an [`ElementTree`].
#[derive(Debug, Clone, Copy)]
pub struct Element<'t, 'a> {
    tree: &'t ElementTree<'a>,
    index: usize,
}

impl<'a> ElementTree<'a> {
    /// Reads `body` (the plain way when it can, else in full) and hands its root element to
    /// `read`, which extracts owned data: the full reading's tree borrows text that lives
    /// only during the call.
    pub fn read<T>(body: &str, read: impl FnOnce(Element<'_, '_>) -> T) -> Result<T, XmlError> {
        match plain_xml::parse(body) {
            Some(tree) => Ok(read(tree.root())),
            None => xml::read_root(body, |root| read(ElementTree::from_node(root).root())),
        }
    }

    /// The elements of a parsed document under (and including) `root`.
    pub fn from_node(root: roxmltree::Node<'a, '_>) -> ElementTree<'a> {
        let mut records = Vec::new();
        push_subtree(root, &mut records);
        ElementTree { records }
    }

    /// The root element.
    pub fn root(&self) -> Element<'_, 'a> {
        Element {
            tree: self,
            index: 0,
        }
    }
}

/// Appends `node` and its descendant elements in document order. The recursion is as deep as
/// the document, which [`xml::check_shape`] bounded before it was parsed.
fn push_subtree<'a>(node: roxmltree::Node<'a, '_>, records: &mut Vec<Record<'a>>) {
    let index = records.len();
    records.push(Record {
        name: node.tag_name().name(),
        end: 0,
        text: node.text().map(str::trim),
    });
    for child in node.children().filter(roxmltree::Node::is_element) {
        push_subtree(child, records);
    }
    records[index].end = records.len();
}

impl<'t, 'a> Element<'t, 'a> {
    fn record(&self) -> &'t Record<'a> {
        &self.tree.records[self.index]
    }

    /// Its tag name.
    pub fn name(&self) -> &'a str {
        self.record().name
    }

    /// Whether its tag name is `name`, compared case-insensitively as the EAGLE does.
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name)
    }

    /// Its child elements, in order.
    pub fn children(&self) -> impl Iterator<Item = Element<'t, 'a>> + 't {
        let tree = self.tree;
        let end = self.record().end;
        let mut next = self.index + 1;
        std::iter::from_fn(move || {
            let index = next;
            (index < end).then(|| {
                next = tree.records[index].end;
                Element { tree, index }
            })
        })
    }

    /// Itself and every element under it, in document order.
    pub fn descendants(&self) -> impl Iterator<Item = Element<'t, 'a>> + 't {
        let tree = self.tree;
        (self.index..self.record().end).map(move |index| Element { tree, index })
    }

    /// The first child element named `name` (case-insensitive).
    pub fn child(&self, name: &str) -> Option<Element<'t, 'a>> {
        self.children().find(|c| c.is(name))
    }

    /// The trimmed text of the child element `name`; `None` when the element is absent,
    /// `Some("")` when it is present but holds no text.
    pub fn child_text(&self, name: &str) -> Option<&'a str> {
        self.child(name).map(|c| c.record().text.unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the lookups find in `body`: the root's name, a child's text, the children's and
    /// the descendants' names.
    fn lookups(body: &str) -> (bool, Option<String>, Vec<String>, Vec<String>) {
        ElementTree::read(body, |root| {
            let names = |elements: &mut dyn Iterator<Item = Element<'_, '_>>| {
                elements.map(|e| e.name().to_string()).collect::<Vec<_>>()
            };
            (
                root.is("Device"),
                root.child_text("Name").map(str::to_string),
                names(&mut root.children()),
                names(&mut root.descendants()),
            )
        })
        .unwrap()
    }

    #[test]
    fn lookups_ignore_case_and_read_plain_and_full_documents_alike() {
        let plain = "<DEVICE><x><name>inner</name></x><name> Meter </name><y/></DEVICE>";
        assert!(plain_xml::parse(plain).is_some());
        let expected = (
            true,
            Some("Meter".to_string()),
            vec!["x".to_string(), "name".into(), "y".into()],
            vec![
                "DEVICE".to_string(),
                "x".into(),
                "name".into(),
                "name".into(),
                "y".into(),
            ],
        );
        assert_eq!(lookups(plain), expected);
        // A comment is not plain: the full parser reads it, to the same elements.
        let full = plain.replace("<y/>", "<y/><!-- a comment -->");
        assert!(plain_xml::parse(&full).is_none());
        assert_eq!(lookups(&full), expected);
    }

    #[test]
    fn an_absent_child_has_no_text_and_an_empty_one_an_empty_text() {
        let body = "<a><b></b><c><d/></c></a>";
        let texts = ElementTree::read(body, |root| {
            ["b", "c", "e"].map(|name| root.child_text(name).map(str::to_string))
        });
        assert_eq!(texts, Ok([Some(String::new()), Some(String::new()), None]));
    }
}
