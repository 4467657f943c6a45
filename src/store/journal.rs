//! The readings journal: an append-only file that holds the readings taken since the last
//! SQLite commit, so that the card sees one sync per `storage.commit_interval` (`batch.rs`)
//! and yet no reading is lost when the process dies.
//!
//! Each reading is one `write(2)` of one record, with no fsync: once the call returns the bytes
//! are in the kernel's page cache, which a SIGKILL, an abort on panic or the watchdog's kill
//! does not touch. A power cut may lose the tail, which is what the commit interval bounds.
//!
//! The journal lives beside the buffer (`PATH.journal`), or in `storage.journal_dir` under the
//! buffer's file name (`readings.db.journal`). The shipped config puts it on /run, a tmpfs:
//! it outlives the process as well there (the kernel keeps the file), never reaches the card,
//! and a power cut, which takes it, is what the window on the card covers.
//!
//! A record is `length (u32 LE) | check (4 bytes) | payload`, the check the first 4 bytes of
//! the payload's SHA-256. Reading stops at the first record that is short or fails its check
//! (a write torn by a power cut, or zeros a file system left after one): everything before it
//! is whole. The payload is the reading and the seq it was given, in a compact binary form
//! (about 130 bytes a record, so the window's minute at 6 s is 3 or 4 of the card's 512-byte
//! sectors, the partial last one written again):
//!
//! - the byte `1` (the form's tag);
//! - `seq`, `time` (ms since the epoch), the clock's monotonic ms, and `meter_time` (s since
//!   the epoch, `i64::MIN` for none): 8 bytes each, little-endian;
//! - `1` if the clock was synced, else `0`;
//! - meter, demand, delivered, received, price, tier, currency, rate label and boot id, each
//!   as text: its length + 1 as a LEB128 varint (`0` for none), then its UTF-8 bytes. Decimals
//!   and the tier are written as their exact decimal text.
//!
//! Before that form the payload was one JSON object (its first byte `{`); such records, which
//! a box may hold in its window across an upgrade, are still read.
//!
//! Emptying the journal after a commit does not truncate it: the next records are written over
//! the old ones from the start of the file. Truncating and growing the file again at every
//! commit cost the card more than the records did (ext4 journals each size change, block freed
//! and block allocated: about 6 blocks a commit, measured with `benches/card_writes.sh`); written
//! in place, the file keeps its blocks and only its data pages are written back. Reading stops
//! where the seqs stop following on one from the other: what lies beyond is older records not
//! yet overwritten, all committed already (their seqs are at or below the buffer's mark).
//!
//! The same file format keeps the readings' durable window on the card (`PATH.window`, see
//! `batch.rs`): there a file written full of zeros once ([`Journal::prewrite`]) takes the
//! window's records in one write and one `fdatasync` per `storage.commit_interval`, in place,
//! so that ext4 has no size or block change to journal.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::error::StoreError;
use super::sectors::SectorWriter;
use crate::reading::{ClockStamp, Reading};

/// Bytes before each payload: its length and its check.
const HEADER: usize = 8;

/// A payload larger than this is not one of ours (a reading is a few hundred bytes): reading
/// stops there rather than trusting a length that would swallow the rest of the file.
const MAX_PAYLOAD: usize = 64 * 1024;

/// Path of the journal of the buffer at `buffer`: beside it, or with `dir`
/// (`storage.journal_dir`) the buffer's file name + `.journal` in that directory.
pub fn journal_path(buffer: &Path, dir: Option<&Path>) -> PathBuf {
    let mut name = match (dir, buffer.file_name()) {
        (Some(dir), Some(file)) => dir.join(file).into_os_string(),
        _ => buffer.as_os_str().to_owned(),
    };
    name.push(".journal");
    PathBuf::from(name)
}

/// Path of the card's copy of the journal of the buffer at `buffer` (`PATH.window`, beside
/// it), kept when the journal itself is elsewhere (`storage.journal_dir`).
pub fn window_path(buffer: &Path) -> PathBuf {
    let mut name = buffer.as_os_str().to_owned();
    name.push(".window");
    PathBuf::from(name)
}

