//! The evolving meter: a deterministic function of the seed and the reading number.
//!
//! Internally demand is signed integer watts and the summations are integer Wh (the EAGLE's
//! usual Multiplier 1 / Divisor 1000), so every value the simulator prints is exact and a test
//! can compare decimals without float noise.

use std::sync::Mutex;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::time::Instant;

use super::profile::Knobs;

/// One meter reading (the meter's state at one push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Reading number since the simulator started (0-based).
    pub tick: u64,
    /// The reading's time, Unix seconds (what `LastContact` shows).
    pub unix: i64,
    /// True demand, signed watts (negative = export).
    pub demand_w: i64,
    /// True CurrentSummationDelivered, Wh.
    pub delivered_wh: u64,
    /// True CurrentSummationReceived, Wh.
    pub received_wh: u64,
}

/// What the simulated EAGLE shows for a reading once the profile's quirks are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presented {
    /// `None` = the InstantaneousDemand `<Value>` is empty (blank-demand quirk).
    pub demand_w: Option<i64>,
    /// Delivered as shown: 0 during a reboot artefact.
    pub delivered_wh: u64,
    /// Whether `delivered_wh` is the reboot artefact rather than the true value.
    pub delivered_reset: bool,
    pub received_wh: u64,
    /// `None` = no price (`invalid`).
    pub price: Option<Decimal>,
}

impl Presented {
    /// Apply the profile's value quirks to a true reading.
    pub(crate) fn new(knobs: &Knobs, snap: &Snapshot) -> Presented {
        let blank = knobs
            .blank_demand_every
            .is_some_and(|n| n > 0 && snap.tick % n == n - 1);
        let reset = knobs
            .summation_reset
            .is_some_and(|r| r.every > 0 && snap.tick % r.every >= r.every.saturating_sub(r.len));
        Presented {
            demand_w: (!blank).then_some(snap.demand_w),
            delivered_wh: if reset { 0 } else { snap.delivered_wh },
            delivered_reset: reset,
            received_wh: snap.received_wh,
            price: knobs.price.map(|p| Decimal::new(p.mantissa, p.digits)),
        }
    }
}

/// The meter model shared by all connections.
#[derive(Debug)]
pub(crate) struct Meter {
    seed: u64,
    export: bool,
    update: Duration,
    /// Meter-clock seconds per reading: `update` rounded, at least 1 so that every reading has
    /// its own `LastContact` (with a sub-second update the meter's clock runs fast).
    /// Rounded to the nearest second.
    step_secs: u64,
    start: Instant,
    base_unix: i64,
    state: Mutex<Accumulated>,
}

/// Summations accumulated up to reading `tick`, in watt-seconds so no energy is lost to
/// rounding between readings.
#[derive(Debug, Clone, Copy)]
struct Accumulated {
    tick: u64,
    delivered_ws: u64,
    received_ws: u64,
}

impl Accumulated {
    /// The seeded counter values the meter starts from.
    fn initial(seed: u64, export: bool) -> Accumulated {
        let delivered_wh = 1_000_000 + mix(seed, u64::MAX) % 99_000_000;
        let received_wh = if export {
            100_000 + mix(seed, u64::MAX - 1) % 4_900_000
        } else {
            0
        };
        Accumulated {
            tick: 0,
            delivered_ws: delivered_wh * 3600,
            received_ws: received_wh * 3600,
        }
    }
}

impl Meter {
    /// A meter that starts now, pushing a reading every `update`.
    pub(crate) fn new(seed: u64, knobs: &Knobs, update: Duration, base_unix: i64) -> Meter {
        // A zero period would make every instant a new reading; a millisecond is plenty fast.
        let update = update.max(Duration::from_millis(1));
        let step_secs = ((update.as_millis() + 500) / 1000).max(1) as u64;
        Meter {
            seed,
            export: knobs.export,
            update,
            step_secs,
            start: Instant::now(),
            base_unix,
            state: Mutex::new(Accumulated::initial(seed, knobs.export)),
        }
    }

    /// The reading the meter last pushed.
    pub(crate) fn now(&self) -> Snapshot {
        let elapsed = Instant::now().saturating_duration_since(self.start);
        let tick = (elapsed.as_nanos() / self.update.as_nanos()) as u64;
        self.at(tick)
    }

