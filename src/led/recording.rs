//! A test pin that records every level it is set to, with the (tokio) time.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use embedded_hal::digital::{ErrorType, OutputPin};
use tokio::time::Instant;

/// Clones share one record.
#[derive(Debug, Clone, Default)]
pub struct RecordingPin {
    record: Arc<Mutex<Vec<(Instant, bool)>>>,
}

impl RecordingPin {
    /// An empty record.
    pub fn new() -> RecordingPin {
        RecordingPin::default()
    }

    /// Every `(when, high)` so far.
    pub fn record(&self) -> Vec<(Instant, bool)> {
        self.record.lock().unwrap().clone()
    }

    /// Every level so far, without times.
    pub fn levels(&self) -> Vec<bool> {
        self.record().into_iter().map(|(_, high)| high).collect()
    }

    fn push(&self, high: bool) {
        self.record.lock().unwrap().push((Instant::now(), high));
    }
}

impl ErrorType for RecordingPin {
    type Error = Infallible;
}

impl OutputPin for RecordingPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.push(false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        self.push(true);
        Ok(())
    }
}