/// Size a journal file on the card is written to before use ([`Journal::prewrite`]): 13
/// hours of readings at the shipped 6 s (a record is about 130 bytes), where the daemon folds
/// them into SQLite every hour, and two hours at one a second.
pub(crate) const CARD_FILE_BYTES: u64 = 1 << 20;

/// Mode of a journal directory this module creates: the readings are the household's.
const DIR_MODE: u32 = 0o700;

/// The open journal file.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    /// Bytes of the records written since the journal was last emptied: where the next one
    /// goes (so a failed append is written over by the next).
    len: u64,
    /// The window's writes around the page cache ([`Journal::write_in_sectors`]).
    sectors: Option<SectorWriter>,
}

/// What [`Journal::open`] found in the file.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// The whole records since the journal was last emptied, in the order written.
    pub readings: Vec<(i64, Reading)>,
    /// Bytes after them (older records not yet written over, or a torn write), ignored.
    pub stale_bytes: usize,
}

impl Journal {
    /// Opens (creating, mode 0600, and its directory, mode 0700, if missing) and locks the
    /// journal at `path` and reads what it holds; the caller commits the recovered readings
    /// and then [`Journal::clear`]s it. [`StoreError::JournalInUse`] if another process
    /// holds it.
    pub(crate) fn open(path: &Path) -> Result<(Journal, Recovered), StoreError> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let path = path.to_path_buf();
        let io_err = |source| StoreError::Journal {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // /run is emptied at boot: the first start after it makes the directory again
            // (under systemd, RuntimeDirectory= has made it already).
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(|source| StoreError::Journal {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            // Kept: what a killed run journaled is read back below.
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io_err)?;
        // One writer: the lock lives as long as the open file, so a killed daemon's goes with it.
        // SAFETY: flock on a file descriptor this function owns; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = std::io::Error::last_os_error();
            return Err(if error.kind() == std::io::ErrorKind::WouldBlock {
                StoreError::JournalInUse { path }
            } else {
                io_err(error)
            });
        }
        let (recovered, len) = read_records(&mut file).map_err(io_err)?;
        Ok((
            Journal {
                file,
                path,
                len,
                sectors: None,
            },
            recovered,
        ))
    }

    /// Writes `records` ([`records`]) after the last, in a single `pwrite(2)`: in the kernel
    /// when this returns. A failed or short write is written over by the next append.
    pub(crate) fn append(&mut self, records: &[u8]) -> Result<(), StoreError> {
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(records, self.len)
            .map_err(|source| self.error(source))?;
        self.len += records.len() as u64;
        Ok(())
    }

    /// From now on, [`Journal::append_durably`] writes whole 512-byte sectors around the page
    /// cache (`sectors.rs`) where the file system allows it: the window, which takes a sync's
    /// records at once, not the journal, whose every record must be in the kernel at once.
    pub(crate) fn write_in_sectors(&mut self) {
        self.sectors = SectorWriter::open(&self.path);
    }

    /// Appends `records` and makes them durable: one write (in sectors, see
    /// [`Journal::write_in_sectors`], or else through the page cache) and one `fdatasync`.
    pub(crate) fn append_durably(&mut self, records: &[u8]) -> Result<(), StoreError> {
        if let Some(sectors) = &mut self.sectors {
            match sectors.write_at(records, self.len) {
                Ok(()) => {
                    self.len += records.len() as u64;
                    return self.sync();
                }
                Err(error) => {
                    // Refused (a device with larger sectors): through the page cache from now.
                    log::debug!(
                        "{}: {error}; writing through the page cache",
                        self.path.display()
                    );
                    self.sectors = None;
                }
            }
        }
        self.append(records)?;
        self.sync()
    }

