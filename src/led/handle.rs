//! The status LED as the rest of the program sees it: start it from `[led]`, tell it the
//! state, stop it (which turns it off and gives it back).

use embedded_hal::digital::OutputPin;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::engine::drive;
use super::error::LedError;
use super::{gpio, sysfs::SysfsLed};
use crate::config::{LedBackend, LedSettings};
use crate::health::LedState;

/// A running status LED. The pattern engine runs in its own task, so nothing the LED does
/// (or fails to do) can hold up polling.
#[derive(Debug)]
pub struct Led {
    settings: LedSettings,
    states: watch::Sender<LedState>,
    engine: Option<JoinHandle<()>>,
}

impl Led {
    /// Opens the backend of `settings` and shows `initial`. A device that cannot be opened is
    /// logged as a warning and the logger runs without an LED.
    pub fn start(settings: &LedSettings, initial: LedState) -> Led {
        let opened = match settings.backend {
            LedBackend::None => return Led::dark(settings, initial),
            LedBackend::Sysfs => SysfsLed::open(&settings.sysfs_path)
                .map(|led| Led::with_pin(led, settings, initial)),
            LedBackend::Gpio => {
                gpio::open(settings).map(|pin| Led::with_pin(pin, settings, initial))
            }
        };
        opened.unwrap_or_else(|e: LedError| {
            log::warn!("no status LED: {e}");
            Led::dark(settings, initial)
        })
    }

    /// Drives `pin` (high = lit) per `settings.healthy`; the backend is already open.
    pub fn with_pin<P>(pin: P, settings: &LedSettings, initial: LedState) -> Led
    where
        P: OutputPin + Send + 'static,
    {
        let (states, receiver) = watch::channel(initial);
        let healthy = settings.healthy;
        let engine = tokio::spawn(async move {
            // Dropping the pin releases the device (the sysfs trigger is given back).
            drop(drive(pin, healthy, receiver).await);
        });
        Led {
            settings: settings.clone(),
            states,
            engine: Some(engine),
        }
    }

    /// No device: states are still tracked (for [`Led::subscribe`]).
    fn dark(settings: &LedSettings, initial: LedState) -> Led {
        Led {
            settings: settings.clone(),
            states: watch::channel(initial).0,
            engine: None,
        }
    }

    /// Shows `state` from now on (a no-op if it is already shown).
    pub fn show(&self, state: LedState) {
        self.states.send_if_modified(|shown| {
            let changed = *shown != state;
            *shown = state;
            changed
        });
    }

    /// The state shown now, and every change from here on.
    pub fn subscribe(&self) -> watch::Receiver<LedState> {
        self.states.subscribe()
    }

    /// The settings the LED was started with.
    pub fn settings(&self) -> &LedSettings {
        &self.settings
    }

    /// Turns the LED off, gives the device back, and returns once that is done.
    pub async fn stop(self) {
        drop(self.states);
        if let Some(engine) = self.engine {
            if let Err(e) = engine.await {
                log::warn!("the status LED task ended abnormally: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;
    use crate::config::HealthyPattern;

    fn settings(backend: LedBackend, sysfs_path: &Path) -> LedSettings {
        LedSettings {
            backend,
            sysfs_path: sysfs_path.to_path_buf(),
            gpio_chip: PathBuf::from("/nonexistent/gpiochip0"),
            gpio_line: 17,
            active_low: false,
            healthy: HealthyPattern::On,
        }
    }

    #[tokio::test]
    async fn sysfs_led_shows_states_and_is_given_back_on_stop() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("ACT");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("trigger"), "none [mmc0] timer").unwrap();
        fs::write(dir.join("brightness"), "0").unwrap();
        fs::write(dir.join("max_brightness"), "1").unwrap();
        let led = Led::start(&settings(LedBackend::Sysfs, &dir), LedState::Healthy);
        let brightness = || fs::read_to_string(dir.join("brightness")).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while brightness() != "1" {
            assert!(tokio::time::Instant::now() < deadline, "never lit");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(fs::read_to_string(dir.join("trigger")).unwrap(), "none");
        led.show(LedState::StorageFailure);
        assert_eq!(*led.subscribe().borrow(), LedState::StorageFailure);
        led.stop().await;
        assert_eq!(fs::read_to_string(dir.join("trigger")).unwrap(), "mmc0");
        assert_eq!(brightness(), "0");
    }

    #[tokio::test]
    async fn missing_devices_and_none_run_dark_but_track_the_state() {
        let root = tempfile::tempdir().unwrap();
        for backend in [LedBackend::None, LedBackend::Sysfs, LedBackend::Gpio] {
            let led = Led::start(
                &settings(backend, &root.path().join("missing")),
                LedState::Healthy,
            );
            let mut states = led.subscribe();
            led.show(LedState::ConfigError);
            assert!(states.has_changed().unwrap());
            assert_eq!(*states.borrow_and_update(), LedState::ConfigError);
            led.show(LedState::ConfigError);
            assert!(
                !states.has_changed().unwrap(),
                "same state twice is no change"
            );
            assert_eq!(led.settings().backend, backend);
            led.stop().await;
        }
    }
}
