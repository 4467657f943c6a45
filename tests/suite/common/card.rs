//! An SD card that fills up and is freed again, under a running logger.
//!
//! Preferred: the buffer lives on a 2 MiB tmpfs (mounting needs root, which CI has), and a
//! filler file takes its last free page, so SQLite's next write fails with `ENOSPC`. Where
//! mounting is refused, the same failure is produced by the kernel another way: the running
//! logger's `RLIMIT_FSIZE` is lowered (`prlimit`) to the current length of the write-ahead
//! log, so its next append fails with `EFBIG` (the child ignores `SIGXFSZ`). Both are real
//! write failures of the real binary; neither skips anything.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How space is taken away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Squeeze {
    /// A 2 MiB tmpfs filled by a filler file.
    Tmpfs,
    /// The logger's file-size limit lowered to the WAL's length.
    FileSizeLimit,
}

/// The directory the buffer lives in, and how it is squeezed.
pub struct Card {
    dir: PathBuf,
    squeeze: Squeeze,
}

impl Card {
    /// A 2 MiB tmpfs mounted at `dir` if possible, else a plain directory squeezed by the
    /// file-size limit.
    pub fn tmpfs_or_limit(dir: &Path) -> Card {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            eprintln!("mounting a tmpfs was refused: squeezing with RLIMIT_FSIZE instead");
        }
        let squeeze = if mounted {
            Squeeze::Tmpfs
        } else {
            Squeeze::FileSizeLimit
        };
        Card {
            dir: dir.to_path_buf(),
            squeeze,
        }
    }

    /// A plain directory squeezed by the file-size limit.
    pub fn limited(dir: &Path) -> Card {
        std::fs::create_dir_all(dir).unwrap();
        Card {
            dir: dir.to_path_buf(),
            squeeze: Squeeze::FileSizeLimit,
        }
    }

    /// The buffer's path on the card.
    pub fn db(&self) -> PathBuf {
        self.dir.join("readings.db")
    }

    /// Takes the free space away from the logger `pid`.
    pub fn fill(&self, pid: i32) {
        match self.squeeze {
            Squeeze::Tmpfs => {
                let mut filler = std::fs::File::create(self.filler()).unwrap();
                let chunk = vec![0u8; 4096];
                loop {
                    match filler.write_all(&chunk) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::StorageFull => break,
                        Err(e) => panic!("filling the tmpfs: {e}"),
                    }
                }
            }
            Squeeze::FileSizeLimit => {
                let wal = std::fs::metadata(self.dir.join("readings.db-wal"))
                    .unwrap()
                    .len();
                // rlim_t is 32-bit on 32-bit ARM and 64-bit here.
                #[allow(clippy::useless_conversion)]
                let wal = libc::rlim_t::try_from(wal).expect("the WAL length fits in rlim_t");
                set_file_size_limit(pid, wal);
            }
        }
    }

    /// Gives the space back.
    pub fn free(&self, pid: i32) {
        match self.squeeze {
            Squeeze::Tmpfs => std::fs::remove_file(self.filler()).unwrap(),
            Squeeze::FileSizeLimit => set_file_size_limit(pid, libc::RLIM_INFINITY),
        }
    }

    fn filler(&self) -> PathBuf {
        self.dir.join("filler")
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        if self.squeeze == Squeeze::Tmpfs {
            let _ = Command::new("umount").arg(&self.dir).status();
        }
    }
}

/// Sets the soft `RLIMIT_FSIZE` of process `pid`.
fn set_file_size_limit(pid: i32, bytes: libc::rlim_t) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: a valid rlimit, and no old limit asked for.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}
