//! `device_list` replies: any bytes, decoded as the transport does (lossy UTF-8), must give a
//! list or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rainforest_logger::eagle::device_list::parse_device_list;

fuzz_target!(|data: &[u8]| {
    let _ = parse_device_list(&String::from_utf8_lossy(data));
});
