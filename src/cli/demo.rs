//! `demo`: the simulator and the logger in one process, with a throw-away buffer, printing
//! each reading as it is stored and each object as it is uploaded (one a minute, into a
//! temporary directory standing in for the bucket). No hardware, no config file, no network
//! beyond loopback.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::SecondsFormat;
use rainforest_eagle_sim::{self as sim, Profile, SimConfig};
use tokio::sync::broadcast::{self, error::RecvError};

use super::CommandError;
use crate::clock::{Clock, SystemClock};
use crate::config::{parse_duration, Settings};
use crate::daemon::{signal_received, Daemon, DaemonEvent};
use crate::logger::{Logger, Parts};
use crate::reading::StoredReading;
use crate::upload::{ConfiguredSink, ObjectSink, UploadEvent};

/// Runs the demo until Ctrl-C, or for `duration` (e.g. `"30s"`).
pub async fn demo(profile: &str, duration: Option<&str>) -> Result<(), CommandError> {
    // Before anything slow, as in `run`: a Ctrl-C while starting still stops cleanly.
    let signalled = signal_received();
    let profile: Profile = profile
        .parse()
        .map_err(|e: sim::UnknownProfile| CommandError::Usage(e.to_string()))?;
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
            meter_update: Some(Duration::from_secs(2)),
            ..SimConfig::default()
        },
    )
    .await?;
    let settings = demo_settings(&simulator.base_url(), dir.path())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let daemon = Daemon::from_settings(&settings, Arc::clone(&clock))?;
    let sink = ConfiguredSink::from_settings(&settings.s3);
    let mut parts = Parts::new(settings, daemon, sink, clock);
    // Objects appear a few seconds after each minute, not half a minute later.
    parts.policy.settle = Duration::from_secs(3);
    let logger = Logger::assemble(parts).await?;
    let settings = logger.settings();
    println!(
        "demo: simulated EAGLE ({profile}) at {}, buffer {}",
        settings.eagle.base_url,
        settings.storage.path.display()
    );
    println!(
        "polling every {:?}; one object per minute into {}; Ctrl-C stops\n",
        settings.eagle.poll_interval,
        logger.sink().describe()
    );
    let printer = tokio::spawn(print_progress(logger.events(), logger.uploads()));
    let stop: Pin<Box<dyn Future<Output = ()> + Send>> = match duration {
        Some(limit) => Box::pin(async move {
            tokio::select! {
                _ = tokio::time::sleep(limit) => {}
                _ = signalled => {}
            }
        }),
        None => Box::pin(signalled),
    };
    logger.run(stop).await;
    simulator.shutdown().await;
    let (stored, objects) = printer.await.unwrap_or((0, 0));
    println!(
        "\ndemo stopped: {stored} reading(s) buffered, {objects} object(s) uploaded \
         (the temporary buffer and bucket are removed)"
    );
    Ok(())
}

/// Prints each stored reading and each uploaded object until the poll loop ends; returns how
/// many readings were stored and objects uploaded.
async fn print_progress(
    mut events: broadcast::Receiver<DaemonEvent>,
    mut uploads: broadcast::Receiver<UploadEvent>,
) -> (u64, u64) {
    let (mut stored, mut pending, mut objects) = (0u64, 0u64, 0u64);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(DaemonEvent::Stored(row)) => {
                    stored += 1;
                    pending += 1;
                    println!("{}  (buffer: {pending} pending upload)", describe(&row));
                }
                Ok(DaemonEvent::PollFailed { kind, .. }) => println!("poll failed: {kind}"),
                Ok(DaemonEvent::NoValues) => {
                    println!("the EAGLE answered without values (meter not reporting)")
                }
                Ok(DaemonEvent::StorageFailed { waiting }) => {
                    println!("buffer write failed; {waiting} reading(s) held in memory")
                }
                Ok(DaemonEvent::Repeat) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return (stored, objects),
            },
            upload = uploads.recv() => match upload {
                Ok(UploadEvent::Uploaded(object)) => {
                    objects += 1;
                    pending = pending.saturating_sub(object.newly_uploaded as u64);
                    println!(
                        "  → uploaded {} reading(s), {} bytes: {}",
                        object.rows, object.bytes, object.key
                    );
                }
                Ok(UploadEvent::Failed { message, .. }) => println!("  → upload failed: {message}"),
                Err(_) => {}
            },
        }
    }
}

/// The config the demo runs with: everything local, fast polls, no LED, clock trusted.
fn demo_settings(eagle: &str, dir: &Path) -> Result<Settings, CommandError> {
    let text = format!(
        r#"
[household]
id = "demo"

[eagle]
host = "{eagle}"
cloud_id = "{cloud_id}"
install_code = "{install_code}"
poll_interval = "2s"
timeout = "5s"

[storage]
path = '{db}'

[s3]
endpoint = 'file://{bucket}'
batch_period = "1m"
fleet_spread = "0s"

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
