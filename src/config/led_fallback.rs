//! The LED settings to show a broken config with: the LED must work before the rest does.

use std::path::Path;

use toml::Table;

use super::raw;
use super::reader::Section;
use super::settings::LedSettings;
use super::validate;

/// The file's own `[led]` section if the file is TOML and that section is valid, else the
/// defaults (the Pi's `ACT` LED). Never fails: with `path = None` (no file found), a file
/// that cannot be read, or a section with any problem, the defaults are used.
pub fn led_settings_or_default(path: Option<&Path>) -> LedSettings {
    let table: Option<Table> = path.and_then(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        raw::parse(&text, path).ok()
    });
    let from_file = table.as_ref().and_then(|table| {
        let mut problems = Vec::new();
        let led = Section::root(table).section("led", &mut problems, validate::led)?;
        problems.is_empty().then_some(led)
    });
    from_file.unwrap_or_else(|| {
        validate::led(Section::new("led", None), &mut Vec::new())
            .expect("the [led] defaults are valid")
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{HealthyPattern, LedBackend};

    fn fallback(text: &str) -> LedSettings {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        led_settings_or_default(Some(&path))
    }

    #[test]
    fn defaults_are_the_pi_act_led() {
        let defaults = led_settings_or_default(None);
        assert_eq!(defaults.backend, LedBackend::Sysfs);
        assert_eq!(defaults.sysfs_path, PathBuf::from("/sys/class/leds/ACT"));
        assert_eq!(defaults.healthy, HealthyPattern::Heartbeat);
    }

    #[test]
    fn a_valid_led_section_is_used_even_if_the_rest_is_broken() {
        let led = fallback(
            "[eagle]\ninstall_code = \"nope\"\n[led]\nbackend = \"gpio\"\ngpio_line = 4\n",
        );
        assert_eq!(led.backend, LedBackend::Gpio);
        assert_eq!(led.gpio_line, 4);
    }

    #[test]
    fn a_file_saved_on_windows_is_read_too() {
        let led = fallback("\u{feff}[led]\r\nbackend = \"gpio\"\r\n");
        assert_eq!(led.backend, LedBackend::Gpio);
    }

    #[test]
    fn anything_wrong_with_the_led_section_means_defaults() {
        let defaults = led_settings_or_default(None);
        for text in [
            "[led]\nbackend = \"blinkenlights\"\n",
            "[led]\nbackend = \"gpio\"\ncolour = \"red\"\n",
            "led = 3\n",
            "[led\nbackend = \"gpio\"\n",
            "",
        ] {
            assert_eq!(fallback(text), defaults, "{text}");
        }
        assert_eq!(
            led_settings_or_default(Some(Path::new("/nonexistent/c.toml"))),
            defaults
        );
    }
}
