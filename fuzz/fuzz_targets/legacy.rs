//! Legacy (RFA-Z109) JSON replies: every legacy parser gets the same bytes, since a confused
//! EAGLE may answer one command with another's reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rainforest_logger::eagle::legacy::{parse_demand, parse_price, parse_summation};

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let _ = parse_demand(&body);
    let _ = parse_summation(&body);
    let _ = parse_price(&body);
});
