//! The stateful EAGLE poller: API detection, meter choice, one query per poll.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::certificate::{Fingerprint, PinSource};
use super::device_list::{parse_device_list, select_meter, DeviceEntry};
use super::device_query::parse_device_query;
use super::error::{EagleError, EMPTY_BODY};
use super::legacy::{self, LegacyPrice};
use super::request::{self, LegacyCommand};
use super::sample::{Anomaly, MeterSample};
use super::transport::Transport;
use super::value::check_demand;
use crate::config::{ApiKind, EagleSettings};

/// `device_list` is asked at start-up and then this often, to notice a meter swap; sooner when
/// the chosen meter stops answering.
pub const RELIST_EVERY: Duration = Duration::from_secs(3600);

/// The API generation in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// EAGLE-200 / EAGLE 3 XML API.
    Eagle200,
    /// Legacy RFA-Z109 JSON API.
    Legacy,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Eagle200 => "EAGLE-200/EAGLE 3",
            Api::Legacy => "legacy RFA-Z109",
        })
    }
}

/// One EAGLE gateway. Requests are sequential by construction (`&mut self`), so there is never
/// more than one in flight to the device.
#[derive(Debug)]
pub struct Eagle {
    transport: Transport,
    configured_api: ApiKind,
    api: Option<Api>,
    configured_meter: Option<String>,
    meter: Option<String>,
    listed_at: Option<Instant>,
    /// The latest device list (EAGLE-200/3), for `probe` to print without asking again.
    devices: Vec<DeviceEntry>,
    /// The certificate fingerprint kept in the buffer (as far as this process knows).
    remembered: Option<Fingerprint>,
}

impl Eagle {
    /// An EAGLE as configured, with no certificate kept from an earlier run; nothing is sent
    /// yet.
    pub fn new(settings: &EagleSettings) -> Result<Eagle, EagleError> {
        Eagle::remembering(settings, None)
    }

    /// An EAGLE as configured whose https certificate an earlier run kept in the buffer
    /// (`eagle.certificate_sha256`, when set, wins over it).
    pub fn remembering(
        settings: &EagleSettings,
        remembered: Option<Fingerprint>,
    ) -> Result<Eagle, EagleError> {
        Ok(Eagle {
            transport: Transport::new(settings, remembered)?,
            configured_api: settings.api,
            api: match settings.api {
                ApiKind::Auto => None,
                ApiKind::Eagle200 => Some(Api::Eagle200),
                ApiKind::Legacy => Some(Api::Legacy),
            },
            configured_meter: settings.meter.clone(),
            meter: None,
            listed_at: None,
            devices: Vec::new(),
            remembered,
        })
    }

    /// The https certificate accepted (or expected) and where its fingerprint came from.
    pub fn certificate(&self) -> Option<(Fingerprint, PinSource)> {
        self.transport.certificate()
    }

    /// The URL requests go to now (https after an http → https redirect).
    pub fn url(&self) -> String {
        self.transport.url()
    }

    /// A fingerprint that a handshake has accepted and that the buffer does not hold yet
    /// (trusted on first use, or newly set in `eagle.certificate_sha256`): the caller keeps it
    /// in the buffer, after a successful poll. Returned once.
    pub fn newly_trusted(&mut self) -> Option<Fingerprint> {
        let accepted = self.transport.accepted_certificate()?;
        if self.remembered == Some(accepted) {
            return None;
        }
        self.remembered = Some(accepted);
        Some(accepted)
    }

    /// The API detected (or configured), once known.
    pub fn api(&self) -> Option<Api> {
        self.api
    }

    /// The devices the EAGLE-200/3 listed last (empty before the first list, and for the
    /// legacy API).
    pub fn devices(&self) -> &[DeviceEntry] {
        &self.devices
    }

    /// The meter being polled, once chosen.
    pub fn meter(&self) -> Option<&str> {
        self.meter.as_deref()
    }

    /// Reads the meter once.
    pub async fn poll(&mut self) -> Result<MeterSample, EagleError> {
        match self.detect().await? {
            Api::Eagle200 => self.poll_eagle200().await,
            Api::Legacy => self.poll_legacy().await,
        }
    }

    /// Asks the EAGLE-200/3 for its device list.
    pub async fn device_list(&self) -> Result<Vec<DeviceEntry>, EagleError> {
        let body = self.transport.post(request::device_list()).await?;
        parse_device_list(&body)
    }

