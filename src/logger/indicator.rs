//! Where the health state goes: the LED, the log (once per change) and systemd's `STATUS=`.

use tokio::sync::watch;

use super::notify::Notifier;
use crate::config::LedSettings;
use crate::health::LedState;
use crate::led::Led;

/// Shows one [`LedState`] at a time on every channel a person might look at.
#[derive(Debug)]
pub struct Indicator {
    led: Led,
    notifier: Notifier,
    shown: Option<(LedState, String)>,
}

impl Indicator {
    /// Shows states on `led` and through `notifier`.
    pub fn new(led: Led, notifier: Notifier) -> Indicator {
        Indicator {
            led,
            notifier,
            shown: None,
        }
    }

    /// Shows `state` because of `why`: a new state is logged (info) and sent as `STATUS=`;
    /// a new reason for the same state only updates `STATUS=`.
    pub fn show(&mut self, state: LedState, why: &str) {
        match &self.shown {
            Some((shown, reason)) if *shown == state && reason == why => return,
            Some((shown, _)) if *shown == state => {}
            _ => log::info!("status LED: {state} ({why})"),
        }
        self.led.show(state);
        self.notifier.status(&format!("LED {state}: {why}"));
        self.shown = Some((state, why.to_string()));
    }

    /// The notifier states are reported through.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// The LED state now, and every change from here on.
    pub fn subscribe(&self) -> watch::Receiver<LedState> {
        self.led.subscribe()
    }

    /// Switches to the LED of `settings` if they differ from the current ones (the config
    /// file changed), carrying the state over.
    pub async fn use_led(&mut self, settings: &LedSettings) {
        if self.led.settings() != settings {
            self.led.reconfigure(settings).await;
        }
    }

    /// Turns the LED off and gives it back.
    pub async fn stop(self) {
        self.led.stop().await;
    }
}
