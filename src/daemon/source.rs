//! Where readings come from: the real EAGLE, or a fake in tests that drive time.

use std::future::Future;

use crate::eagle::{Eagle, EagleError, Fingerprint, MeterSample};

/// Something the poll loop can read a meter from, one request at a time.
pub trait MeterSource: Send {
    /// Reads the meter once.
    fn poll(&mut self) -> impl Future<Output = Result<MeterSample, EagleError>> + Send;

    /// After a successful poll: a certificate fingerprint to keep in the buffer, once (see
    /// [`Eagle::newly_trusted`]). Sources without https have none.
    fn newly_trusted(&mut self) -> Option<Fingerprint> {
        None
    }
}

impl MeterSource for Eagle {
    fn poll(&mut self) -> impl Future<Output = Result<MeterSample, EagleError>> + Send {
        Eagle::poll(self)
    }

    fn newly_trusted(&mut self) -> Option<Fingerprint> {
        Eagle::newly_trusted(self)
    }
}
