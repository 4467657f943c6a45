//! The simulated device: configuration, meter, identity and the logs every connection shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::Utc;

use super::fault::Fault;
use super::meter::{hardware_address, mix, Meter, Snapshot};
use super::profile::{Knobs, MeterLayout};
use super::render::MeterView;
use super::served::ServedLog;
use super::stats::Recorder;
use super::variables::{catalogue, VarSpec};
use super::SimConfig;

/// Everything one simulator instance knows.
#[derive(Debug)]
pub(crate) struct SimState {
    pub config: SimConfig,
    pub knobs: Knobs,
    pub meter: Meter,
    pub catalogue: Vec<VarSpec>,
    /// The connected meter (in `not-joined`: the only, unjoined meter).
    pub live_address: String,
    /// The old meter of `stale-meter-first`.
    pub stale_address: String,
    /// The EAGLE's own MAC, `0xd8d5b9` + … + the Cloud ID (its last 6 hex digits).
    pub device_mac: String,
    pub served: ServedLog,
    pub stats: Recorder,
    fault: Mutex<Option<Fault>>,
    /// Authorised requests so far, for the busy profile's deterministic 503 bursts.
    busy_count: AtomicU64,
}

impl SimState {
    pub(crate) fn new(config: SimConfig) -> SimState {
        let knobs = config.profile.knobs();
        let update = config.meter_update.unwrap_or(knobs.meter_update);
        let meter = Meter::new(config.seed, &knobs, update, Utc::now().timestamp());
        let cloud = config.cloud_id.trim().to_ascii_lowercase();
        let mac_tail = if cloud.len() == 6 && cloud.chars().all(|c| c.is_ascii_hexdigit()) {
            cloud
        } else {
            format!("{:06x}", mix(config.seed, 3) & 0xff_ffff)
        };
        SimState {
            catalogue: catalogue(knobs.naming),
            live_address: hardware_address(0x0013_5001, config.seed, 1),
            stale_address: hardware_address(0x0007_8100, config.seed, 2),
            device_mac: format!("0xd8d5b90000{mac_tail}"),
            knobs,
            meter,
            config,
            served: ServedLog::default(),
            stats: Recorder::default(),
            fault: Mutex::new(None),
            busy_count: AtomicU64::new(0),
        }
    }

    pub(crate) fn fault(&self) -> Option<Fault> {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_fault(&self, fault: Option<Fault>) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// Whether this authorised request falls in one of the busy profile's 503 bursts
    /// (the last `burst` of every `every` requests).
    pub(crate) fn busy_now(&self) -> bool {
        let Some(busy) = self.knobs.busy.filter(|b| b.every > 0) else {
            return false;
        };
        let n = self.busy_count.fetch_add(1, Ordering::SeqCst);
        n % busy.every >= busy.every.saturating_sub(busy.burst)
    }

    /// The meters `device_list` shows, in order, for the current reading.
    pub(crate) fn meters(&self, snap: &Snapshot) -> Vec<MeterView> {
        let live = MeterView {
            address: self.live_address.clone(),
            joined: true,
            last_contact: snap.unix,
        };
        match self.knobs.layout {
            MeterLayout::Live => vec![live],
            MeterLayout::StaleFirst => vec![
                MeterView {
                    address: self.stale_address.clone(),
                    joined: false,
                    last_contact: 0,
                },
                live,
            ],
            MeterLayout::NotJoined => vec![MeterView {
                joined: false,
                last_contact: 0,
                ..live
            }],
        }
    }
}
