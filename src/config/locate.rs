//! Which config file to read.

use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// Default search order when no `--config` is given (docs/design.md §4): the boot partition
/// first, so staff can edit the file on the SD card from any computer, then the usual system
/// place.
pub const SEARCH_PATHS: &[&str] = &[
    "/boot/firmware/rainforest-logger.toml",
    "/etc/rainforest-logger/config.toml",
];

/// Picks the config file: the explicit path if given (it must exist), else the first of
/// `candidates` that is a file. Errors name every path looked at.
pub fn locate(explicit: Option<&Path>, candidates: &[&Path]) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        // Only existence is checked here: reading a directory or an unreadable file fails
        // later with the operating system's own reason, which says more than "not found".
        return if path.exists() {
            Ok(path.to_path_buf())
        } else {
            Err(ConfigError::NotFound {
                tried: vec![path.to_path_buf()],
            })
        };
    }
    candidates
        .iter()
        .find(|path| path.is_file())
        .map(|path| path.to_path_buf())
        .ok_or_else(|| ConfigError::NotFound {
            tried: candidates.iter().map(|path| path.to_path_buf()).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_over_candidates() {
        let dir = tempfile::tempdir().unwrap();
        let explicit = dir.path().join("mine.toml");
        let candidate = dir.path().join("other.toml");
        std::fs::write(&explicit, "").unwrap();
        std::fs::write(&candidate, "").unwrap();
        assert_eq!(locate(Some(&explicit), &[&candidate]).unwrap(), explicit);
    }

    #[test]
    fn explicit_missing_file_is_named_even_if_a_candidate_exists() {
        let dir = tempfile::tempdir().unwrap();
        let explicit = dir.path().join("missing.toml");
        let candidate = dir.path().join("other.toml");
        std::fs::write(&candidate, "").unwrap();
        let error = locate(Some(&explicit), &[&candidate]).unwrap_err();
        assert!(
            matches!(&error, ConfigError::NotFound { tried } if tried == std::slice::from_ref(&explicit)),
            "{error:?}"
        );
        assert!(error.to_string().contains(&explicit.display().to_string()));
    }

    #[test]
    fn first_existing_candidate_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("absent.toml");
        let second = dir.path().join("second.toml");
        let third = dir.path().join("third.toml");
        std::fs::write(&second, "").unwrap();
        std::fs::write(&third, "").unwrap();
        assert_eq!(locate(None, &[&absent, &second, &third]).unwrap(), second);
        assert_eq!(locate(None, &[&third, &second]).unwrap(), third);
    }

    #[test]
    fn a_directory_is_not_a_candidate_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "").unwrap();
        assert_eq!(locate(None, &[dir.path(), &file]).unwrap(), file);
    }

    #[test]
    fn none_found_lists_every_candidate() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        match locate(None, &[&a, &b]) {
            Err(ConfigError::NotFound { tried }) => assert_eq!(tried, vec![a, b]),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}
