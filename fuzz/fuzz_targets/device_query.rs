//! `device_query` replies: any bytes, decoded as the transport does (lossy UTF-8), must give a
//! sample or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rainforest_logger::eagle::device_query::parse_device_query;

fuzz_target!(|data: &[u8]| {
    let _ = parse_device_query(&String::from_utf8_lossy(data));
});
