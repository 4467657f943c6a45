//! The `sysfs` backend: an LED-class device such as the Pi's own `/sys/class/leds/ACT`.
//!
//! Opening takes the LED from the kernel (writes `none` to `trigger`, remembering the active
//! trigger, the bracketed entry in `none [mmc0] timer`); dropping gives it back (the old
//! brightness, then the old trigger), so the Pi's SD-activity flicker returns when the logger
//! stops.
//!
//! Writes are plain synchronous file writes, on purpose: an LED-class attribute write is
//! handled in memory by the LED driver (a register or GPIO write, microseconds, no storage
//! behind it), there are at most eight a second, and they happen in the LED's own task, so
//! the poll loop never waits for one. A `spawn_blocking` hop would cost more than the write.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use embedded_hal::digital::{ErrorType, OutputPin};

use super::error::LedError;

/// An LED-class device driven through `brightness` (high = `max_brightness`, low = 0).
#[derive(Debug)]
pub struct SysfsLed {
    dir: PathBuf,
    max_brightness: String,
    previous_trigger: Option<String>,
    previous_brightness: String,
}

impl SysfsLed {
    /// Takes over the LED in `dir` (e.g. `/sys/class/leds/ACT`) and turns it off.
    pub fn open(dir: &Path) -> Result<SysfsLed, LedError> {
        let triggers = read(&dir.join("trigger"))?;
        let max_brightness = read(&dir.join("max_brightness"))?;
        if max_brightness.parse::<u32>().is_err() {
            return Err(LedError::NotANumber {
                path: dir.join("max_brightness"),
                found: max_brightness,
            });
        }
        let previous_brightness = read(&dir.join("brightness"))?;
        write(&dir.join("trigger"), "none")?;
        // From here on, dropping `led` (also on the error path below) restores the trigger.
        let led = SysfsLed {
            dir: dir.to_path_buf(),
            max_brightness,
            previous_trigger: active_trigger(&triggers),
            previous_brightness,
        };
        led.set_brightness("0")?;
        Ok(led)
    }

    fn set_brightness(&self, value: &str) -> Result<(), LedError> {
        write(&self.dir.join("brightness"), value)
    }
}

impl Drop for SysfsLed {
    fn drop(&mut self) {
        // Brightness first: on a real LED, writing brightness after the trigger would
        // switch the restored trigger off again.
        let mut result = self.set_brightness(&self.previous_brightness);
        if let Some(trigger) = self.previous_trigger.as_deref().filter(|t| *t != "none") {
            result = result.and(write(&self.dir.join("trigger"), trigger));
        }
        match result {
            Ok(()) => log::debug!("status LED {} given back", self.dir.display()),
            Err(e) => log::warn!("could not give the status LED back to the kernel: {e}"),
        }
    }
}

impl ErrorType for SysfsLed {
    type Error = LedError;
}

impl OutputPin for SysfsLed {
    fn set_low(&mut self) -> Result<(), LedError> {
        self.set_brightness("0")
    }

    fn set_high(&mut self) -> Result<(), LedError> {
        let max = self.max_brightness.clone();
        self.set_brightness(&max)
    }
}

/// The bracketed entry of a `trigger` file: `none [mmc0] timer` → `mmc0`.
fn active_trigger(triggers: &str) -> Option<String> {
    triggers
        .split_whitespace()
        .find_map(|word| word.strip_prefix('[')?.strip_suffix(']'))
        .map(str::to_string)
}

fn read(path: &Path) -> Result<String, LedError> {
    fs::read_to_string(path)
        .map(|text| text.trim().to_string())
        .map_err(|source| LedError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes an existing attribute file (never creates one: a missing file is an error).
fn write(path: &Path, value: &str) -> Result<(), LedError> {
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut file| file.write_all(value.as_bytes()))
        .map_err(|source| LedError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `/sys/class/leds/ACT` in a temp dir.
    fn fake_led(trigger: &str, brightness: &str) -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("sys/class/leds/ACT");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("trigger"), trigger).unwrap();
        fs::write(dir.join("brightness"), brightness).unwrap();
        fs::write(dir.join("max_brightness"), "255\n").unwrap();
        (root, dir)
    }

    fn content(dir: &Path, file: &str) -> String {
        fs::read_to_string(dir.join(file)).unwrap()
    }

    #[test]
    fn takes_the_led_drives_it_and_gives_it_back() {
        let (_root, dir) = fake_led("none [mmc0] timer oneshot heartbeat\n", "1\n");
        let mut led = SysfsLed::open(&dir).unwrap();
        assert_eq!(content(&dir, "trigger"), "none");
        assert_eq!(content(&dir, "brightness"), "0");
        led.set_high().unwrap();
        assert_eq!(content(&dir, "brightness"), "255");
        led.set_low().unwrap();
        assert_eq!(content(&dir, "brightness"), "0");
        drop(led);
        assert_eq!(content(&dir, "brightness"), "1");
        assert_eq!(content(&dir, "trigger"), "mmc0");
    }

    #[test]
    fn a_led_that_had_no_trigger_keeps_none() {
        let (_root, dir) = fake_led("[none] mmc0 timer\n", "0\n");
        let mut led = SysfsLed::open(&dir).unwrap();
        led.set_high().unwrap();
        drop(led);
        assert_eq!(content(&dir, "trigger"), "none");
        assert_eq!(content(&dir, "brightness"), "0");
    }

    #[test]
    fn missing_or_broken_devices_are_errors_not_panics() {
        let root = tempfile::tempdir().unwrap();
        let missing = SysfsLed::open(&root.path().join("leds/nope")).unwrap_err();
        assert!(
            missing.to_string().contains("leds/nope/trigger"),
            "{missing}"
        );
        let (_root, dir) = fake_led("none [mmc0]", "0");
        fs::write(dir.join("max_brightness"), "lots").unwrap();
        let error = SysfsLed::open(&dir).unwrap_err();
        assert!(matches!(error, LedError::NotANumber { .. }), "{error}");
        // Nothing was changed on the way.
        assert_eq!(content(&dir, "trigger"), "none [mmc0]");
    }

    #[test]
    fn the_active_trigger_is_the_bracketed_one() {
        assert_eq!(
            active_trigger("none rc-feedback [mmc0] timer").as_deref(),
            Some("mmc0")
        );
        assert_eq!(active_trigger("[none] mmc0").as_deref(), Some("none"));
        assert_eq!(active_trigger("none mmc0"), None);
    }
}
