//! Exponential backoff with jitter for failed uploads.

use std::time::Duration;

/// The wait after the first failure; it doubles with each further failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);

/// The longest wait between attempts ("retry slowly" for configuration errors).
pub const MAX_RETRY: Duration = Duration::from_secs(15 * 60);

/// Delays between attempts: 30 s, 1 min, 2 min, … up to 15 min, each drawn at random from
/// its upper half so loggers that failed together do not retry together.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// No failures yet.
    pub fn new() -> Backoff {
        Backoff::default()
    }

    /// Records a failure and returns how long to wait before the next attempt.
    pub fn after_failure(&mut self) -> Duration {
        let ceiling = FIRST_RETRY
            .saturating_mul(2u32.saturating_pow(self.failures))
            .min(MAX_RETRY);
        self.failures = self.failures.saturating_add(1);
        jittered(ceiling)
    }

    /// The wait for a failure only a person can fix: straight to the slowest rate.
    pub fn slowest(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        jittered(MAX_RETRY)
    }

    /// Records a success: the next failure starts again at [`FIRST_RETRY`].
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A random duration in `[ceiling / 2, ceiling]`.
fn jittered(ceiling: Duration) -> Duration {
    let half = ceiling / 2;
    let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    half + Duration::from_millis(fastrand::u64(0..=spread))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter() {
        let mut backoff = Backoff::new();
        let mut ceiling = FIRST_RETRY;
        for _ in 0..10 {
            let wait = backoff.after_failure();
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} vs {ceiling:?}"
            );
            ceiling = (ceiling * 2).min(MAX_RETRY);
        }
        backoff.reset();
        assert!(backoff.after_failure() <= FIRST_RETRY);
        assert!(backoff.slowest() >= MAX_RETRY / 2);
    }
}
