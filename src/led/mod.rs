//! The status LED: the household's whole user interface.
//!
//! One pattern engine ([`drive`]) plays the pattern of the current [`LedState`] (the table is
//! in [`pattern`](fn@pattern) and README's "LED" section) on any
//! `embedded_hal::digital::OutputPin`, so every backend behaves the same:
//!
//! - `sysfs`: an LED-class device such as the Pi's own `ACT` LED ([`SysfsLed`]);
//! - `gpio`: an LED on a GPIO line through the character device ([`gpio::open`]);
//! - `none`: no LED.
//!
//! [`Led`] runs the engine in its own task; a missing or unwritable device is a warning,
//! never an error that stops the logger.
//!
//! [`LedState`]: crate::health::LedState

mod engine;
mod error;
pub mod gpio;
mod handle;
mod pattern;
mod polarity;
#[cfg(test)]
mod recording;
mod sysfs;

pub use engine::drive;
pub use error::LedError;
pub use handle::Led;
pub use pattern::{pattern, Pattern, Segment};
pub use polarity::Polarity;
pub use sysfs::SysfsLed;