    /// Reading number `tick`. Readings only move forward, so the summations are advanced
    /// incrementally; an older tick (a request that raced a newer one) is recomputed.
    pub(crate) fn at(&self, tick: u64) -> Snapshot {
        let mut acc = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let base = if acc.tick <= tick {
            *acc
        } else {
            Accumulated::initial(self.seed, self.export)
        };
        let advanced = self.advance(base, tick);
        if advanced.tick >= acc.tick {
            *acc = advanced;
        }
        Snapshot {
            tick,
            unix: self.base_unix + (tick * self.step_secs) as i64,
            demand_w: self.demand_w(tick),
            delivered_wh: advanced.delivered_ws / 3600,
            received_wh: advanced.received_ws / 3600,
        }
    }

    fn advance(&self, mut acc: Accumulated, tick: u64) -> Accumulated {
        while acc.tick < tick {
            let energy = self.demand_w(acc.tick) * self.step_secs as i64;
            if energy >= 0 {
                acc.delivered_ws += energy as u64;
            } else {
                acc.received_ws += energy.unsigned_abs();
            }
            acc.tick += 1;
        }
        acc
    }

    /// Demand at reading `tick`: a triangle wave over 60 readings plus seeded noise.
    /// Reading 0 sits at the trough, so an export site exports from its first reading on.
    pub(crate) fn demand_w(&self, tick: u64) -> i64 {
        const PERIOD: i64 = 60;
        let (low, high) = if self.export {
            (-4000, 6000)
        } else {
            (250, 3500)
        };
        let half = PERIOD / 2;
        let phase = (tick % PERIOD as u64) as i64;
        let rise = half - (phase - half).abs();
        let base = low + (high - low) * rise / half;
        let noise = (mix(self.seed, tick) % 401) as i64 - 200;
        (base + noise).clamp(low, high)
    }
}

/// A meter `HardwareAddress`: `0x` + 16 lowercase hex digits, from the seed.
pub(crate) fn hardware_address(prefix: u32, seed: u64, salt: u64) -> String {
    format!("0x{prefix:08x}{:08x}", mix(seed, salt) as u32)
}

/// SplitMix64 of the seed and a counter: cheap, deterministic, good enough noise.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    fn meter(profile: Profile, seed: u64) -> Meter {
        Meter::new(
            seed,
            &profile.knobs(),
            Duration::from_secs(4),
            1_700_000_000,
        )
    }

    #[test]
    fn deterministic_from_seed() {
        let (a, b) = (meter(Profile::default(), 7), meter(Profile::default(), 7));
        assert_eq!(a.at(50), b.at(50));
        assert_ne!(a.at(50), meter(Profile::default(), 8).at(50));
    }

    #[test]
    fn summations_accumulate_demand() {
        let m = meter(Profile::default(), 1);
        let (r0, r1) = (m.at(0), m.at(1));
        assert_eq!(r1.unix - r0.unix, 4);
        // Reading 0 holds whole Wh, so reading 1 is exactly 4 s of reading 0's demand later.
        let ws = r0.delivered_wh * 3600 + (r0.demand_w as u64) * 4;
        assert_eq!(r1.delivered_wh, ws / 3600);
        assert_eq!(r1.received_wh, 0);
        // Going back reproduces the same values.
        assert_eq!(m.at(0), r0);
    }

    #[test]
    fn export_site_exports_first_and_stays_in_range() {
        let m = meter(Profile::NegativeExport, 3);
        assert!(m.demand_w(0) < -3000);
        let mut received = m.at(0).received_wh;
        for t in 1..200 {
            let d = m.demand_w(t);
            assert!((-4000..=6000).contains(&d));
            let r = m.at(t).received_wh;
            assert!(r >= received);
            received = r;
        }
        assert!(received > m.at(0).received_wh);
        let consumer = meter(Profile::default(), 3);
        assert!((0..200).all(|t| consumer.demand_w(t) > 0));
    }

    #[test]
    fn quirks_apply_by_reading_number() {
        let m = meter(Profile::SummationReset, 1);
        let knobs = Profile::SummationReset.knobs();
        let resets: Vec<u64> = (0..20)
            .filter(|&t| Presented::new(&knobs, &m.at(t)).delivered_reset)
            .collect();
        assert_eq!(resets, [8, 9, 18, 19]);
        let knobs = Profile::BlankDemand.knobs();
        let blanks: Vec<u64> = (0..9)
            .filter(|&t| Presented::new(&knobs, &m.at(t)).demand_w.is_none())
            .collect();
        assert_eq!(blanks, [3, 7]);
    }

    #[test]
    fn addresses_look_like_the_device() {
        let a = hardware_address(0x0013_5001, 42, 1);
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("0x00135001"));
        assert!(a[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
