//! The install code is a secret: whatever the fuzzer puts in `eagle.install_code`, escaped
//! into a TOML string or pasted raw (breaking the syntax), the error must not show it.
//!
//! A leak is a message that contains the code when the same file with a harmless code of the
//! same length does not: that rules out codes which are merely words the message uses anyway.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rainforest_logger::config::Settings;

/// Shorter codes match too much ordinary message text to tell a leak.
const MIN_LEN: usize = 4;

fn config(code_field: &str) -> String {
    format!(
        "[household]\nid = \"h-0001\"\n[eagle]\nhost = \"127.0.0.1\"\ncloud_id = \"0123ab\"\n\
         install_code = {code_field}\n[s3]\nbucket = \"bucket-name\"\n"
    )
}

/// A TOML basic string holding `code`.
fn escaped(code: &str) -> String {
    let mut out = String::from("\"");
    for c in code.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn shown(text: &str) -> String {
    match Settings::from_toml_str(text, Path::new("/fuzz.toml"), &|_| None) {
        Ok(_) => String::new(),
        Err(e) => format!("{e} {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, code)) = data.split_first() else {
        return;
    };
    let Ok(code) = std::str::from_utf8(code) else {
        return;
    };
    if code.chars().count() < MIN_LEN {
        return;
    }
    let harmless = "0".repeat(code.chars().count());
    let (with_code, with_harmless) = if mode % 2 == 0 {
        (config(&escaped(code)), config(&escaped(&harmless)))
    } else {
        (
            config(&format!("\"{code}\"")),
            config(&format!("\"{harmless}\"")),
        )
    };
    let message = shown(&with_code);
    assert!(
        !message.contains(code) || shown(&with_harmless).contains(code),
        "install code {code:?} shown in: {message}"
    );
});
