//! Where readings come from: the real EAGLE, or a fake in tests that drive time.

use std::future::Future;

use crate::eagle::{Eagle, EagleError, MeterSample};

/// Something the poll loop can read a meter from, one request at a time.
pub trait MeterSource: Send {
    /// Reads the meter once.
    fn poll(&mut self) -> impl Future<Output = Result<MeterSample, EagleError>> + Send;
}

impl MeterSource for Eagle {
    fn poll(&mut self) -> impl Future<Output = Result<MeterSample, EagleError>> + Send {
        Eagle::poll(self)
    }
}
