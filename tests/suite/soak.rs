//! SIGKILL soak (issue #7): the real `rainforest-logger run`, polling the simulator every
//! second and uploading one-minute periods to the in-process S3 server, is killed with
//! SIGKILL at a random moment of its life (start-up, poll, commit, gzip, PUT), restarted,
//! killed again, many times; then `flush` uploads what is complete and everything is
//! reconciled (`common::reconcile`).
//!
//! `SOAK_KILLS` sets the number of kills (default 3, a smoke run inside `cargo test`;
//! `.ci/run` runs 20; the figures in docs/reliability.md are from 100). `SOAK_SEED` replays a
//! run's kill moments. With 10 kills or more the run lasts until at least one period is
//! complete, so uploads are part of it.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::binary::{integrity, write_config, Logger, Target};
use common::rig::{wait_until, Finished};
use common::s3::{S3Server, BUCKET};
use rainforest_logger::store::Store;

/// The longest a logger lives before its kill: long enough for a poll, a commit and an upload
/// cycle, short enough that most kills land in the middle of one.
const MAX_LIFE_MS: u64 = 4_000;

/// How long the S3 server takes to answer: each start's heartbeat and each due period's PUT
/// are in flight for a good share of a logger's life.
const S3_LATENCY: Duration = Duration::from_millis(400);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, found {v:?}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let kills = env_number("SOAK_KILLS").unwrap_or(3);
    let seed = env_number("SOAK_SEED").unwrap_or_else(|| fastrand::u64(..));
    eprintln!("soak: {kills} kills, SOAK_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);

    // The EAGLE's meter updates every 2 s, the logger polls every second: as on a real
    // EAGLE (4–8 s), a reading whose reply died with the logger is usually served again.
    let simulator = common::start_simulator(Duration::from_secs(2)).await;
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start_slow(&dir.path().join("s3"), S3_LATENCY).await;
    let db = dir.path().join("readings.db");
    let config = dir.path().join("config.toml");
    write_config(&config, simulator.local_addr(), &db, Target::S3(&server));

    let started = Instant::now();
    let mut cuts = Vec::new();
    let mut lives = Vec::new();
    for kill in 0..kills {
        let logger = Logger::start(&config);
        let born = Instant::now();
        let life = Duration::from_millis(rng.u64(100..=MAX_LIFE_MS));
        tokio::time::sleep(life).await;
        if kill + 1 == kills {
            // Three short lives on a loaded machine can all end before the first poll; the
            // last one then lives on until the logger has read the EAGLE, so every run
            // exercises a kill after a read.
            wait_until("the logger's first read of the EAGLE", || {
                !simulator.served().is_empty()
            })
            .await;
        }
        logger.kill();
        cuts.push(simulator.served().len());
        lives.push(born.elapsed());
        if db.exists() {
            assert_eq!(integrity(&db), "ok", "after kill {kill}");
        }
    }

    if kills >= 10 {
        // A period is uploaded 30 s after it ends: wait for the first reading's period.
        let first = Store::open(&db).unwrap().readings_after(0, 1).unwrap();
        let first = first.first().expect("a reading was stored").reading.time;
        let due = first + chrono::Duration::seconds(60 + 31);
        while chrono::Utc::now() < due {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let flush = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["flush", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        flush.status.success(),
        "{}",
        String::from_utf8_lossy(&flush.stderr)
    );
    assert_eq!(integrity(&db), "ok");

    let served = simulator.served();
    cuts.push(served.len());
    let finished = Finished::collect(&db, &server.root.join(BUCKET), served, &cuts);
    let tally = &finished.tally;
    if kills >= 10 {
        assert!(tally.objects >= 1, "nothing was uploaded: {tally:?}");
    }
    assert!(
        tally.served > 0,
        "the logger never read the EAGLE: {tally:?}"
    );
    let mean_life = lives.iter().sum::<Duration>() / u32::try_from(kills.max(1)).unwrap();
    eprintln!(
        "soak: {kills} SIGKILLs (mean life {mean_life:?}, {} during an S3 request) in {:?}; \
         {} readings served, {} in S3 in {} objects, {} pending locally, {} lost in flight at \
         a kill, 0 duplicates, integrity ok after every kill",
        server.abandoned_requests(),
        started.elapsed(),
        tally.served,
        tally.in_bucket,
        tally.objects,
        tally.pending_only,
        tally.lost_in_flight,
    );
    simulator.shutdown().await;
}
