//! Property tests of the buffer (issue #7): any interleaving of insert, upload-ack, prune and
//! crash keeps the store's invariants, checked against a model after every step:
//!
//! - `seq` strictly increases and is never reused, whatever was deleted or rolled back;
//! - a row marked uploaded stays uploaded; values never change;
//! - a pending row disappears only through the size limit, and every such drop is counted
//!   (the `pending` of [`Pruned`]), after all uploaded rows are gone; retention removes only
//!   uploaded rows older than its limit;
//! - `status()` counts what is there.
//!
//! What "crash" means here, honestly: (1) the connection is dropped and the file reopened,
//! which is what a restart after SIGKILL sees (committed transactions are durable with
//! `synchronous = FULL`; `tests/suite/soak.rs` kills the real binary for that); (2) `insert_all`
//! fails half-way because the store refuses one row of the batch, so its transaction is
//! abandoned after some rows were written into it; (3) another writer inserts rows into a
//! transaction, spills them to the WAL and is closed without COMMIT. A power cut with torn
//! sector writes cannot be produced from inside one process; SQLite's own crash tests cover
//! that layer.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use rainforest_logger::reading::Reading;
use rainforest_logger::store::{Pruned, Store};
use rust_decimal::Decimal;

/// One step of an interleaving.
#[derive(Debug, Clone)]
enum Op {
    /// `insert_all` of this many new readings.
    Insert(usize),
    /// `insert_all` of this many readings whose `at`-th the store must refuse.
    InsertRefused { len: usize, at: usize },
    /// `mark_uploaded` of the pending rows these indexes pick, plus one already uploaded.
    Ack(Vec<prop::sample::Index>),
    /// Retention: prune uploaded rows older than this many minutes before "now".
    Retention(u32),
    /// Size limit: prune down to this percentage of the bytes in use.
    SizeLimit(u8),
    /// The process dies and the buffer is opened again.
    Reopen,
    /// Another writer dies inside a transaction holding this many rows.
    AbandonedWriter(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..16).prop_map(Op::Insert),
        1 => (2usize..8)
            .prop_flat_map(|len| (Just(len), 0..len))
            .prop_map(|(len, at)| Op::InsertRefused { len, at }),
        3 => prop::collection::vec(any::<prop::sample::Index>(), 0..6).prop_map(Op::Ack),
        1 => (0u32..120).prop_map(Op::Retention),
        1 => (0u8..100).prop_map(Op::SizeLimit),
        1 => Just(Op::Reopen),
        1 => (1usize..6).prop_map(Op::AbandonedWriter),
    ]
}

/// What the store must hold.
#[derive(Default)]
struct Model {
    rows: BTreeMap<i64, (Reading, bool)>,
    highest_seq: i64,
    dropped: u64,
    /// Readings made so far: the clock of the interleaving (one reading every 6 s).
    made: i64,
}

impl Model {
    fn now(&self) -> DateTime<Utc> {
        base() + chrono::Duration::seconds(6 * self.made)
    }

    fn next_reading(&mut self) -> Reading {
        let time = self.now();
        self.made += 1;
        Reading {
            meter_time: Some(time),
            demand_kw: Some(Decimal::new(self.made * 37 % 5000 - 1000, 3)),
            delivered_kwh: Some(Decimal::new(1_000_000 + self.made, 3)),
            received_kwh: Some(Decimal::ZERO),
            // A long label: ten rows fill a page, so size limits fall between rows.
            rate_label: Some(format!("{:-<360}", self.made)),
            ..common::empty_reading(time)
        }
    }

    fn pending(&self) -> Vec<i64> {
        let rows = self.rows.iter();
        rows.filter(|(_, (_, up))| !up).map(|(s, _)| *s).collect()
    }
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()
}

