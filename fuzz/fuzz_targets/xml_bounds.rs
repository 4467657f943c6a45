//! The pre-parse bounds on EAGLE XML replies (`eagle::xml::check_shape`): any bytes must be
//! checked without a panic, and a document the real parser reads within the bounds (depth,
//! attributes plus namespace declarations) must never be refused by them: the bounds only ever
//! turn away what no EAGLE sends. Both reply parsers then run on the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rainforest_logger::eagle::device_list::parse_device_list;
use rainforest_logger::eagle::device_query::parse_device_query;
use rainforest_logger::eagle::xml::{check_shape, MAX_ATTRIBUTES, MAX_DEPTH};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let shape = check_shape(&text);
    // Only documents too shallow to exhaust the stack are handed to roxmltree unguarded.
    if text.matches('<').count() <= 4 * MAX_DEPTH {
        if let Ok(doc) = roxmltree::Document::parse(&text) {
            let depth = doc
                .descendants()
                .filter(|n| n.is_element())
                .map(|n| n.ancestors().filter(|a| a.is_element()).count())
                .max()
                .unwrap_or(0);
            let attributes: usize = doc
                .descendants()
                .filter(|n| n.is_element())
                .map(|n| n.attributes().len() + n.namespaces().len())
                .sum();
            if depth <= MAX_DEPTH && attributes <= MAX_ATTRIBUTES {
                assert_eq!(shape, Ok(()), "within bounds: depth {depth}, {attributes} attributes");
            }
        }
    }
    let _ = parse_device_query(&text);
    let _ = parse_device_list(&text);
});
