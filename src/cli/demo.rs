//! `demo`: the simulator and the logger in one process, with a throw-away buffer, printing
//! each reading as it is stored. No hardware, no config file, no network beyond loopback.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use chrono::SecondsFormat;
use tokio::sync::broadcast::error::RecvError;

use super::simulate::parse_profile;
use super::CommandError;
use crate::clock::SystemClock;
use crate::config::{parse_duration, Settings};
use crate::daemon::{signal_received, Daemon, DaemonEvent};
use crate::reading::StoredReading;
use crate::sim::{self, SimConfig};

/// Runs the demo until Ctrl-C, or for `duration` (e.g. `"30s"`).
pub async fn demo(profile: &str, duration: Option<&str>) -> Result<(), CommandError> {
    let profile = parse_profile(profile)?;
    let duration = duration
        .map(parse_duration)
        .transpose()
        .map_err(|e| CommandError::Usage(format!("--duration: {e}")))?;
    let dir = tempfile::tempdir()?;
    let simulator = sim::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimConfig {
            profile,
            // A new reading every poll keeps the demo lively.
            meter_update: Some(std::time::Duration::from_secs(2)),
            ..SimConfig::default()
        },
    )
    .await?;
    let settings = demo_settings(simulator.local_addr(), dir.path())?;
    let daemon = Daemon::from_settings(&settings, Arc::new(SystemClock::new()))?;
    let mut events = daemon.subscribe();
    println!(
        "demo: simulated EAGLE ({profile}) at {}, buffer {}",
        settings.eagle.base_url,
        settings.storage.path.display()
    );
    println!(
        "polling every {:?}; Ctrl-C stops\n",
        settings.eagle.poll_interval
    );
    let printer = tokio::spawn(async move {
        let mut stored = 0u64;
        loop {
            match events.recv().await {
                Ok(DaemonEvent::Stored(row)) => {
                    stored += 1;
                    println!("{}  (buffer: {stored} pending upload)", describe(&row));
                }
                Ok(DaemonEvent::PollFailed { kind, .. }) => println!("poll failed: {kind}"),
                Ok(DaemonEvent::StorageFailed { waiting }) => {
                    println!("buffer write failed; {waiting} reading(s) held in memory")
                }
                Ok(DaemonEvent::Repeat) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break stored,
            }
        }
    });
    let stop: Pin<Box<dyn Future<Output = ()> + Send>> = match duration {
        Some(limit) => Box::pin(async move {
            tokio::select! {
                _ = tokio::time::sleep(limit) => {}
                _ = signal_received() => {}
            }
        }),
        None => Box::pin(signal_received()),
    };
    daemon.run(stop).await;
    simulator.shutdown().await;
    let stored = printer.await.unwrap_or(0);
    println!("\ndemo stopped: {stored} reading(s) were buffered (the temporary buffer is removed)");
    Ok(())
}

/// The config the demo runs with: everything local, fast polls, no LED, clock trusted.
fn demo_settings(eagle: SocketAddr, dir: &Path) -> Result<Settings, CommandError> {
    let text = format!(
        r#"
[household]
id = "demo"

[eagle]
host = "http://{eagle}"
cloud_id = "{cloud_id}"
install_code = "{install_code}"
poll_interval = "2s"
timeout = "5s"

[storage]
path = '{db}'

[s3]
endpoint = 'file://{bucket}'
batch_period = "1m"

[led]
backend = "none"

[clock]
require_sync = false
"#,
        cloud_id = SimConfig::default().cloud_id,
        install_code = SimConfig::default().install_code,
        db = dir.join("readings.db").display(),
        bucket = dir.join("bucket").display(),
    );
    Ok(Settings::from_toml_str(
        &text,
        Path::new("(demo)"),
        &|_| None,
    )?)
}

/// One line per stored reading.
fn describe(row: &StoredReading) -> String {
    let r = &row.reading;
    let value = |v: Option<rust_decimal::Decimal>, unit: &str| {
        v.map_or_else(|| "—".to_string(), |v| format!("{v} {unit}"))
    };
    format!(
        "seq {:>4}  {}  demand {:>10}  delivered {:>14}  received {:>12}  price {}",
        row.seq,
        r.time.to_rfc3339_opts(SecondsFormat::Millis, true),
        value(r.demand_kw, "kW"),
        value(r.delivered_kwh, "kWh"),
        value(r.received_kwh, "kWh"),
        r.price.map_or_else(
            || "—".to_string(),
            |p| format!("{p} {}", r.currency.as_deref().unwrap_or(""))
        ),
    )
}
