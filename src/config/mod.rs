//! Configuration: one TOML file, parsed into a raw table, then validated into [`Settings`].
//!
//! The contract is docs/design.md §4. Loading never stops at the first mistake: every problem
//! in the file is collected into [`ConfigError::Invalid`], each naming the file and the dotted key,
//! so staff fix a card in one go. Credentials never appear in messages or `Debug` output.
//!
//! ```text
//! locate(--config, SEARCH_PATHS) → load(path, env) → Settings
//!                                 → load_system(path) → SystemSettings   (for `provision`)
//! ```

mod address;
mod authorized_key;
mod environment;
mod error;
mod key_template;
mod led_fallback;
mod load;
mod locate;
mod raw;
mod reader;
mod region;
mod secret;
mod settings;
mod suggest;
mod system;
mod units;
mod validate;
mod wifi;

pub use environment::process_env;
pub use error::{ConfigError, Problem};
pub use led_fallback::led_settings_or_default;
pub use load::load;
pub use locate::{locate, SEARCH_PATHS};
pub use secret::Secret;
pub use settings::*;
pub use system::{load_system, SystemSettings};
pub use units::{parse_duration, parse_size};