/// Applies `op` to the store and the model, checking what the call itself promises.
fn apply(store: &mut Option<Store>, path: &Path, model: &mut Model, op: &Op) {
    let s = store.as_mut().unwrap();
    match op {
        Op::Insert(n) => {
            let readings: Vec<Reading> = (0..*n).map(|_| model.next_reading()).collect();
            let seqs = s.insert_all(&readings).unwrap();
            assert_eq!(seqs.len(), *n);
            for (seq, reading) in seqs.into_iter().zip(readings) {
                assert!(seq > model.highest_seq, "seq {seq} reused");
                model.highest_seq = seq;
                model.rows.insert(seq, (reading, false));
            }
        }
        Op::InsertRefused { len, at } => {
            let mut readings: Vec<Reading> = (0..*len).map(|_| model.next_reading()).collect();
            // Beyond i64: the store refuses the row after inserting the ones before it.
            readings[*at].clock.monotonic_ms = u64::MAX;
            assert!(s.insert_all(&readings).is_err());
        }
        Op::Ack(picks) => {
            let pending = model.pending();
            let mut seqs: Vec<i64> = Vec::new();
            if !pending.is_empty() {
                seqs = picks
                    .iter()
                    .map(|i| pending[i.index(pending.len())])
                    .collect();
                seqs.sort_unstable();
                seqs.dedup();
            }
            let already = model.rows.iter().find(|(_, (_, up))| *up).map(|(s, _)| *s);
            let newly = seqs.len();
            seqs.extend(already);
            assert_eq!(s.mark_uploaded(&seqs).unwrap(), newly);
            for seq in seqs {
                model.rows.get_mut(&seq).unwrap().1 = true;
            }
        }
        Op::Retention(minutes) => {
            let before = model.now() - chrono::Duration::minutes(i64::from(*minutes));
            let before_ms = before.timestamp_millis();
            let expired: Vec<i64> = model
                .rows
                .iter()
                .filter(|(_, (r, up))| *up && r.time.timestamp_millis() < before_ms)
                .map(|(s, _)| *s)
                .collect();
            assert_eq!(
                s.prune_uploaded_before(before_ms).unwrap(),
                expired.len() as u64
            );
            for seq in expired {
                model.rows.remove(&seq);
            }
        }
        Op::SizeLimit(percent) => {
            let target = s.used_bytes().unwrap() * u64::from(*percent) / 100;
            let pruned = s.prune_to_size(target).unwrap();
            let left: Vec<i64> = s
                .readings_after(0, usize::MAX)
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect();
            let gone: Vec<(i64, bool, DateTime<Utc>)> = model
                .rows
                .iter()
                .filter(|(seq, _)| !left.contains(seq))
                .map(|(seq, (r, up))| (*seq, *up, r.time))
                .collect();
            let gone_pending = gone.iter().filter(|g| !g.1).count() as u64;
            assert_eq!(
                pruned,
                Pruned {
                    uploaded: gone.len() as u64 - gone_pending,
                    pending: gone_pending,
                },
                "every row removed is counted"
            );
            if gone_pending > 0 {
                assert!(
                    left.iter().all(|seq| !model.rows[seq].1),
                    "pending rows dropped while uploaded rows remain"
                );
                let newest_gone = gone.iter().filter(|g| !g.1).map(|g| g.2).max();
                let oldest_left = left.iter().map(|seq| model.rows[seq].0.time).min();
                assert!(
                    oldest_left.is_none_or(|o| Some(o) >= newest_gone),
                    "the oldest pending rows go first"
                );
            }
            model.dropped += gone_pending;
            for (seq, _, _) in gone {
                model.rows.remove(&seq);
            }
        }
        Op::Reopen => {
            *store = None;
            *store = Some(Store::open(path).unwrap());
        }
        Op::AbandonedWriter(n) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            // A tiny page cache makes SQLite spill the transaction's pages into the WAL
            // before it ends, as a long transaction on a busy machine would.
            conn.execute_batch("PRAGMA cache_size = 1; BEGIN IMMEDIATE;")
                .unwrap();
            for i in 0..*n {
                conn.execute(
                    "INSERT INTO readings (meter, time_ms, clock_synced, boot_id, monotonic_ms) \
                     VALUES ('0x0000000000000bad', ?1, 1, ?2, 1)",
                    rusqlite::params![i as i64, "x".repeat(3000)],
                )
                .unwrap();
            }
            drop(conn); // closed without COMMIT
        }
    }
}

/// The store holds exactly the model, and `status()` agrees.
fn check(store: &Store, model: &Model) {
    let rows = store.readings_after(0, usize::MAX).unwrap();
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
    let held: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let expected: Vec<i64> = model.rows.keys().copied().collect();
    assert_eq!(
        held, expected,
        "rows appeared or vanished outside the rules"
    );
    for row in &rows {
        let (reading, uploaded) = &model.rows[&row.seq];
        assert_eq!(&row.reading, reading, "seq {} changed", row.seq);
        assert_eq!(row.uploaded, *uploaded, "seq {} upload flag", row.seq);
    }
    let status = store.status().unwrap();
    let pending = model.pending();
    assert_eq!(status.readings_stored, rows.len() as u64);
    assert_eq!(status.pending_upload, pending.len() as u64);
    assert_eq!(
        status.first_pending,
        pending.iter().map(|seq| model.rows[seq].0.time).min()
    );
    assert_eq!(
        status.last_reading.map(|r| r.seq),
        rows.last().map(|r| r.seq)
    );
}

/// 64 interleavings per run unless `PROPTEST_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_keeps_the_invariants(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.db");
        let mut store = Some(Store::open(&path).unwrap());
        let mut model = Model::default();
        for op in &ops {
            apply(&mut store, &path, &mut model, op);
            check(store.as_ref().unwrap(), &model);
        }
        // After everything, a fresh insert still gets a seq above every seq ever handed out.
        store = None;
        let mut reopened = Store::open(&path).unwrap();
        let seq = reopened.insert(&model.next_reading()).unwrap();
        prop_assert!(seq > model.highest_seq);
        drop(store);
    }
}