    /// Works out which API the device speaks, once; a failure leaves it undecided so the next
    /// poll tries again.
    async fn detect(&mut self) -> Result<Api, EagleError> {
        if let Some(api) = self.api {
            return Ok(api);
        }
        let api = match self.device_list().await {
            Ok(devices) => {
                self.choose_meter(devices)?;
                Api::Eagle200
            }
            Err(e) if !answered_but_not_understood(&e) => return Err(e),
            Err(_) => {
                let body = self
                    .transport
                    .post(request::legacy(LegacyCommand::InstantaneousDemand))
                    .await;
                match body.and_then(|b| legacy::parse_demand(&b)) {
                    Ok(_) => Api::Legacy,
                    Err(e) if !answered_but_not_understood(&e) => return Err(e),
                    Err(_) => {
                        return Err(EagleError::UnknownApi {
                            url: self.transport.url(),
                        })
                    }
                }
            }
        };
        log::info!(
            "the device at {} speaks the {api} API (eagle.api = {:?})",
            self.transport.url(),
            self.configured_api
        );
        self.api = Some(api);
        Ok(api)
    }

    async fn poll_eagle200(&mut self) -> Result<MeterSample, EagleError> {
        let stale = self.listed_at.is_none_or(|at| at.elapsed() >= RELIST_EVERY);
        if self.meter.is_none() || stale {
            let devices = self.device_list().await?;
            self.choose_meter(devices)?;
        }
        let meter = self.meter.clone().unwrap_or_default();
        let reply = self.transport.post(request::device_query_all(&meter)).await;
        let result = reply.and_then(|body| parse_device_query(&body));
        if let Err(e) = &result {
            if e.is_meter_offline() || matches!(e, EagleError::Status(400..=499)) {
                // The meter may have been swapped: look at the list again next time.
                self.listed_at = None;
            }
        }
        result
    }

    fn choose_meter(&mut self, devices: Vec<DeviceEntry>) -> Result<(), EagleError> {
        self.devices = devices;
        let devices = &self.devices;
        let chosen = select_meter(devices, self.configured_meter.as_deref());
        self.listed_at = Some(Instant::now());
        let chosen = chosen?.hardware_address.clone();
        if self.meter.as_deref() != Some(chosen.as_str()) {
            log::info!(
                "polling meter {chosen} ({} device(s) listed)",
                devices.len()
            );
            self.meter = Some(chosen);
        }
        Ok(())
    }

    async fn poll_legacy(&mut self) -> Result<MeterSample, EagleError> {
        let demand = legacy::parse_demand(&self.legacy(LegacyCommand::InstantaneousDemand).await?)?;
        if let Some(wanted) = &self.configured_meter {
            if !demand.meter.eq_ignore_ascii_case(wanted) {
                return Err(EagleError::MeterNotListed(wanted.clone()));
            }
        }
        let Some(meter_time) = demand.time else {
            return Err(EagleError::MeterNotJoined {
                meter: demand.meter,
                status: "no TimeStamp".into(),
            });
        };
        self.meter = Some(demand.meter.clone());
        let summation =
            legacy::parse_summation(&self.legacy(LegacyCommand::CurrentSummation).await?)?;
        let mut anomalies = Vec::new();
        // A price the EAGLE cannot give is not a reason to lose the reading.
        let price = match legacy::parse_price(&self.legacy(LegacyCommand::Price).await?) {
            Ok(mut price) => {
                anomalies.append(&mut price.anomalies);
                price
            }
            Err(e) => {
                anomalies.push(Anomaly::Unparseable {
                    variable: LegacyCommand::Price.name().to_string(),
                    text: e.to_string(),
                });
                LegacyPrice::default()
            }
        };
        Ok(MeterSample {
            meter: demand.meter,
            meter_time,
            demand_kw: check_demand(demand.demand_kw, "Demand", &mut anomalies),
            delivered_kwh: Some(summation.delivered_kwh),
            received_kwh: Some(summation.received_kwh),
            price: price.price,
            currency: price.currency,
            rate_label: price.rate_label,
            tier: price.tier,
            anomalies,
        })
    }

    async fn legacy(&self, command: LegacyCommand) -> Result<String, EagleError> {
        self.transport.post(request::legacy(command)).await
    }
}

/// The device answered, but not in the form asked for: a sign of the other API generation
/// (as opposed to being unreachable, busy, refusing the credentials, or sending a blank reply,
/// which busy EAGLEs of both generations do).
fn answered_but_not_understood(error: &EagleError) -> bool {
    match error {
        EagleError::Status(400..=499) => true,
        EagleError::Malformed { kind, .. } => *kind != EMPTY_BODY,
        _ => false,
    }
}
