//! Replacing a file so that a reader, a crash or a power cut sees the old content or the new,
//! never a part: the bucket directory's objects and the files `provision` writes.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Replaces `path` (in the existing directory `dir`, its parent) with `content` and permission
/// bits `mode`: a temporary file beside it, fsync, rename over it, fsync of the directory.
pub fn replace_file(path: &Path, dir: &Path, content: &[u8], mode: u32) -> io::Result<()> {
    let mut temporary = tempfile::Builder::new()
        .prefix(".rainforest-logger-")
        .tempfile_in(dir)?;
    // The mode is set before any content is written, so a secret is never readable by
    // others, not even for a moment.
    temporary
        .as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    temporary.write_all(content)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    sync_dir(dir)
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
