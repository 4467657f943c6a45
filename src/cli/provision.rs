//! `provision`: write the Pi's host name, Wi-Fi and SSH keys from the config file (run as
//! root at every boot by the SD image's oneshot unit).

use std::path::Path;

use super::{config_path, CommandError};
use crate::config;
use crate::provision::{self, Outcome};

/// Applies every valid part under `root` and prints one line per part that changed, then
/// one line naming the parts already in place. Every config problem is listed (exit 1) and
/// every write that failed (exit 2), after the other parts were applied.
pub fn provision(explicit: Option<&Path>, root: &Path) -> Result<(), CommandError> {
    // A file that is missing, unreadable or not TOML applies nothing: exit 1 here.
    let system = config::load_system(&config_path(explicit)?)?;
    let report = provision::apply(&system, root);
    let mut unchanged = Vec::new();
    let mut failures = Vec::new();
    for (name, outcome) in report.into_parts() {
        match outcome {
            Outcome::Applied(applied) if applied.changed => {
                println!("{name}: {}", applied.summary)
            }
            Outcome::Applied(_) => unchanged.push(name),
            Outcome::Invalid => println!("{name}: left as it was (config problems below)"),
            Outcome::Held => {
                println!("{name}: left as it was (the file has unknown sections or keys, below)")
            }
            Outcome::Failed(error) => {
                println!("{name}: failed (below)");
                failures.push(error);
            }
        }
    }
    if !unchanged.is_empty() {
        println!("unchanged: {}", unchanged.join(", "));
    }
    let problems = system.problems();
    match (problems, failures.pop()) {
        (None, None) => Ok(()),
        (Some(problems), None) => Err(CommandError::Config(problems)),
        (problems, Some(last)) => {
            // A failed write outweighs config problems (exit 2). One error goes back to main,
            // which prints it; the others are printed here in the same form.
            if let Some(problems) = problems {
                eprintln!("error: {problems}");
            }
            for error in failures {
                eprintln!("error: {error}");
            }
            Err(CommandError::Provision(last))
        }
    }
}
