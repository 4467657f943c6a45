//! The `gpio` backend: an LED on a GPIO line, through the character device
//! (`/dev/gpiochipN` + line offset; never the deprecated sysfs GPIO numbers, which moved on
//! recent Pi kernels).

use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};
use linux_embedded_hal::CdevPin;

use super::error::LedError;
use super::polarity::Polarity;
use crate::config::LedSettings;

/// The name the kernel shows as the line's consumer (`gpioinfo`).
const CONSUMER: &str = "rainforest-logger";

/// Requests `led.gpio_line` on `led.gpio_chip` as an output, LED off.
///
/// The line is requested without the kernel's ACTIVE_LOW flag and [`Polarity`] inverts
/// instead: linux-embedded-hal 0.5's `CdevPin` inverts once more for lines flagged
/// active-low, which would cancel the kernel's inversion.
pub fn open(led: &LedSettings) -> Result<Polarity<CdevPin>, LedError> {
    let error = |source| LedError::Gpio {
        chip: led.gpio_chip.clone(),
        line: led.gpio_line,
        source,
    };
    let mut chip = Chip::new(&led.gpio_chip).map_err(error)?;
    let line = chip.get_line(led.gpio_line).map_err(error)?;
    let dark = u8::from(led.active_low);
    let handle = line
        .request(LineRequestFlags::OUTPUT, dark, CONSUMER)
        .map_err(error)?;
    let pin = CdevPin::new(handle).map_err(error)?;
    Ok(Polarity::new(pin, led.active_low))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{HealthyPattern, LedBackend};

    fn settings(chip: PathBuf) -> LedSettings {
        LedSettings {
            backend: LedBackend::Gpio,
            sysfs_path: PathBuf::from("/nonexistent"),
            gpio_chip: chip,
            gpio_line: 17,
            active_low: false,
            healthy: HealthyPattern::Heartbeat,
        }
    }

    #[test]
    fn a_missing_or_fake_chip_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gpiochip9");
        let error = open(&settings(missing.clone())).err().unwrap();
        assert!(error.to_string().contains("gpiochip9 line 17"), "{error}");
        // A regular file is not a GPIO chip: the kernel refuses the ioctl.
        let file = dir.path().join("gpiochip0");
        std::fs::write(&file, "").unwrap();
        assert!(open(&settings(file)).is_err());
    }
}
