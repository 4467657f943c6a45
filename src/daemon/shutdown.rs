//! Waiting for the signal to stop: SIGTERM (systemd) or SIGINT (Ctrl-C).

use tokio::signal::unix::{signal, SignalKind};

/// Completes when the process receives SIGTERM or SIGINT. If the handlers cannot be
/// installed, logs why and never completes (the daemon then stops only by being killed, which
/// loses nothing committed).
pub async fn signal_received() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log::error!("cannot install signal handlers; stop the daemon with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => log::info!("SIGTERM received: stopping"),
        _ = int.recv() => log::info!("SIGINT received: stopping"),
    }
}
