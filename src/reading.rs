//! The data model shared by every stage: one distinct meter reading (docs/design.md §2).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// One distinct meter reading as the logger records it.
///
/// Values are exact decimals as the EAGLE reported them (after fixing the unsigned wrap of
/// negative demand); `None` means the EAGLE did not report a usable value, and the field is
/// omitted downstream rather than stored as a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The meter's HardwareAddress (`0x` + 16 lowercase hex digits) or legacy MeterMacId.
    pub meter: String,
    /// When the logger took the reading, by the Pi's clock (see [`ClockStamp`]).
    pub time: DateTime<Utc>,
    /// The EAGLE's own timestamp for the reading (`LastContact` or legacy `TimeStamp`).
    pub meter_time: Option<DateTime<Utc>>,
    /// Instantaneous demand in kW; negative means export.
    pub demand_kw: Option<Decimal>,
    /// CurrentSummationDelivered in kWh.
    pub delivered_kwh: Option<Decimal>,
    /// CurrentSummationReceived in kWh.
    pub received_kwh: Option<Decimal>,
    /// Price per kWh, when the meter publishes one.
    pub price: Option<Decimal>,
    /// ISO 4217 currency code, when known.
    pub currency: Option<String>,
    /// Tariff label, when known.
    pub rate_label: Option<String>,
    /// Price tier, when known.
    pub tier: Option<i64>,
    /// The state of the Pi's clock when the reading was taken (docs/design.md §6).
    pub clock: ClockStamp,
}

/// What the logger knew about its own clock when it took a reading.
///
/// A Pi has no real-time clock: until NTP syncs, `time` may be far off. The boot id and the
/// boot-relative monotonic time let a later stage correct `time` once the clock syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStamp {
    /// Whether the system clock was synchronized (NTP) at the time of the reading.
    pub synced: bool,
    /// The kernel's boot id (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// Milliseconds since boot (`CLOCK_BOOTTIME`, which keeps counting across suspend).
    pub monotonic_ms: u64,
}

/// A reading as held in the local buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReading {
    /// Strictly increasing sequence number, never reused (the SQLite rowid).
    pub seq: i64,
    /// The reading itself.
    pub reading: Reading,
    /// Whether S3 (or the directory target) has confirmed an object holding this row.
    pub uploaded: bool,
}

/// Readings for the library's unit tests.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reading of `meter` taken at `time` (clock synced, boot `b`, 1 ms after boot) with no
    /// meter time and no value: what a test fills in with struct-update syntax,
    /// `Reading { demand_kw: .., ..empty_reading(meter, time) }`.
    pub(crate) fn empty_reading(meter: &str, time: DateTime<Utc>) -> Reading {
        Reading {
            meter: meter.into(),
            time,
            meter_time: None,
            demand_kw: None,
            delivered_kwh: None,
            received_kwh: None,
            price: None,
            currency: None,
            rate_label: None,
            tier: None,
            clock: ClockStamp {
                synced: true,
                boot_id: "b".into(),
                monotonic_ms: 1,
            },
        }
    }

    /// `reading` as buffered under `seq`, not yet uploaded.
    pub(crate) fn pending(seq: i64, reading: Reading) -> StoredReading {
        StoredReading {
            seq,
            reading,
            uploaded: false,
        }
    }
}
