//! `simulate` and `profiles`: the EAGLE simulator as a command.

use std::net::SocketAddr;

use super::CommandError;
use crate::daemon::signal_received;
use crate::sim::{self, Profile, SimConfig};

/// Serves the simulated EAGLE on `listen` until SIGTERM/SIGINT.
pub async fn simulate(
    listen: SocketAddr,
    profile: &str,
    cloud_id: String,
    install_code: String,
) -> Result<(), CommandError> {
    let profile = parse_profile(profile)?;
    let config = SimConfig {
        profile,
        cloud_id,
        install_code,
        ..SimConfig::default()
    };
    let handle = sim::start(listen, config).await?;
    println!(
        "simulated EAGLE ({profile}) at http://{}/cgi-bin/post_manager; Ctrl-C stops",
        handle.local_addr()
    );
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