    /// Makes what was appended durable (`fdatasync`): on the card, or wherever the file is.
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.file.sync_data().map_err(|source| self.error(source))
    }

    /// Writes zeros from the file's end up to `size` bytes, once, and makes them and the
    /// file's entry durable: the file's blocks are then allocated and written, so that the
    /// appends after it and their [`Journal::sync`]s change no metadata (no ext4 journal
    /// commit for a new size or block). Zeros read back as the end of the records.
    pub(crate) fn prewrite(&mut self, size: u64) -> Result<(), StoreError> {
        use std::os::unix::fs::FileExt;
        let end = self.file.metadata().map_err(|e| self.error(e))?.len();
        if end >= size {
            return Ok(());
        }
        // In pieces: one buffer of the whole size would stay in the daemon's peak RSS.
        let zeros = [0; 16 * 1024];
        let mut at = end;
        while at < size {
            let piece =
                &zeros[..usize::try_from(size - at).map_or(zeros.len(), |n| n.min(zeros.len()))];
            self.file
                .write_all_at(piece, at)
                .map_err(|source| self.error(source))?;
            at += piece.len() as u64;
        }
        self.file.sync_all().map_err(|source| self.error(source))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|dir| dir.sync_all())
                .map_err(|source| self.error(source))?;
        }
        Ok(())
    }

    /// Bytes of the records written since the journal was last emptied.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn error(&self, source: std::io::Error) -> StoreError {
        StoreError::Journal {
            path: self.path.clone(),
            source,
        }
    }

    /// Empties the journal once its readings are committed to SQLite: the next record goes at
    /// the start, over the old ones (see the module's notes). Nothing is written, nothing
    /// fsynced: if a power cut brings old records back, their seqs are at or below the
    /// buffer's high-water mark and replay skips them.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

/// The whole records in the journal at `path`, read without taking its lock and without
/// writing anything (`status` while a daemon holds it); none if there is no journal. A record
/// being appended at that moment is torn as far as this read goes, and left out.
pub(crate) fn peek(path: &Path) -> Result<Vec<(i64, Reading)>, StoreError> {
    match File::open(path).and_then(|mut file| read_records(&mut file)) {
        Ok((recovered, _)) => Ok(recovered.readings),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(StoreError::Journal {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The whole records from the start of `file`, and the length they take: read a piece at a
/// time, up to where the records have stopped for certain (a record is never longer than
/// [`MAX_PAYLOAD`]). The window on the card is 1 MiB of mostly zeros, and a buffer of the
/// whole file would stay in the daemon's peak RSS.
fn read_records(file: &mut File) -> std::io::Result<(Recovered, u64)> {
    let (mut bytes, mut readings, mut end) = (Vec::new(), Vec::new(), 0);
    let mut piece = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut piece)?;
        bytes.extend_from_slice(&piece[..read]);
        end = decode_more(&bytes, &mut readings, end);
        if read == 0 || end + HEADER + MAX_PAYLOAD <= bytes.len() {
            let stale_bytes = bytes.len() - end;
            return Ok((
                Recovered {
                    readings,
                    stale_bytes,
                },
                end as u64,
            ));
        }
    }
}

/// The records of `readings` (each with its seq), as [`Journal::append`] writes them.
pub(crate) fn records(readings: &[(i64, Reading)]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(160 * readings.len());
    for (seq, reading) in readings {
        encode(&mut bytes, *seq, reading);
    }
    bytes
}

/// Appends the record of `reading` (given `seq`) to `out`.
fn encode(out: &mut Vec<u8>, seq: i64, reading: &Reading) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    out.push(COMPACT);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&reading.time.timestamp_millis().to_le_bytes());
    out.extend_from_slice(&reading.clock.monotonic_ms.to_le_bytes());
    let meter_time = reading.meter_time.map_or(NO_METER_TIME, |t| t.timestamp());
    out.extend_from_slice(&meter_time.to_le_bytes());
    out.push(u8::from(reading.clock.synced));
    let decimal = |d: Option<Decimal>| d.map(|d| d.to_string());
    put_text(out, Some(&reading.meter));
    for value in [
        reading.demand_kw,
        reading.delivered_kwh,
        reading.received_kwh,
        reading.price,
    ] {
        put_text(out, decimal(value).as_deref());
    }
    put_text(out, reading.tier.map(|t| t.to_string()).as_deref());
    put_text(out, reading.currency.as_deref());
    put_text(out, reading.rate_label.as_deref());
    put_text(out, Some(&reading.clock.boot_id));
    let payload = &out[start + HEADER..];
    // A reading's payload is a few hundred bytes at most (its text fields are bounded by the
    // EAGLE client): far below u32::MAX.
    let (len, check) = ((payload.len() as u32).to_le_bytes(), check(payload));
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + HEADER].copy_from_slice(&check);
}

