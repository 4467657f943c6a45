//! The one-pass reading of plain replies (`eagle::plain_xml`): any bytes must be read without
//! a panic, and whatever it accepts, the full parser (bounds, ampersand repair, roxmltree)
//! must read to the same elements, texts and extents. Decoders cannot tell the readings apart.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rainforest_logger::eagle::element_tree::ElementTree;
use rainforest_logger::eagle::{plain_xml, xml};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(plain) = plain_xml::parse(&text) {
        let full = xml::read_root(&text, |root| ElementTree::from_node(root) == plain);
        assert_eq!(full, Ok(true), "plain and full readings differ");
    }
});
