//! Whole config files: any text must load or be rejected with problems, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rainforest_logger::config::Settings;

fuzz_target!(|text: &str| {
    let _ = Settings::from_toml_str(text, Path::new("/fuzz.toml"), &|_| None);
});
