//! `simulate` and `profiles`: the EAGLE simulator as a command.

use std::net::SocketAddr;

use super::CommandError;
use crate::daemon::signal_received;
use crate::sim::{self, Profile, SimConfig};

/// Serves the simulated EAGLE on `listen` until SIGTERM/SIGINT.
pub async fn simulate(listen: SocketAddr, config: SimConfig) -> Result<(), CommandError> {
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
    signal_received().await;
    handle.shutdown().await;
    Ok(())
}

/// Prints every profile with its one-line description.
pub fn list_profiles() {
    for profile in Profile::ALL {
        println!("{:<20} {}", profile.to_string(), profile.description());
    }
}

/// A profile by name, or a usage error listing the names.
pub fn parse_profile(name: &str) -> Result<Profile, CommandError> {
    name.parse().map_err(|_| {
        let names: Vec<String> = Profile::ALL.iter().map(ToString::to_string).collect();
        CommandError::Usage(format!(
            "unknown simulator profile {name:?}; choose one of: {}",
            names.join(", ")
        ))
    })
}
