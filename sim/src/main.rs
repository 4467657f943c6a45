//! The `rainforest-eagle-sim` binary: `simulate` serves one simulated EAGLE until SIGTERM or
//! Ctrl-C; `profiles` lists the firmware profiles. The benches and the SD image's boot test
//! run it; the tests and `rainforest-logger demo` use the library in-process instead.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rainforest_eagle_sim::{self as sim, Profile, SimConfig};
use tokio::signal::unix::{signal, SignalKind};

/// A simulated Rainforest EAGLE for testing rainforest-logger.
#[derive(Debug, Parser)]
#[command(name = "rainforest-eagle-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the EAGLE simulator (for development and tests).
    Simulate {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: SocketAddr,
        /// Firmware profile (see `profiles`).
        #[arg(long, default_value = "eagle200-2019")]
        profile: Profile,
        /// Cloud ID the simulator accepts.
        #[arg(long, default_value = "0123ab")]
        cloud_id: String,
        /// Install Code the simulator accepts.
        #[arg(long, default_value = "0123456789abcdef")]
        install_code: String,
        /// How often the simulated meter reports a new reading (e.g. "500ms", "2s"); default:
        /// the profile's own (4 s, 10 s for legacy).
        #[arg(long, value_parser = parse_period)]
        meter_update: Option<Duration>,
    },
    /// List the simulator's firmware profiles.
    Profiles,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    match cli.command {
        Command::Profiles => {
            for profile in Profile::ALL {
                println!("{:<20} {}", profile.to_string(), profile.description());
            }
            ExitCode::SUCCESS
        }
        Command::Simulate {
            listen,
            profile,
            cloud_id,
            install_code,
            meter_update,
        } => {
            let config = SimConfig {
                profile,
                cloud_id,
                install_code,
                meter_update,
                ..SimConfig::default()
            };
            let served = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .and_then(|runtime| runtime.block_on(simulate(listen, config)));
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot serve the simulated EAGLE on {listen}: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Serves the simulated EAGLE on `listen` until SIGTERM/SIGINT.
async fn simulate(listen: SocketAddr, config: SimConfig) -> std::io::Result<()> {
    let (mut term, mut int) = (
        signal(SignalKind::terminate())?,
        signal(SignalKind::interrupt())?,
    );
    let (profile, cloud_id) = (config.profile, config.cloud_id.clone());
    let handle = sim::start(listen, config).await?;
    println!(
        "simulated EAGLE ({profile}: {}) at {}, cloud_id {cloud_id}; Ctrl-C stops",
        profile.description(),
        handle.url()
    );
    if let Some(https) = handle.https_addr().filter(|a| *a != handle.local_addr()) {
        println!("https side at https://{https}");
    }
    if let Some(fingerprint) = handle.certificate_sha256() {
        println!("certificate SHA-256 {fingerprint} (self-signed, new at every start)");
    }
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    handle.shutdown().await;
    Ok(())
}

/// Parses `--meter-update`: an integer followed by `ms`, `s` or `min` (the units of the
/// logger's config durations that make sense for a meter's period).
fn parse_period(text: &str) -> Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a period like \"500ms\", \"2s\" or \"1min\""))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "min" => number
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("{text:?} is too long")),
        _ => Err(format!(
            "{text:?} has no unit; write e.g. \"500ms\", \"2s\" or \"1min\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_take_the_config_units() {
        assert_eq!(parse_period("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_period("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_period("1min"), Ok(Duration::from_secs(60)));
        for bad in ["2", "s", "", "2 s", "-1s", "2h", "99999999999999999999s"] {
            assert!(parse_period(bad).is_err(), "{bad:?} accepted");
        }
    }
}