/// The first byte of a compact payload (see the module's notes). A JSON payload starts with
/// `{`.
const COMPACT: u8 = 1;

/// `meter_time` of a reading that has none: no second a `DateTime` can hold.
const NO_METER_TIME: i64 = i64::MIN;

/// Appends `text` as its length + 1 (LEB128), then its bytes; `None` as a lone `0`.
fn put_text(out: &mut Vec<u8>, text: Option<&str>) {
    let mut n = text.map_or(0, |t| t.len() as u64 + 1);
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(text.unwrap_or_default().as_bytes());
}

/// The first 4 bytes of the SHA-256 of `payload`.
fn check(payload: &[u8]) -> [u8; 4] {
    let digest = Sha256::digest(payload);
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Adds to `readings` the whole records of `bytes` from `at` (where those decoded so far
/// end), stopping at the first torn or foreign one, or at one whose seq does not follow the
/// previous record's (an older record not yet written over: each record's seq is one more than
/// the one before it); returns where they end. Reading a file a piece at a time, each piece is
/// decoded once.
fn decode_more(bytes: &[u8], readings: &mut Vec<(i64, Reading)>, mut at: usize) -> usize {
    while let Some((record, len)) = decode_one(&bytes[at..]) {
        if readings.last().is_some_and(|(seq, _)| record.0 != seq + 1) {
            break;
        }
        readings.push(record);
        at += len;
    }
    at
}

/// The record at the start of `bytes` and its length, if it is whole and checks out.
fn decode_one(bytes: &[u8]) -> Option<((i64, Reading), usize)> {
    let header = bytes.get(..HEADER)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    if len == 0 || len > MAX_PAYLOAD {
        return None;
    }
    let payload = bytes.get(HEADER..HEADER + len)?;
    if check(payload) != header[4..] {
        return None;
    }
    let record = match payload[0] {
        COMPACT => decode_compact(&payload[1..])?,
        _ => decode_json(serde_json::from_slice::<Value>(payload).ok()?.as_object()?)?,
    };
    Some((record, HEADER + len))
}

/// The fields of a compact payload, read in order from the front.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(taken)
    }

    fn number(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn unsigned(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A text [`put_text`] wrote: `Some(None)` for none, `None` if it is not one.
    fn text(&mut self) -> Option<Option<&'a str>> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return match n.checked_sub(1) {
                    None => Some(None),
                    Some(len) => Some(Some(std::str::from_utf8(self.take(len as usize)?).ok()?)),
                };
            }
        }
        None
    }

    fn decimal(&mut self) -> Option<Option<Decimal>> {
        parse_decimal(self.text()?)
    }
}

/// The decimal a record's text field holds (`Some(None)` for none), in either form; `None` if
/// the text is not a decimal.
fn parse_decimal(text: Option<&str>) -> Option<Option<Decimal>> {
    text.map_or(Some(None), |t| Decimal::from_str(t).ok().map(Some))
}

