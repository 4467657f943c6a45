//! The files provisioning owns: each written only when its content or mode differs from what
//! it should be, and then atomically.
//!
//! The check matters because `provision` runs at every boot: an SD card must not be rewritten
//! each time for nothing. The atomic replacement (temporary file, fsync, rename, fsync of the
//! directory) matters because the Pi may lose power at any moment, and a half-written
//! `wpa_supplicant` file would cut a remote box off its network.

use std::fs::{self, DirBuilder, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use super::error::ProvisionError;
use crate::durable;

/// Makes `path` hold exactly `content` with permission bits `mode`, creating missing parent
/// directories (mode 0755). Returns whether anything changed.
pub(super) fn ensure(path: &Path, content: &[u8], mode: u32) -> Result<bool, ProvisionError> {
    let read_error = |source| ProvisionError::Read {
        path: path.to_path_buf(),
        source,
    };
    let write_error = |source| ProvisionError::Write {
        path: path.to_path_buf(),
        source,
    };
    match fs::read(path) {
        Ok(existing) if existing == content => {
            let current = fs::metadata(path).map_err(read_error)?.permissions().mode();
            if current & 0o7777 == mode {
                return Ok(false);
            }
            // Only the mode is wrong: fixing it rewrites no data.
            fs::set_permissions(path, Permissions::from_mode(mode)).map_err(write_error)?;
            return Ok(true);
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(read_error(error)),
    }
    let dir = parent(path);
    fs::create_dir_all(dir).map_err(|source| ProvisionError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    durable::replace_file(path, dir, content, mode).map_err(write_error)?;
    Ok(true)
}

/// Removes `path` if it exists. Returns whether it did.
pub(super) fn remove(path: &Path) -> Result<bool, ProvisionError> {
    let remove_error = |source| ProvisionError::Remove {
        path: path.to_path_buf(),
        source,
    };
    match fs::remove_file(path) {
        Ok(()) => {
            durable::sync_dir(parent(path)).map_err(remove_error)?;
            Ok(true)
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(remove_error(error)),
    }
}

/// Makes `path` a directory with permission bits `mode` (sshd ignores keys in a `.ssh`
/// others may write to). Returns whether anything changed.
pub(super) fn ensure_dir(path: &Path, mode: u32) -> Result<bool, ProvisionError> {
    let error = |source| ProvisionError::CreateDir {
        path: path.to_path_buf(),
        source,
    };
    match fs::metadata(path) {
        // Not a directory: set_permissions would succeed on a file, so refuse it here.
        Ok(metadata) if !metadata.is_dir() => {
            Err(error(io::Error::from(io::ErrorKind::AlreadyExists)))
        }
        Ok(metadata) if metadata.permissions().mode() & 0o7777 == mode => Ok(false),
        Ok(_) => {
            fs::set_permissions(path, Permissions::from_mode(mode)).map_err(error)?;
            Ok(true)
        }
        Err(missing) if missing.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(parent(path)).map_err(error)?;
            DirBuilder::new().mode(mode).create(path).map_err(error)?;
            // The umask may have taken bits away; the mode must be exact.
            fs::set_permissions(path, Permissions::from_mode(mode)).map_err(error)?;
            Ok(true)
        }
        Err(other) => Err(error(other)),
    }
}

/// The directory of a managed file; they are all given as absolute paths under the root.
fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("/"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn writes_only_what_differs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etc/sub/file");
        assert!(ensure(&path, b"one\n", 0o600).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()) & 0o700, 0o700);

        let inode = fs::metadata(&path).unwrap().ino();
        assert!(!ensure(&path, b"one\n", 0o600).unwrap());
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "rewritten");

        // Same content, other mode: fixed in place.
        assert!(ensure(&path, b"one\n", 0o644).unwrap());
        assert_eq!(mode(&path), 0o644);
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode);

        // Other content: replaced by a new file, with the mode asked for.
        assert!(ensure(&path, b"two\n", 0o600).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        assert_eq!(mode(&path), 0o600);
        assert_ne!(fs::metadata(&path).unwrap().ino(), inode);

        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file"]);
    }

    #[test]
    fn removes_only_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        assert!(!remove(&path).unwrap());
        fs::write(&path, "x").unwrap();
        assert!(remove(&path).unwrap());
        assert!(!path.exists());
    }

    #[test]
    fn directories_get_their_exact_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root/.ssh");
        assert!(ensure_dir(&path, 0o700).unwrap());
        assert_eq!(mode(&path), 0o700);
        assert!(!ensure_dir(&path, 0o700).unwrap());
        fs::set_permissions(&path, Permissions::from_mode(0o775)).unwrap();
        assert!(ensure_dir(&path, 0o700).unwrap());
        assert_eq!(mode(&path), 0o700);

        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let error = ensure_dir(&file, 0o700).unwrap_err();
        assert!(
            error.to_string().starts_with("cannot create directory"),
            "{error}"
        );
    }

    #[test]
    fn errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("blocker");
        fs::write(&blocker, "a file where a directory should be").unwrap();
        let path = blocker.join("file");
        let error = ensure(&path, b"secret content", 0o600).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains(&blocker.display().to_string()), "{shown}");
        assert!(!shown.contains("secret content"), "{shown}");
    }
}
