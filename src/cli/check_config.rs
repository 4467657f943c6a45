//! `check-config`: validate the file and say what it will do.

use std::path::Path;

use super::{load_settings, CommandError};
use crate::config::Endpoint;
use crate::upload::S3Sink;

/// Prints a summary of a valid config, or returns the error listing every problem.
pub fn check_config(explicit: Option<&Path>) -> Result<(), CommandError> {
    let settings = load_settings(explicit)?;
    let target = match &settings.s3.endpoint {
        Endpoint::Aws => format!("s3://{} ({})", settings.s3.bucket, settings.s3.region),
        Endpoint::Custom(url) => format!("{url} bucket {}", settings.s3.bucket),
        Endpoint::Directory(dir) => format!("directory {}", dir.display()),
    };
    println!("{}: OK", settings.source.display());
    println!("  household   {}", settings.household.id);
    println!(
        "  EAGLE       {} (cloud_id {}, api {:?})",
        settings.eagle.base_url, settings.eagle.cloud_id, settings.eagle.api
    );
    println!(
        "  meter       {}",
        settings
            .eagle
            .meter
            .as_deref()
            .unwrap_or("the joined electric meter")
    );
    if let Some(pin) = settings.eagle.certificate_sha256 {
        println!("  https pin   certificate SHA-256 {pin}");
    }
    println!("  poll every  {:?}", settings.eagle.poll_interval);
    println!("  buffer      {}", settings.storage.path.display());
    println!(
        "  upload to   {target}, every {:?}",
        settings.s3.batch_period
    );
    // What `provision` will set up at boot; the passphrase is never shown.
    match &settings.wifi {
        Some(wifi) => println!(
            "  Wi-Fi       network {:?} (country {})",
            wifi.ssid, wifi.country
        ),
        None => println!("  Wi-Fi       off (Ethernet only)"),
    }
    println!(
        "  SSH         {} authorized key(s)",
        settings.ssh.authorized_keys.len()
    );
    // Only an image built with the program's repository updates itself (README).
    println!("  updates     {}", settings.update.channel.name());
    // Accepted (a local MinIO, a test server), but said: the file is otherwise valid.
    if let Some(warning) = S3Sink::plaintext_warning(&settings.s3) {
        println!("warning: {warning}");
    }
    Ok(())
}
