//! The real `rainforest-logger run` as a child process: its config, its log, and the two ways
//! it ends (SIGTERM as systemd stops it, SIGKILL as a crash does).

use std::io::Read;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::rig::HOUSEHOLD;
use super::s3::{S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};

/// Where the child uploads to.
pub enum Target<'a> {
    /// A `file://` directory.
    Directory(&'a Path),
    /// The in-process S3 server.
    S3(&'a S3Server),
    /// Any S3 endpoint URL, with the test credentials.
    Endpoint(&'a str),
}

/// Writes a config for a logger polling the simulator at `eagle` every second into `db`,
/// committing every second (batched, through the journal, yet soon visible to the test),
/// uploading one-minute periods to `target` as soon as they are complete.
pub fn write_config(path: &Path, eagle: SocketAddr, db: &Path, target: Target<'_>) {
    write_config_for(path, &format!("http://{eagle}"), db, target);
}

/// [`write_config`] with `eagle.host = host`.
pub fn write_config_for(path: &Path, host: &str, db: &Path, target: Target<'_>) {
    write_config_timed(path, host, (db, None), target, "1s", "1m");
}

/// [`write_config_for`] with `storage.commit_interval`, `storage.journal_dir` (`None`: not
/// set, the journal beside the buffer) and `s3.batch_period` of the test's choosing. Readings
/// go into the database at every commit (`storage.database_interval` = `commit_interval`),
/// where the tests read them.
pub fn write_config_timed(
    path: &Path,
    host: &str,
    (db, journal_dir): (&Path, Option<&Path>),
    target: Target<'_>,
    commit_interval: &str,
    batch_period: &str,
) {
    let s3 = s3_section(target);
    let journal_dir = journal_dir.map_or(String::new(), |dir| {
        format!("journal_dir = '{}'\n", dir.display())
    });
    let config = format!(
        r#"
[household]
id = "{HOUSEHOLD}"
[eagle]
host = "{host}"
cloud_id = "{}"
install_code = "{}"
poll_interval = "1s"
timeout = "2s"
[storage]
path = '{}'
commit_interval = "{commit_interval}"
database_interval = "{commit_interval}"
{journal_dir}[s3]
{s3}
batch_period = "{batch_period}"
fleet_spread = "0s"
[led]
backend = "none"
[clock]
require_sync = false
"#,
        super::CLOUD_ID,
        super::INSTALL_CODE,
        db.display(),
    );
    std::fs::write(path, config).unwrap();
}

/// The `[s3]` lines (after the header) reaching `target`.
fn s3_section(target: Target<'_>) -> String {
    let s3_endpoint = |endpoint: &str| {
        format!(
            "bucket = \"{BUCKET}\"\nendpoint = \"{endpoint}\"\npath_style = true\n\
             access_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\""
        )
    };
    match target {
        Target::Directory(dir) => format!("endpoint = 'file://{}'", dir.display()),
        Target::S3(server) => s3_endpoint(&server.endpoint()),
        Target::Endpoint(endpoint) => s3_endpoint(endpoint),
    }
}

/// A staff config for `fleet` reading `target` (the household id is not used), hourly periods.
pub fn write_admin_config(path: &Path, target: Target<'_>) {
    let config = format!(
        "[household]\nid = \"staff\"\n[eagle]\nhost = \"127.0.0.1\"\ncloud_id = \"0123ab\"\n\
         install_code = \"0123456789abcdef\"\n[s3]\n{}\n",
        s3_section(target)
    );
    std::fs::write(path, config).unwrap();
}

/// What `rainforest-logger status --config CONFIG` printed, once it exited with success.
pub fn status(config: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["status", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

/// A running logger.
pub struct Logger {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Logger {
    /// Starts `rainforest-logger run --config CONFIG` with warnings logged. `SIGXFSZ` is
    /// ignored in the child, as a write beyond a file-size limit must fail with `EFBIG`
    /// rather than kill the process (the storage-full case relies on it; elsewhere it changes
    /// nothing).
    pub fn start(config: &Path) -> Logger {
        Logger::start_logging(config, "warn")
    }

    /// [`Logger::start`] with `RUST_LOG` set to `filter`.
    pub fn start_logging(config: &Path, filter: &str) -> Logger {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rainforest-logger"));
        command
            .args(["run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", filter)
            .env_remove("NOTIFY_SOCKET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start rainforest-logger run");
        // A pipe, not a file: the log must not count against a file-size limit.
        let mut stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Logger { child, log }
    }

    /// The child's process id.
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap()
    }

    /// Everything the child logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL, then reap.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then wait for the clean exit.
    pub fn stop(mut self) {
        // SAFETY: signalling our own child, which has not been reaped yet.
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGTERM) }, 0);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}; log:\n{}", self.log());
    }
}

/// `PRAGMA integrity_check` of the database at `db`.
pub fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}
