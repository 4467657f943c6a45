//! The poll loop's timing and bookkeeping, driven with paused tokio time and a fake meter.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rainforest_logger::daemon::MeterSource;
use rainforest_logger::eagle::{EagleError, MeterSample};
use rainforest_logger::store::Store;
use rust_decimal::Decimal;
use tokio::time::Instant;

const SIX_SECONDS: Duration = Duration::from_secs(6);

/// What the fake meter does on poll number `n` (0-based).
type Script = Box<dyn Fn(usize) -> Step + Send>;

enum Step {
    /// Answer at once with a reading whose LastContact is this many seconds after the epoch base.
    Reading {
        contact: i64,
        delivered: &'static str,
    },
    /// Take this long, then answer as `Reading`.
    Slow(Duration, i64),
    /// Fail with a timeout.
    Fail,
}

/// Poll `n` answers with reading `n` of `readings` (`(contact, delivered)`), and every later
/// poll with the last one again.
fn readings_then_the_last_again(readings: &'static [(i64, &'static str)]) -> Script {
    Box::new(move |n| {
        let (contact, delivered) = readings[n.min(readings.len() - 1)];
        Step::Reading { contact, delivered }
    })
}

struct FakeMeter {
    script: Script,
    polls: Arc<Mutex<Vec<Instant>>>,
    in_flight: Arc<Mutex<(u32, u32)>>,
}

fn sample(contact: i64, delivered: &str) -> MeterSample {
    MeterSample {
        demand_kw: Some(Decimal::new(-3712, 3)),
        delivered_kwh: Some(delivered.parse().unwrap()),
        received_kwh: Some(Decimal::ZERO),
        ..common::empty_sample(DateTime::<Utc>::from_timestamp(1_700_000_000 + contact, 0).unwrap())
    }
}

impl MeterSource for FakeMeter {
    async fn poll(&mut self) -> Result<MeterSample, EagleError> {
        let n = {
            let mut polls = self.polls.lock().unwrap();
            polls.push(Instant::now());
            polls.len() - 1
        };
        {
            let mut flight = self.in_flight.lock().unwrap();
            flight.0 += 1;
            flight.1 = flight.1.max(flight.0);
        }
        let result = match (self.script)(n) {
            Step::Reading { contact, delivered } => Ok(sample(contact, delivered)),
            Step::Slow(delay, contact) => {
                tokio::time::sleep(delay).await;
                Ok(sample(contact, "100"))
            }
            Step::Fail => Err(EagleError::Timeout(Duration::from_secs(10))),
        };
        self.in_flight.lock().unwrap().0 -= 1;
        result
    }
}

struct Run {
    polls: Vec<Instant>,
    max_in_flight: u32,
    store: Store,
    _dir: tempfile::TempDir,
}

/// Runs the daemon against the scripted meter for `length` of (paused) time.
async fn run_for(script: Script, length: Duration, dir: Option<tempfile::TempDir>) -> Run {
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let path = dir.path().join("readings.db");
    let polls = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(Mutex::new((0, 0)));
    let meter = FakeMeter {
        script,
        polls: Arc::clone(&polls),
        in_flight: Arc::clone(&in_flight),
    };
    let daemon = common::test_daemon(meter, &path, SIX_SECONDS);
    daemon.run(tokio::time::sleep(length)).await;
    let polls = polls.lock().unwrap().clone();
    let max_in_flight = in_flight.lock().unwrap().1;
    Run {
        polls,
        max_in_flight,
        store: Store::open(&path).unwrap(),
        _dir: dir,
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_ticks_without_drift() {
    // A new reading every 10th poll (the EAGLE buffers values), the rest repeats.
    let script: Script = Box::new(|n| Step::Reading {
        contact: (n / 10) as i64,
        delivered: "100",
    });
    let run = run_for(script, SIX_SECONDS * 999 + Duration::from_secs(3), None).await;
    assert_eq!(run.polls.len(), 1000);
    let start = run.polls[0];
    for (k, at) in run.polls.iter().enumerate() {
        assert_eq!(
            at.duration_since(start),
            SIX_SECONDS * k as u32,
            "poll {k} drifted"
        );
    }
    assert_eq!(run.max_in_flight, 1);
    // Only the distinct readings were stored, with consecutive seqs.
    let rows = run.store.readings_after(0, 10_000).unwrap();
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().enumerate().all(|(i, r)| r.seq == i as i64 + 1));
    let status = run.store.status().unwrap();
    let repeats = common::counter(&status, "poll.repeat");
    assert_eq!(repeats.count, 900);
}

#[tokio::test(start_paused = true)]
async fn a_slow_reply_delays_only_the_ticks_it_overlaps() {
    // Poll 2 (at 12 s) takes 8 s: the tick due at 18 s overlaps it and fires late, at 20 s when
    // the reply is in; the grid resumes at 24 s (no drift, no burst of catch-up polls).
    let script: Script = Box::new(|n| match n {
        2 => Step::Slow(Duration::from_secs(8), n as i64),
        _ => Step::Reading {
            contact: n as i64,
            delivered: "100",
        },
    });
    let run = run_for(script, Duration::from_secs(40), None).await;
    let start = run.polls[0];
    let offsets: Vec<u64> = run
        .polls
        .iter()
        .map(|t| t.duration_since(start).as_secs())
        .collect();
    assert_eq!(offsets, [0, 6, 12, 20, 24, 30, 36]);
    assert_eq!(run.max_in_flight, 1);
}

#[tokio::test(start_paused = true)]
async fn failures_are_counted_and_polling_goes_on() {
    let script: Script = Box::new(|n| {
        if n % 3 == 0 {
            Step::Fail
        } else {
            Step::Reading {
                contact: n as i64,
                delivered: "100",
            }
        }
    });
    let run = run_for(script, Duration::from_secs(57), None).await;
    assert_eq!(run.polls.len(), 10);
    let status = run.store.status().unwrap();
    let timeouts = common::counter(&status, "eagle.timeout");
    assert_eq!(timeouts.count, 4);
    assert!(timeouts
        .last_message
        .as_deref()
        .unwrap()
        .contains("did not answer"));
    assert_eq!(status.readings_stored, 6);
    assert_eq!(status.last_error.unwrap().name, "eagle.timeout");
}

#[tokio::test(start_paused = true)]
async fn reboot_zero_is_omitted_and_dedupe_survives_a_restart() {
    let script = readings_then_the_last_again(&[(0, "5120.115"), (6, "0.000000"), (12, "5120.2")]);
    let run = run_for(script, Duration::from_secs(20), None).await;
    let rows = run.store.readings_after(0, 10).unwrap();
    let delivered: Vec<Option<String>> = rows
        .iter()
        .map(|r| r.reading.delivered_kwh.map(|d| d.to_string()))
        .collect();
    assert_eq!(
        delivered,
        [Some("5120.115".into()), None, Some("5120.2".into())]
    );
    // Every reading keeps its other values.
    assert!(rows
        .iter()
        .all(|r| r.reading.demand_kw == Some(Decimal::new(-3712, 3))));

    // Restart on the same buffer: the EAGLE still serves LastContact 12 → a repeat, not a row;
    // then a 0 again right after restart is still the reboot artefact.
    let dir = run._dir;
    let script = readings_then_the_last_again(&[(12, "5120.2"), (18, "0")]);
    let second = run_for(script, Duration::from_secs(10), Some(dir)).await;
    let rows = second.store.readings_after(0, 10).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3].seq, 4);
    assert_eq!(rows[3].reading.delivered_kwh, None);
}
