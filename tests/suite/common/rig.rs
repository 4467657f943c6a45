//! One logger in-process, assembled as `run` assembles it ([`Logger`]: poll loop, upload
//! engine, supervisor, LED none, a directory standing in for the bucket), against the EAGLE
//! simulator, on a [`ScaledClock`] so one-minute batch periods complete in fractions of a
//! second. Fault tests start one, turn
//! faults on and off while waiting for what the logger does, and end with
//! [`Rig::finish`], which reconciles.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rainforest_eagle_sim::{self as sim, Profile, ServedReading, SimConfig, SimHandle};
use rainforest_logger::clock::Clock;
use rainforest_logger::config::{Endpoint, LedBackend, Settings};
use rainforest_logger::daemon::{shutdown_channel, Daemon, DaemonEvent, ShutdownTrigger};
use rainforest_logger::eagle::Eagle;
use rainforest_logger::logger::{Logger, Parts};
use rainforest_logger::reading::StoredReading;
use rainforest_logger::store::{StatusReport, Store};
use rainforest_logger::upload::{DirSink, UploadEvent, UploadPolicy};
use tokio::task::JoinHandle;

use super::clock::ScaledClock;
use super::reconcile::{reconcile, Evidence, Layout, Tally};

/// The household every rig logs for.
pub const HOUSEHOLD: &str = "h-faults";

/// The batch period of every rig.
pub const PERIOD: Duration = Duration::from_secs(60);

/// How long any wait may take before the test fails: generous, for a machine busy compiling.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// How to build a rig.
pub struct RigConfig {
    /// The simulated EAGLE.
    pub sim: SimConfig,
    /// Time between polls.
    pub poll: Duration,
    /// The EAGLE client's timeout for one whole exchange.
    pub timeout: Duration,
    /// The logger's clock.
    pub clock: Arc<ScaledClock>,
}

impl RigConfig {
    /// `profile` with a meter that updates as often as the logger polls (300 ms), a 1 s
    /// timeout, and a synchronized clock running 60 times faster than real time.
    pub fn new(profile: Profile) -> RigConfig {
        let poll = Duration::from_millis(300);
        RigConfig {
            sim: SimConfig {
                profile,
                meter_update: Some(poll),
                ..SimConfig::default()
            },
            poll,
            timeout: Duration::from_secs(1),
            clock: ScaledClock::new(
                Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap(),
                60,
                true,
            ),
        }
    }
}

/// Waits until `done` holds, checking every 50 ms; fails the test after [`PATIENCE`].
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the rig's observers saw while it ran.
#[derive(Default)]
struct Seen {
    stored: Vec<StoredReading>,
    failures: BTreeMap<&'static str, usize>,
    uploads: usize,
}

/// A running logger and its simulator.
pub struct Rig {
    /// The simulated EAGLE.
    pub sim: SimHandle,
    /// The logger's clock.
    pub clock: Arc<ScaledClock>,
    dir: tempfile::TempDir,
    seen: Arc<Mutex<Seen>>,
    trigger: ShutdownTrigger,
    tasks: Vec<JoinHandle<()>>,
}

/// What a finished rig left behind, already reconciled.
pub struct Finished {
    /// The reconciliation's counts.
    pub tally: Tally,
    /// Every row of the buffer.
    pub local: Vec<StoredReading>,
    /// Every object in the bucket.
    pub objects: BTreeMap<String, Vec<u8>>,
    /// The buffer's status report (counters included).
    pub status: StatusReport,
    /// Poll failures by kind.
    pub failures: BTreeMap<&'static str, usize>,
}

impl Rig {
    /// Starts the simulator and the logger.
    pub async fn start(config: RigConfig) -> Rig {
        let sim = sim::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config.sim)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("http://{}", sim.local_addr());
        let mut settings = settings(HOUSEHOLD, &url, dir.path());
        settings.eagle.poll_interval = config.poll;
        settings.eagle.timeout = config.timeout;
        let clock = config.clock;
        let sink = DirSink::new(&dir.path().join("bucket"));
        let mut parts = parts(settings, clock.clone(), sink);
        parts.policy = policy();
        let logger = Logger::assemble(parts).await.unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut tasks = vec![watch_daemon(logger.events(), seen.clone())];
        tasks.push(watch_uploads(logger.uploads(), seen.clone()));
        let (trigger, shutdown) = shutdown_channel();
        tasks.push(tokio::spawn(logger.run(shutdown.wait())));
        Rig {
            sim,
            clock,
            dir,
            seen,
            trigger,
            tasks,
        }
    }

    /// Waits until `done` holds (see [`wait_until`]).
    pub async fn wait_for(&self, what: &str, done: impl Fn(&Rig) -> bool) {
        wait_until(what, || done(self)).await;
    }

    /// Waits until `more` readings beyond those stored now are stored.
    pub async fn wait_for_more_readings(&self, more: usize) {
        let target = self.stored().len() + more;
        self.wait_for(&format!("{target} stored readings"), |rig| {
            rig.stored().len() >= target
        })
        .await;
    }

    /// Waits until `more` poll failures of `kind` beyond those seen now have happened.
    pub async fn wait_for_failures(&self, kind: &str, more: usize) {
        let target = self.failures(kind) + more;
        self.wait_for(&format!("{target} poll failures of kind {kind}"), |rig| {
            rig.failures(kind) >= target
        })
        .await;
    }

    /// Every reading stored so far, in seq order.
    pub fn stored(&self) -> Vec<StoredReading> {
        self.seen.lock().unwrap().stored.clone()
    }

    /// Poll failures of `kind` so far.
    pub fn failures(&self, kind: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.failures.get(kind).copied().unwrap_or(0)
    }

    /// Objects uploaded so far.
    pub fn uploads(&self) -> usize {
        self.seen.lock().unwrap().uploads
    }

    /// The directory standing in for the bucket.
    pub fn bucket(&self) -> PathBuf {
        self.dir.path().join("bucket")
    }

    /// The buffer's path.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("readings.db")
    }

    /// Stops the logger (as SIGTERM does), then the simulator, and reconciles.
    pub async fn finish(self) -> Finished {
        self.trigger.fire();
        let (db, bucket) = (self.db(), self.bucket());
        for task in self.tasks {
            task.await.unwrap();
        }
        let served = self.sim.served();
        self.sim.shutdown().await;
        let cuts = [served.len()];
        let mut finished = Finished::collect(&db, &bucket, served, &cuts);
        finished.failures = self.seen.lock().unwrap().failures.clone();
        finished
    }
}

