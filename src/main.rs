//! The `rainforest-logger` binary: parse the command line, start logging and the runtime, run
//! the command, turn its error into an exit code (0 ok, 1 user error, 2 runtime failure).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rainforest_logger::cli::{self, Cli, Command};

/// How long an idle thread of tokio's blocking pool (SQLite calls, DNS lookups, building an
/// object) is kept: longer than any poll interval, so the thread that wrote the last reading
/// writes the next one instead of a new thread being started and its stack faulted in again.
const BLOCKING_THREAD_KEEP_ALIVE: Duration = Duration::from_secs(3600);

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    one_malloc_arena();
    let runtime = match runtime_for(&cli.command) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::execute(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// One thread for everything but `fleet`: the daemon does one poll every few seconds and waits
/// the rest of the time, so a second worker thread only adds wake-ups (each event woke a
/// worker that then looked for work to steal) and memory. Blocking work (SQLite, whose
/// fsync may take a slow SD card a while) runs off that thread on tokio's blocking pool.
/// `fleet` reads thousands of heartbeats at once (TLS, gunzip, JSON) and uses both cores.
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::Fleet { .. } => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    builder
        .thread_keep_alive(BLOCKING_THREAD_KEEP_ALIVE)
        .enable_all()
        .build()
}

/// glibc gives each thread that allocates its own arena (up to 8 per core), and freed memory
/// stays in the arena it came from: with the runtime, the blocking pool and SQLite each
/// allocating, that is resident memory held several times over. One arena is enough for a
/// process that mostly waits; the locking it costs is uncontended.
fn one_malloc_arena() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
