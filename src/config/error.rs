//! Why a configuration could not be loaded.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// One thing wrong with a configuration file. Never holds a credential's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key the problem is about, e.g. `eagle.timeout` (a section name for section problems).
    pub key: String,
    /// What was expected and what was found, e.g. `expected a duration such as "10s" or "1m", found "10 seconds"`.
    pub message: String,
}

impl Problem {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why [`crate::config::load`], [`crate::config::locate`] or
/// [`crate::config::Settings::from_toml_str`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No config file: the explicit path does not exist, or none of the search paths does.
    #[error("no config file found (looked for {})", list_paths(.tried))]
    NotFound {
        /// Every path looked at, in order.
        tried: Vec<PathBuf>,
    },
    /// The file exists but could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}: invalid TOML: {message}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, column and description as the toml crate reports them, without any quoted
        /// source text or value (it might be a credential).
        message: String,
    },
    /// The file is valid TOML but some settings are wrong: every problem found, in file-section order.
    #[error("{}", list_problems(.path, .problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, at least one.
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The settings problems of an [`ConfigError::Invalid`] error; empty for the other kinds.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// A count, then one line per problem, each naming the file, so `check-config` output can be
/// grepped.
fn list_problems(path: &Path, problems: &[Problem]) -> String {
    let plural = if problems.len() == 1 { "" } else { "s" };
    let mut lines = vec![format!(
        "{}: {} problem{plural}",
        path.display(),
        problems.len()
    )];
    lines.extend(
        problems
            .iter()
            .map(|problem| format!("{}: {problem}", path.display())),
    );
    lines.join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The keys `problems` are about, in order: what most config tests compare.
    pub(crate) fn keys(problems: &[Problem]) -> Vec<&str> {
        problems
            .iter()
            .map(|problem| problem.key.as_str())
            .collect()
    }

    #[test]
    fn invalid_lists_every_problem_on_its_own_line() {
        let error = ConfigError::Invalid {
            path: PathBuf::from("/boot/x.toml"),
            problems: vec![Problem::new("a.b", "bad"), Problem::new("c", "worse")],
        };
        assert_eq!(
            error.to_string(),
            "/boot/x.toml: 2 problems\n/boot/x.toml: a.b: bad\n/boot/x.toml: c: worse"
        );
        assert_eq!(error.problems().len(), 2);
    }

    #[test]
    fn not_found_names_every_path() {
        let error = ConfigError::NotFound {
            tried: vec![PathBuf::from("/a"), PathBuf::from("/b")],
        };
        assert_eq!(
            error.to_string(),
            "no config file found (looked for /a, /b)"
        );
        assert!(error.problems().is_empty());
    }
}
