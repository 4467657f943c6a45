//! What reading an EAGLE reply costs, fixture by fixture: the shipped decoder
//! (`parse_device_query`, `parse_device_list`), and the two ways it can read the XML beneath
//! it: the one-pass plain reading (`plain_xml::parse`) and the full one (bounds, `&` repair,
//! roxmltree's tree copied into the same element list), which a reply outside the plain
//! subset takes. Microseconds per reply, the best of five rounds of ROUNDS readings each.
//!
//!     cargo bench --bench reply_parse [-- ROUNDS]      (default 20,000)

use std::hint::black_box;
use std::time::Instant;

use rainforest_logger::eagle::device_list::parse_device_list;
use rainforest_logger::eagle::device_query::parse_device_query;
use rainforest_logger::eagle::element_tree::ElementTree;
use rainforest_logger::eagle::{plain_xml, xml};

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .filter(|a| a != "--bench")
        .map_or(20_000, |a| a.parse().expect("ROUNDS: a whole number"));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut fixtures: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures")
        .map(|entry| entry.expect("a fixture").path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("device_") && name.ends_with(".xml")
        })
        .collect();
    fixtures.sort();
    println!("microseconds per reply, best of 5 rounds of {rounds}");
    println!(
        "{:<42} {:>6} {:>9} {:>7} {:>7}",
        "fixture", "bytes", "decoder", "plain", "full"
    );
    for path in fixtures {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let body = std::fs::read_to_string(&path).expect("a UTF-8 fixture");
        let body = body.as_str();
        let decoder = if name.starts_with("device_list") {
            time(rounds, || {
                drop(black_box(parse_device_list(black_box(body))))
            })
        } else {
            time(rounds, || {
                drop(black_box(parse_device_query(black_box(body))))
            })
        };
        let plain_reading = || drop(black_box(plain_xml::parse(black_box(body))));
        let plain = match plain_xml::parse(body) {
            Some(_) => format!("{:.1}", time(rounds, plain_reading)),
            None => "-".to_string(),
        };
        let full = time(rounds, || {
            let elements = xml::read_root(black_box(body), |root| {
                ElementTree::from_node(root).root().descendants().count()
            });
            drop(black_box(elements));
        });
        let bytes = body.len();
        println!("{name:<42} {bytes:>6} {decoder:>9.1} {plain:>7} {full:>7.1}");
    }
}

/// The best of five rounds of `rounds` calls, in microseconds per call.
fn time(rounds: u32, mut read: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..rounds {
                read();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
        })
        .fold(f64::INFINITY, f64::min)
}
