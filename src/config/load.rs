//! Reading a config file: text → raw table → environment overrides → validated settings.

use std::path::Path;

use super::environment;
use super::error::ConfigError;
use super::raw;
use super::settings::Settings;
use super::validate;

/// Reads and validates the file at `path`; `env` answers environment lookups
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` override the file).
/// Pass [`crate::config::process_env`] for the real environment.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    Settings::from_toml_str(&read(path)?, path, env)
}

/// The text of the config file at `path`, or [`ConfigError::Read`] naming it.
pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

impl Settings {
    /// Validates config text already read (used by `demo` and tests); `source` names the
    /// file in messages and becomes [`Settings::source`].
    pub fn from_toml_str(
        text: &str,
        source: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let mut table = raw::parse(text, source)?;
        let overridden = environment::apply(&mut table, env);
        validate::validate(&table, source)
            .map_err(|error| environment::name_variables(error, &overridden))
    }
}