/// The seq and reading of a compact payload after its tag; `None` if a field is missing or
/// wrong, or bytes are left over.
fn decode_compact(payload: &[u8]) -> Option<(i64, Reading)> {
    let mut fields = Fields(payload);
    let seq = fields.number()?;
    let time = DateTime::<Utc>::from_timestamp_millis(fields.number()?)?;
    let monotonic_ms = fields.unsigned()?;
    let meter_time = match fields.number()? {
        NO_METER_TIME => None,
        seconds => Some(DateTime::<Utc>::from_timestamp(seconds, 0)?),
    };
    let synced = match fields.take(1)?[0] {
        0 => false,
        1 => true,
        _ => return None,
    };
    // The fields are read in the order written: Rust evaluates a struct's fields in the order
    // they appear here, which is [`encode`]'s.
    let reading = Reading {
        meter: fields.text()??.to_string(),
        demand_kw: fields.decimal()?,
        delivered_kwh: fields.decimal()?,
        received_kwh: fields.decimal()?,
        price: fields.decimal()?,
        tier: match fields.text()? {
            None => None,
            Some(text) => Some(text.parse().ok()?),
        },
        currency: fields.text()?.map(str::to_string),
        rate_label: fields.text()?.map(str::to_string),
        clock: ClockStamp {
            synced,
            boot_id: fields.text()??.to_string(),
            monotonic_ms,
        },
        time,
        meter_time,
    };
    fields.0.is_empty().then_some((seq, reading))
}