impl Finished {
    /// Reconciles the buffer `db` and the bucket directory `bucket` against `served`; `cuts`
    /// are the served log's lengths at every kill or stop of the logger.
    pub fn collect(
        db: &Path,
        bucket: &Path,
        served: Vec<ServedReading>,
        cuts: &[usize],
    ) -> Finished {
        let store = Store::open(db).unwrap();
        let local = store.readings_after(0, usize::MAX).unwrap();
        let status = store.status().unwrap();
        let objects = super::s3::objects_in(bucket);
        let tally = reconcile(
            &Layout::new(HOUSEHOLD, PERIOD),
            &Evidence {
                served: &served,
                objects: &objects,
                local: &local,
                cuts,
            },
        );
        // Shown with --nocapture: the figures of docs/reliability.md.
        eprintln!("reconciled: {tally:?}");
        Finished {
            tally,
            local,
            objects,
            status,
            failures: BTreeMap::new(),
        }
    }
}

/// The shipped example config, changed for a logger for `household` in `dir` (buffer
/// `readings.db`, its journal beside it, a `bucket` directory for the objects) polling the EAGLE at `eagle_url` with
/// the simulator's credentials every second: one-minute periods, every reading committed at
/// once, no LED, no page, the clock's sync required. Tests change the fields they need.
pub fn settings(household: &str, eagle_url: &str, dir: &Path) -> Settings {
    let example = include_str!("../../../config/example.toml");
    let source = Path::new("config/example.toml");
    let mut settings = Settings::from_toml_str(example, source, &|_| None).unwrap();
    settings.household.id = household.to_string();
    settings.eagle = super::eagle_settings(eagle_url, Duration::from_secs(1));
    settings.storage.path = dir.join("readings.db");
    settings.storage.commit_interval = Duration::ZERO;
    settings.storage.database_interval = Duration::ZERO;
    settings.storage.journal_dir = None;
    settings.s3.endpoint = Endpoint::Directory(dir.join("bucket"));
    settings.s3.batch_period = PERIOD;
    settings.s3.fleet_spread = Duration::ZERO;
    settings.led.backend = LedBackend::None;
    settings
}

/// The parts `run` assembles for `settings` (the daemon opens the buffer as `run` opens it),
/// on `clock`, uploading to `sink`; tests then change the policy or the timing.
pub fn parts<K>(settings: Settings, clock: Arc<dyn Clock>, sink: K) -> Parts<Eagle, K> {
    let daemon = Daemon::from_settings(&settings, clock.clone()).unwrap();
    Parts::new(settings, daemon, sink, clock)
}

/// The upload policy of every rig: one-minute periods, settling 1 s and checking every 100 ms
/// of real time, so that periods go out promptly on the rig's fast clock.
pub fn policy() -> UploadPolicy {
    UploadPolicy {
        settle: Duration::from_secs(1),
        check_every: Duration::from_millis(100),
        ..super::s3::policy(HOUSEHOLD, "", PERIOD)
    }
}

fn watch_daemon(
    mut events: tokio::sync::broadcast::Receiver<DaemonEvent>,
    seen: Arc<Mutex<Seen>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => panic!("the rig missed {missed} events"),
                Err(RecvError::Closed) => return,
            };
            let mut seen = seen.lock().unwrap();
            match event {
                DaemonEvent::Stored(row) => seen.stored.push(*row),
                DaemonEvent::PollFailed { kind, .. } => {
                    *seen.failures.entry(kind).or_default() += 1
                }
                DaemonEvent::StorageFailed { .. } | DaemonEvent::Repeat | DaemonEvent::NoValues => {
                }
            }
        }
    })
}

fn watch_uploads(
    mut events: tokio::sync::broadcast::Receiver<UploadEvent>,
    seen: Arc<Mutex<Seen>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match events.recv().await {
                Ok(UploadEvent::Uploaded(_)) => seen.lock().unwrap().uploads += 1,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    })
}
