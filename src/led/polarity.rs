//! Wiring polarity: whether the LED lights when its line is high or low.

use embedded_hal::digital::{ErrorType, OutputPin};

/// An output pin where "high" means "LED lit", whatever the wiring: with `active_low`, the
/// line is driven low to light the LED. The pattern engine only ever thinks in "lit".
#[derive(Debug)]
pub struct Polarity<P> {
    pin: P,
    active_low: bool,
}

impl<P> Polarity<P> {
    /// Wraps `pin`; `active_low` as in `led.active_low`.
    pub fn new(pin: P, active_low: bool) -> Polarity<P> {
        Polarity { pin, active_low }
    }
}

impl<P: ErrorType> ErrorType for Polarity<P> {
    type Error = P::Error;
}

impl<P: OutputPin> OutputPin for Polarity<P> {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        if self.active_low {
            self.pin.set_high()
        } else {
            self.pin.set_low()
        }
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        if self.active_low {
            self.pin.set_low()
        } else {
            self.pin.set_high()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::led::recording::RecordingPin;

    #[tokio::test(start_paused = true)]
    async fn active_low_inverts_and_active_high_does_not() {
        for active_low in [false, true] {
            let pin = RecordingPin::new();
            let mut led = Polarity::new(pin.clone(), active_low);
            led.set_high().unwrap();
            led.set_low().unwrap();
            let levels: Vec<bool> = pin.levels();
            assert_eq!(levels, vec![!active_low, active_low]);
        }
    }
}