/// The seq and reading of a JSON payload, the form records had before the compact one.
fn decode_json(o: &Map<String, Value>) -> Option<(i64, Reading)> {
    let text = |key: &str| -> Option<Option<String>> {
        match o.get(key)? {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => None,
        }
    };
    let decimal = |key: &str| parse_decimal(text(key)?.as_deref());
    let meter_time = match o.get("meter_time")? {
        Value::Null => None,
        v => Some(DateTime::<Utc>::from_timestamp(v.as_i64()?, 0)?),
    };
    let tier = match o.get("tier")? {
        Value::Null => None,
        v => Some(v.as_i64()?),
    };
    let reading = Reading {
        meter: text("meter")??,
        time: DateTime::<Utc>::from_timestamp_millis(o.get("time_ms")?.as_i64()?)?,
        meter_time,
        demand_kw: decimal("demand_kw")?,
        delivered_kwh: decimal("delivered_kwh")?,
        received_kwh: decimal("received_kwh")?,
        price: decimal("price")?,
        currency: text("currency")?,
        rate_label: text("rate_label")?,
        tier,
        clock: ClockStamp {
            synced: o.get("clock_synced")?.as_bool()?,
            boot_id: text("boot_id")??,
            monotonic_ms: o.get("monotonic_ms")?.as_u64()?,
        },
    };
    Some((o.get("seq")?.as_i64()?, reading))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The whole records at the start of `bytes` ([`decode_more`] from the start).
    fn decode_all(bytes: &[u8]) -> Recovered {
        let mut readings = Vec::new();
        let end = decode_more(bytes, &mut readings, 0);
        Recovered {
            readings,
            stale_bytes: bytes.len() - end,
        }
    }

    /// Bytes after the records of the current cycle in a journal's contents.
    pub(crate) fn stale_bytes(journal: &[u8]) -> usize {
        decode_all(journal).stale_bytes
    }

    /// A reading with every kind of field, told apart by its monotonic time `n`.
    pub(crate) fn reading(n: u64) -> Reading {
        Reading {
            meter: "0x0013500100001234".into(),
            time: DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap(),
            meter_time: DateTime::<Utc>::from_timestamp(1_700_000_000, 0),
            demand_kw: Some(Decimal::from_str("-1.234").unwrap()),
            delivered_kwh: Some(Decimal::from_str("12345.678").unwrap()),
            received_kwh: None,
            price: Some(Decimal::from_str("0.1200").unwrap()),
            currency: Some("USD".into()),
            rate_label: None,
            tier: Some(2),
            clock: ClockStamp {
                synced: true,
                boot_id: "b".into(),
                monotonic_ms: n,
            },
        }
    }

    #[test]
    fn records_round_trip_exactly() {
        let mut bytes = Vec::new();
        encode(&mut bytes, 7, &reading(1));
        encode(&mut bytes, 8, &reading(2));
        let recovered = decode_all(&bytes);
        assert_eq!(recovered.readings, vec![(7, reading(1)), (8, reading(2))]);
        assert_eq!(recovered.stale_bytes, 0);
    }

    /// `payload` as a record, with its length and check.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut record = (payload.len() as u32).to_le_bytes().to_vec();
        record.extend_from_slice(&check(payload));
        record.extend_from_slice(payload);
        record
    }

    /// The compact form is what keeps the window's minute to a few sectors.
    #[test]
    fn a_record_is_compact() {
        let mut real = reading(1);
        real.clock.boot_id = "5f0d3c62-8a1e-4b7d-9c3f-2e6a1b4d8f90".into();
        let len = records(&[(7, real)]).len();
        assert!((100..160).contains(&len), "{len} bytes");
    }

    /// A record of the JSON form an earlier version wrote (its payload as that version's
    /// encoder made it), followed by a compact one: both read, exactly.
    #[test]
    fn records_of_the_earlier_json_form_are_still_read() {
        let json = r#"{"boot_id":"b","clock_synced":true,"currency":"USD","delivered_kwh":"12345.678","demand_kw":"-1.234","meter":"0x0013500100001234","meter_time":1700000000,"monotonic_ms":1,"price":"0.1200","rate_label":null,"received_kwh":null,"seq":7,"tier":2,"time_ms":1700000000123}"#;
        let mut bytes = frame(json.as_bytes());
        encode(&mut bytes, 8, &reading(2));
        let recovered = decode_all(&bytes);
        assert_eq!(recovered.readings, vec![(7, reading(1)), (8, reading(2))]);
        assert_eq!(recovered.stale_bytes, 0);
    }

    /// A payload that checks out but is not a whole compact reading (cut short, a byte left
    /// over, a flag that is neither 0 nor 1, a length that never ends or runs past the end,
    /// text that is not UTF-8) is not read, and nothing panics.
    #[test]
    fn a_compact_payload_that_is_not_a_reading_is_refused() {
        let mut whole = Vec::new();
        encode(&mut whole, 7, &reading(1));
        let payload = &whole[HEADER..];
        assert_eq!(decode_all(&frame(payload)).readings.len(), 1);
        for cut in 1..payload.len() {
            assert!(
                decode_one(&frame(&payload[..cut])).is_none(),
                "cut at {cut}"
            );
        }
        // Offsets in the payload (the module's notes): 33 is the synced flag, after the tag and
        // four 8-byte numbers; 34 the meter's length.
        let mut longer = payload.to_vec();
        longer.push(0);
        let mut flag = payload.to_vec();
        flag[33] = 2;
        let mut endless = payload[..34].to_vec();
        endless.extend_from_slice(&[0xff; 12]);
        let mut past_end = payload[..34].to_vec();
        past_end.extend_from_slice(&[0xff, 0xff, 0x03, b'x']);
        let mut not_utf8 = payload[..34].to_vec();
        not_utf8.extend_from_slice(&[3, 0xc3, 0x28]);
        not_utf8.extend_from_slice(&payload[34 + 1 + reading(1).meter.len()..]);
        for (what, bad) in [
            ("a byte left over", longer),
            ("a synced flag of 2", flag),
            ("an endless length", endless),
            ("a length past the end", past_end),
            ("a meter that is not UTF-8", not_utf8),
        ] {
            assert!(decode_one(&frame(&bad)).is_none(), "{what}");
        }
    }

    /// The file is read a piece at a time, up to where the records stop for certain: every
    /// record of a journal longer than a piece, none of the zeros after a window's records.
    #[test]
    fn records_are_read_past_the_first_piece_and_up_to_the_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("window");
        let many: Vec<(i64, Reading)> = (1..=800).map(|n| (n as i64, reading(n))).collect();
        let mut bytes = records(&many);
        assert!(bytes.len() > 64 * 1024, "{} bytes", bytes.len());
        let end = bytes.len();
        bytes.resize(CARD_FILE_BYTES as usize, 0);
        std::fs::write(&path, &bytes).unwrap();
        let mut file = File::open(&path).unwrap();
        let (recovered, len) = read_records(&mut file).unwrap();
        assert_eq!(recovered.readings, many);
        assert_eq!(len, end as u64);
        use std::io::Seek;
        let read = file.stream_position().unwrap();
        assert!(
            read < CARD_FILE_BYTES,
            "read {read} bytes: all of the zeros too"
        );
    }

    #[test]
    fn a_torn_or_corrupted_last_record_is_ignored() {
        let mut bytes = Vec::new();
        encode(&mut bytes, 7, &reading(1));
        let whole = bytes.len();
        encode(&mut bytes, 8, &reading(2));
        for cut in whole + 1..bytes.len() {
            let recovered = decode_all(&bytes[..cut]);
            assert_eq!(recovered.readings, vec![(7, reading(1))], "cut at {cut}");
            assert_eq!(recovered.stale_bytes, cut - whole);
        }
        // A flipped byte in the last payload fails its check.
        let last = bytes.len() - 2;
        bytes[last] ^= 0x20;
        assert_eq!(decode_all(&bytes).readings.len(), 1);
        // Zeros where a power cut left the file's end unwritten.
        let mut zeros = bytes[..whole].to_vec();
        zeros.extend_from_slice(&[0; 512]);
        assert_eq!(decode_all(&zeros).readings.len(), 1);
    }

    #[test]
    fn the_file_keeps_records_across_reopen_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let buffer = dir.path().join("r.db");
        let (mut journal, recovered) = Journal::open(&journal_path(&buffer, None)).unwrap();
        assert!(recovered.readings.is_empty());
        journal
            .append(&records(&[(1, reading(1)), (2, reading(2))]))
            .unwrap();
        drop(journal);
        let (mut journal, recovered) = Journal::open(&journal_path(&buffer, None)).unwrap();
        assert_eq!(recovered.readings.len(), 2);
        journal.clear();
        journal.append(&records(&[(3, reading(3))])).unwrap();
        // One writer at a time: a second open (another daemon, `flush`) is refused while held.
        assert!(matches!(
            Journal::open(&journal_path(&buffer, None)),
            Err(StoreError::JournalInUse { .. })
        ));
        drop(journal);
        let (_, recovered) = Journal::open(&journal_path(&buffer, None)).unwrap();
        assert_eq!(recovered.readings, vec![(3, reading(3))]);
    }

    /// Emptied, the journal is written over in place: the file keeps its length (no
    /// truncation, no block freed and allocated again) and what was not written over yet is
    /// not read back, whether the new records are fewer or more than the old ones.
    #[test]
    fn emptying_writes_over_the_old_records_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let buffer = dir.path().join("r.db");
        let (mut journal, _) = Journal::open(&journal_path(&buffer, None)).unwrap();
        journal
            .append(&records(
                &(1..=4).map(|n| (n as i64, reading(n))).collect::<Vec<_>>(),
            ))
            .unwrap();
        let full = std::fs::metadata(journal_path(&buffer, None))
            .unwrap()
            .len();
        journal.clear();
        journal.append(&records(&[(5, reading(5))])).unwrap();
        assert_eq!(
            std::fs::metadata(journal_path(&buffer, None))
                .unwrap()
                .len(),
            full
        );
        assert_eq!(
            peek(&journal_path(&buffer, None)).unwrap(),
            vec![(5, reading(5))]
        );
        drop(journal);
        // Reopened, the next records go after the whole ones, over the stale rest.
        let (mut journal, recovered) = Journal::open(&journal_path(&buffer, None)).unwrap();
        assert_eq!(recovered.readings, vec![(5, reading(5))]);
        assert!(recovered.stale_bytes > 0);
        journal
            .append(&records(
                &(6..=9).map(|n| (n as i64, reading(n))).collect::<Vec<_>>(),
            ))
            .unwrap();
        assert_eq!(
            peek(&journal_path(&buffer, None))
                .unwrap()
                .iter()
                .map(|(seq, _)| *seq)
                .collect::<Vec<_>>(),
            (5..=9).collect::<Vec<_>>()
        );
        assert!(
            std::fs::metadata(journal_path(&buffer, None))
                .unwrap()
                .len()
                > full
        );
    }
}
