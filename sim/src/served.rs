//! The log of readings the simulator has served: the ground truth a test compares a client's
//! stored rows against.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::meter::{Presented, Snapshot};

/// One distinct meter reading as served, with the *true* values a correct client should store.
///
/// A reading is logged once, the first time a reply carries it with its values: a
/// `device_query` of the connected meter (any selection of variables), or a legacy
/// `get_instantaneous_demand` / `get_current_summation` / `get_price`. A `device_list`
/// showing the same `LastContact` does not count, nor does a reply spoiled by a body fault
/// (`EmptyBody`, `Truncated`, `Garbage`, `NoComponents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedReading {
    /// The meter's HardwareAddress (legacy: MeterMacId).
    pub hardware_address: String,
    /// `LastContact` (legacy: `TimeStamp`, converted from the 2000 epoch).
    pub meter_time: DateTime<Utc>,
    /// True signed demand in kW, even when the sim served it as the unsigned wrap or blank.
    pub demand_kw: Decimal,
    /// The InstantaneousDemand `<Value>` was served empty (blank-demand quirk); a correct
    /// client stores no demand for this reading.
    pub demand_blank: bool,
    /// CurrentSummationDelivered in kWh; `None` when the sim served the reboot artefact 0.
    pub delivered_kwh: Option<Decimal>,
    /// CurrentSummationReceived in kWh.
    pub received_kwh: Decimal,
    /// Price per kWh; `None` when the sim served `invalid`.
    pub price: Option<Decimal>,
}

impl ServedReading {
    /// The EAGLE-200 reading for `snap` as shown with `shown`'s quirks.
    pub(crate) fn eagle200(address: &str, snap: &Snapshot, shown: &Presented) -> ServedReading {
        ServedReading {
            hardware_address: address.to_string(),
            meter_time: ServedReading::time(snap.unix),
            demand_kw: Decimal::new(snap.demand_w, 3),
            demand_blank: shown.demand_w.is_none(),
            delivered_kwh: (!shown.delivered_reset)
                .then(|| Decimal::new(snap.delivered_wh as i64, 3)),
            received_kwh: Decimal::new(snap.received_wh as i64, 3),
            price: shown.price,
        }
    }

    /// Unix seconds as a UTC time.
    pub(crate) fn time(unix: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix, 0).unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// Readings keyed by reading number, so concurrent requests that race still log each reading
/// once and in meter order.
#[derive(Debug, Default)]
pub(crate) struct ServedLog {
    readings: Mutex<BTreeMap<u64, ServedReading>>,
}

impl ServedLog {
    /// Log reading `tick` unless it was already served.
    pub(crate) fn record(&self, tick: u64, reading: impl FnOnce() -> ServedReading) {
        let mut log = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        log.entry(tick).or_insert_with(reading);
    }

    /// Every reading served so far, oldest first.
    pub(crate) fn all(&self) -> Vec<ServedReading> {
        let log = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        log.values().cloned().collect()
    }
}
