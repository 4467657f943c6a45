//! `probe`: one read of the EAGLE, printed for a person (proves credentials and meter before a
//! box is posted to a household).

use std::path::Path;

use super::{load_settings, CommandError};
use crate::eagle::{Api, Eagle, MeterSample};

/// Reads the meter once and prints the device list (EAGLE-200/3) and the values.
pub async fn probe(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let mut eagle = Eagle::new(&settings.eagle)?;
    println!(
        "EAGLE    {} (cloud_id {})",
        settings.eagle.base_url, settings.eagle.cloud_id
    );
    let sample = eagle.poll().await?;
    if let Some(api) = eagle.api() {
        println!("API      {api}");
    }
    if eagle.api() == Some(Api::Eagle200) {
        let devices = eagle.device_list().await?;
        println!(
            "\n{:<20} {:<16} {:<12} {:<20}",
            "device", "model", "status", "last contact"
        );
        for device in &devices {
            let contact = device
                .last_contact
                .map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
            println!(
                "{:<20} {:<16} {:<12} {:<20}{}",
                device.hardware_address,
                device.model_id,
                device.connection_status,
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

fn print_sample(sample: &MeterSample) {
    let show = |value: Option<String>| value.unwrap_or_else(|| "—".to_string());
    println!("\nmeter            {}", sample.meter);
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
        sample.currency.as_deref().unwrap_or("")
    );
    println!("rate label       {}", show(sample.rate_label.clone()));
    println!(
        "tier             {}",
        show(sample.tier.map(|t| t.to_string()))
    );
    for anomaly in &sample.anomalies {
        println!("warning          {anomaly}");
    }
}
