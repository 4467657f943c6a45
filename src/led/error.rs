//! Why an LED could not be opened or set.

use std::io;
use std::path::PathBuf;

use linux_embedded_hal::gpio_cdev;
use thiserror::Error;

/// A failure of an LED backend. Never fatal: the logger logs it and runs without the LED.
#[derive(Debug, Error)]
pub enum LedError {
    /// A file of the LED-class directory could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// `max_brightness` did not hold a number.
    #[error("{}: expected a number, found {found:?}", .path.display())]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// What it held.
        found: String,
    },
    /// The GPIO line could not be opened or driven.
    #[error("{} line {line}: {source}", .chip.display())]
    Gpio {
        /// The GPIO character device.
        chip: PathBuf,
        /// The line offset.
        line: u32,
        /// What the kernel (or gpio-cdev) said.
        source: gpio_cdev::errors::Error,
    },
}

impl embedded_hal::digital::Error for LedError {
    fn kind(&self) -> embedded_hal::digital::ErrorKind {
        embedded_hal::digital::ErrorKind::Other
    }
}
