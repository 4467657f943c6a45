//! Writes to the card's window file around the page cache (`O_DIRECT`), in whole 512-byte
//! sectors. A sync adds a few hundred bytes of records: through the page cache it costs the
//! card the one or two 4 KiB pages they fall in, written this way the one or two sectors.
//!
//! The bytes before the new ones in their first sector (the end of the last sync) are kept in
//! memory and written again with them; the rest of the last sector is zeros, which read back
//! as the end of the records. Where the file system or the device refuses such writes (a
//! tmpfs has no `O_DIRECT`; a device with 4 KiB sectors refuses 512-byte ones) the caller
//! writes through the page cache instead.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// The unit of a write: the logical sector of SD cards (and of the kernel's block layer).
const SECTOR: u64 = 512;

/// Memory alignment `O_DIRECT` buffers get: a page, which satisfies every device.
const ALIGN: usize = 4096;

/// The window file, opened a second time for writes around the page cache.
#[derive(Debug)]
pub(crate) struct SectorWriter {
    file: File,
    /// The bytes of the file from the start of the sector holding `end` up to `end`.
    tail: Vec<u8>,
    /// Where the last write ended (the bytes after it are not ours to keep).
    end: u64,
}

impl SectorWriter {
    /// Opens `path` for writes around the page cache; `None` where that is refused.
    pub(crate) fn open(path: &Path) -> Option<SectorWriter> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
            .ok()?;
        Some(SectorWriter {
            file,
            tail: Vec::new(),
            end: 0,
        })
    }

    /// Writes `bytes` at `at` in whole sectors: the start of `at`'s sector up to `at` as it
    /// was written before, then `bytes`, then zeros to the end of the last sector. Not
    /// durable until an `fdatasync` (the device may hold it in its cache).
    pub(crate) fn write_at(&mut self, bytes: &[u8], at: u64) -> io::Result<()> {
        let start = at - at % SECTOR;
        let head = usize::try_from(at - start).unwrap_or(0);
        if self.end != at || self.tail.len() != head {
            self.tail = self.read_head(start, head)?;
        }
        let length = (head + bytes.len()).next_multiple_of(SECTOR as usize);
        let mut memory = vec![0; length + ALIGN];
        let offset = memory.as_ptr().align_offset(ALIGN);
        let buffer = &mut memory[offset..offset + length];
        buffer[..head].copy_from_slice(&self.tail);
        buffer[head..head + bytes.len()].copy_from_slice(bytes);
        self.file.write_all_at(buffer, start)?;
        let end = at + bytes.len() as u64;
        let last = usize::try_from(end - start - end % SECTOR).unwrap_or(0);
        self.tail = buffer[last..head + bytes.len()].to_vec();
        self.end = end;
        Ok(())
    }

    /// The first `head` bytes of the sector at `start`, read from the file (once after the
    /// window was opened or emptied somewhere else than the last write's end).
    fn read_head(&self, start: u64, head: usize) -> io::Result<Vec<u8>> {
        if head == 0 {
            return Ok(Vec::new());
        }
        let mut memory = vec![0; SECTOR as usize + ALIGN];
        let offset = memory.as_ptr().align_offset(ALIGN);
        let sector = &mut memory[offset..offset + SECTOR as usize];
        self.file.read_exact_at(sector, start)?;
        Ok(sector[..head].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes that start and end inside sectors leave the file holding exactly what was
    /// written, in order, zeros after it, and whatever was there before untouched in the
    /// sectors not written.
    #[test]
    fn unaligned_writes_keep_what_came_before_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("window");
        std::fs::write(&path, vec![0xee; 4096]).unwrap();
        let mut writer = SectorWriter::open(&path).expect("O_DIRECT in the temporary directory");
        let first: Vec<u8> = (0..700u32).map(|n| (n % 251) as u8 + 1).collect();
        let second: Vec<u8> = (0..300u32).map(|n| (n % 13) as u8 + 1).collect();
        writer.write_at(&first, 0).unwrap();
        writer.write_at(&second, 700).unwrap();
        let file = std::fs::read(&path).unwrap();
        assert_eq!(&file[..700], &first[..]);
        assert_eq!(&file[700..1000], &second[..]);
        assert!(
            file[1000..1024].iter().all(|b| *b == 0),
            "zeros to the sector's end"
        );
        assert!(
            file[1024..].iter().all(|b| *b == 0xee),
            "later sectors untouched"
        );
        // A writer that did not write the head reads it from the file.
        let mut again = SectorWriter::open(&path).unwrap();
        again.write_at(b"xyz", 1000).unwrap();
        let file = std::fs::read(&path).unwrap();
        assert_eq!(&file[700..1000], &second[..]);
        assert_eq!(&file[1000..1003], b"xyz");
    }
}
