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
    /// Meters replaced so far by [`SimState::swap_meter`]; the connected one is the next.
    swaps: AtomicU64,
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
            swaps: AtomicU64::new(0),
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

    /// The connected meter's HardwareAddress (in `not-joined`: the only, unjoined meter).
    pub(crate) fn live_address(&self) -> String {
        meter_address(self.config.seed, self.swaps.load(Ordering::SeqCst))
    }

    /// The utility replaces the meter: a new HardwareAddress goes on with the same readings,
    /// and the old one stays listed, `Not joined`, as the EAGLE keeps it. Returns the new
    /// address.
    pub(crate) fn swap_meter(&self) -> String {
        meter_address(
            self.config.seed,
            self.swaps.fetch_add(1, Ordering::SeqCst) + 1,
        )
    }

    /// The meters `device_list` shows, in order, for the current reading under `fault`.
    pub(crate) fn meters(&self, snap: &Snapshot, fault: Option<Fault>) -> Vec<MeterView> {
        let dropped_out = fault == Some(Fault::MeterNotJoined);
        let live = MeterView {
            address: self.live_address(),
            joined: !dropped_out,
            last_contact: if dropped_out { 0 } else { snap.unix },
        };
        let swaps = self.swaps.load(Ordering::SeqCst);
        let replaced = (swaps > 0).then(|| MeterView {
            address: meter_address(self.config.seed, swaps - 1),
            joined: false,
            last_contact: 0,
        });
        replaced.into_iter().chain(self.layout(live)).collect()
    }

    /// The profile's meter layout around the connected meter.
    fn layout(&self, live: MeterView) -> Vec<MeterView> {
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

/// The HardwareAddress of the meter installed after `swaps` replacements (0: the original).
fn meter_address(seed: u64, swaps: u64) -> String {
    // Salt 2 is the stale meter's; replacements take 3, 4, ….
    let salt = if swaps == 0 { 1 } else { swaps + 2 };
    hardware_address(0x0013_5001, seed, salt)
}
