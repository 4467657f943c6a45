//! Configuration: one TOML file, parsed into a raw form, then validated into [`Settings`].
//!
//! (Loader in progress: see the config helper's work.)

mod secret;
mod settings;

pub use secret::Secret;
pub use settings::*;
