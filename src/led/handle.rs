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

/// A running pattern engine: its own state channel (closing it stops the engine) and task.
type Engine = (watch::Sender<LedState>, JoinHandle<()>);

/// A running status LED. The pattern engine runs in its own task, so nothing the LED does
/// (or fails to do) can hold up polling.
#[derive(Debug)]
pub struct Led {
    settings: LedSettings,
    /// The state shown, for [`Led::subscribe`]; outlives engine restarts.
    shown: watch::Sender<LedState>,
    /// `None` when there is no device.
    engine: Option<Engine>,
}

impl Led {
    /// Opens the backend of `settings` and shows `initial`. A device that cannot be opened is
    /// logged as a warning and the logger runs without an LED.
    pub fn start(settings: &LedSettings, initial: LedState) -> Led {
        Led {
            settings: settings.clone(),
            shown: watch::Sender::new(initial),
            engine: open(settings, initial),
        }
    }

    /// Shows `state` from now on (a no-op if it is already shown).
    pub fn show(&self, state: LedState) {
        let changed = self.shown.send_if_modified(|shown| {
            let changed = *shown != state;
            *shown = state;
            changed
        });
        if let (true, Some((engine, _))) = (changed, &self.engine) {
            engine.send_replace(state);
        }
    }

    /// The state shown now, and every change from here on.
    pub fn subscribe(&self) -> watch::Receiver<LedState> {
        self.shown.subscribe()
    }

    /// The settings the LED was started with.
    pub fn settings(&self) -> &LedSettings {
        &self.settings
    }

    /// Gives the device back and opens the one of `settings`, showing the same state. The
    /// old device is released first: both may be the same LED.
    pub async fn reconfigure(&mut self, settings: &LedSettings) {
        stop(self.engine.take()).await;
        self.settings = settings.clone();
        self.engine = open(settings, *self.shown.borrow());
    }

    /// Turns the LED off, gives the device back, and returns once that is done.
    pub async fn stop(mut self) {
        stop(self.engine.take()).await;
    }
}

/// Opens the device of `settings` and starts its engine; `None` (logged) if there is none.
fn open(settings: &LedSettings, initial: LedState) -> Option<Engine> {
    let opened = match settings.backend {
        LedBackend::None => return None,
        LedBackend::Sysfs => {
            SysfsLed::open(&settings.sysfs_path).map(|led| spawn(led, settings, initial))
        }
        LedBackend::Gpio => gpio::open(settings).map(|pin| spawn(pin, settings, initial)),
    };
    opened
        .map_err(|e: LedError| log::warn!("no status LED: {e}"))
        .ok()
}

fn spawn<P>(pin: P, settings: &LedSettings, initial: LedState) -> Engine
where
    P: OutputPin + Send + 'static,
{
    let (states, receiver) = watch::channel(initial);
    let healthy = settings.healthy;
    let task = tokio::spawn(async move {
        // Dropping the pin releases the device (the sysfs trigger is given back).
        drop(drive(pin, healthy, receiver).await);
    });
    (states, task)
}

/// Closes the engine's channel and waits until it turned the LED off and released it.
async fn stop(engine: Option<Engine>) {
    if let Some((states, task)) = engine {
        drop(states);
        if let Err(e) = task.await {
            log::warn!("the status LED task ended abnormally: {e}");
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

    fn fake_led(root: &Path, name: &str) -> PathBuf {
        let dir = root.join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("trigger"), "none [mmc0] timer").unwrap();
        fs::write(dir.join("brightness"), "0").unwrap();
        fs::write(dir.join("max_brightness"), "1").unwrap();
        dir
    }

    fn trigger(dir: &Path) -> String {
        fs::read_to_string(dir.join("trigger")).unwrap()
    }

    #[tokio::test]
    async fn sysfs_led_shows_states_and_is_given_back_on_stop() {
        let root = tempfile::tempdir().unwrap();
        let dir = fake_led(root.path(), "ACT");
        let led = Led::start(&settings(LedBackend::Sysfs, &dir), LedState::Healthy);
        let brightness = || fs::read_to_string(dir.join("brightness")).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while brightness() != "1" {
            assert!(tokio::time::Instant::now() < deadline, "never lit");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(trigger(&dir), "none");
        led.show(LedState::StorageFailure);
        assert_eq!(*led.subscribe().borrow(), LedState::StorageFailure);
        led.stop().await;
        assert_eq!(trigger(&dir), "mmc0");
        assert_eq!(brightness(), "0");
    }

    #[tokio::test]
    async fn reconfigure_releases_the_old_led_first_and_keeps_subscribers() {
        let root = tempfile::tempdir().unwrap();
        let act = fake_led(root.path(), "ACT");
        let pwr = fake_led(root.path(), "PWR");
        let mut led = Led::start(&settings(LedBackend::Sysfs, &act), LedState::ConfigError);
        let mut states = led.subscribe();
        assert_eq!(trigger(&act), "none");
        led.reconfigure(&settings(LedBackend::Sysfs, &pwr)).await;
        assert_eq!(trigger(&act), "mmc0");
        assert_eq!(trigger(&pwr), "none");
        led.show(LedState::Healthy);
        assert_eq!(*states.borrow_and_update(), LedState::Healthy);
        assert_eq!(led.settings().sysfs_path, pwr);
        led.stop().await;
        assert_eq!(trigger(&pwr), "mmc0");
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
