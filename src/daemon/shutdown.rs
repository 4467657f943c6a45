//! Waiting for the signal to stop: SIGTERM (systemd) or SIGINT (Ctrl-C).

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// Installs the SIGTERM and SIGINT handlers now and returns what completes when either signal
/// arrives. Installing at the call, not at the first poll, matters: a signal that arrives
/// while the daemon is still starting would otherwise take the default action and end the
/// process without its final commit. If the handlers cannot be installed, logs why and never
/// completes (the daemon then stops only by being killed, which loses nothing committed).
pub fn signal_received() -> impl std::future::Future<Output = ()> {
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            log::error!("cannot install signal handlers; stop the daemon with SIGKILL");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => log::info!("SIGTERM received: stopping"),
            _ = int.recv() => log::info!("SIGINT received: stopping"),
        }
    }
}

/// Fires a [`Shutdown`] for every task holding one.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// A task's copy of the stop signal.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A trigger and the first of its listeners (clone it for more).
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    /// Tells every listener to stop.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Completes once the trigger fired (or was dropped).
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
