//! `probe`: one read of the EAGLE, printed for a person (proves credentials and meter before a
//! box is posted to a household).
//!
//! A busy EAGLE answers 503 or a blank reply now and then, which the daemon shrugs off at the
//! next poll; so `probe` tries again for about [`PATIENCE`] before it gives up, and prints
//! what it met on the way. Everything the EAGLE supplies is printed through
//! [`terminal::sanitize`].

use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::{load_settings, CommandError};
use crate::eagle::{Eagle, EagleError, Fingerprint, MeterSample, PinSource};
use crate::store::Store;
use crate::terminal::sanitize;

/// How long `probe` keeps trying through transient failures.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The pause between two tries.
const PAUSE: Duration = Duration::from_secs(2);

/// Reads the meter once and prints the API, the certificate (https), the device list
/// (EAGLE-200/3) and the values.
pub async fn probe(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let remembered = kept_certificate(&settings.storage.path);
    let mut eagle = Eagle::remembering(&settings.eagle, remembered)?;
    println!(
        "EAGLE    {} (cloud_id {})",
        settings.eagle.base_url, settings.eagle.cloud_id
    );
    // A refused certificate is named, with the expected one, by the error itself.
    let sample = poll_patiently(&mut eagle).await?;
    if !eagle.url().starts_with(&settings.eagle.base_url) {
        println!("polled   {}", eagle.url());
    }
    if eagle.url().starts_with("https://") {
        print_certificate(&eagle, &settings.storage.path);
    }
    if let Some(api) = eagle.api() {
        println!("API      {api}");
    }
    if !eagle.devices().is_empty() {
        println!(
            "\n{:<20} {:<16} {:<12} {:<20}",
            "device", "model", "status", "last contact"
        );
        for device in eagle.devices() {
            let contact = device
                .last_contact
                .map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
            println!(
                "{:<20} {:<16} {:<12} {:<20}{}",
                sanitize(&device.hardware_address),
                sanitize(&device.model_id),
                sanitize(&device.connection_status),
                contact,
                if eagle.meter() == Some(device.hardware_address.as_str()) {
                    "  ← polled"
                } else {
                    ""
                }
            );
        }
    }
    print_sample(&sample);
    Ok(())
}

/// The fingerprint a running logger kept in the buffer, if the buffer exists and can be read
/// (probe never creates one).
fn kept_certificate(path: &Path) -> Option<Fingerprint> {
    if !path.exists() {
        return None;
    }
    match Store::open(path).and_then(|store| store.eagle_certificate()) {
        Ok(kept) => kept,
        Err(e) => {
            println!("note     the certificate kept in the buffer is not checked: {e}");
            None
        }
    }
}

/// Polls until a reading comes, a failure that will not pass by itself, or [`PATIENCE`].
async fn poll_patiently(eagle: &mut Eagle) -> Result<MeterSample, EagleError> {
    let started = Instant::now();
    let deadline = started + PATIENCE;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match eagle.poll().await {
            Ok(sample) => return Ok(sample),
            Err(e) if e.is_transient() && Instant::now() + PAUSE < deadline => {
                println!(
                    "met      {} (trying again for up to {}s)",
                    sanitize(&e.to_string()),
                    deadline.saturating_duration_since(Instant::now()).as_secs()
                );
                tokio::time::sleep(PAUSE).await;
            }
            Err(e) => {
                if attempt > 1 {
                    println!(
                        "gave up  after {attempt} tries in {}s",
                        started.elapsed().as_secs()
                    );
                }
                return Err(e);
            }
        }
    }
}

fn print_certificate(eagle: &Eagle, buffer: &Path) {
    let Some((fingerprint, pinned_by)) = eagle.certificate() else {
        return;
    };
    let how = match pinned_by {
        PinSource::Config => "matches eagle.certificate_sha256".to_string(),
        PinSource::Buffer => format!("matches the one kept in {}", buffer.display()),
        PinSource::FirstUse => format!(
            "newly trusted: `run` keeps it in the buffer at its first poll; to pin it now, set \
             eagle.certificate_sha256 = \"{fingerprint}\""
        ),
    };
    println!("certificate SHA-256 {fingerprint} ({how})");
}

fn print_sample(sample: &MeterSample) {
    let show = |value: Option<String>| value.unwrap_or_else(|| "—".to_string());
    println!("\nmeter            {}", sanitize(&sample.meter));
    println!("meter time       {}", sample.meter_time.to_rfc3339());
    println!(
        "demand           {} kW",
        show(sample.demand_kw.map(|v| v.to_string()))
    );
    println!(
        "delivered        {} kWh",
        show(sample.delivered_kwh.map(|v| v.to_string()))
    );
    println!(
        "received         {} kWh",
        show(sample.received_kwh.map(|v| v.to_string()))
    );
    println!(
        "price            {} {}",
        show(sample.price.map(|v| v.to_string())),
        sanitize(sample.currency.as_deref().unwrap_or(""))
    );
    println!(
        "rate label       {}",
        show(
            sample
                .rate_label
                .as_deref()
                .map(|l| sanitize(l).into_owned())
        )
    );
    println!(
        "tier             {}",
        show(sample.tier.map(|t| t.to_string()))
    );
    for anomaly in &sample.anomalies {
        println!("warning          {}", sanitize(&anomaly.to_string()));
    }
}
