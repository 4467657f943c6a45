//! The systemd notification protocol (`sd_notify`), written out: one datagram of
//! `KEY=value` lines to the socket named in `$NOTIFY_SOCKET`. No socket, no-op.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tells systemd how the service is doing. Clones share one socket.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    target: Option<Arc<Target>>,
    watchdog: Option<Duration>,
}

#[derive(Debug)]
struct Target {
    socket: UnixDatagram,
    address: SocketAddr,
    /// Set after the first failed send, so a vanished socket is logged once, not forever.
    failed: AtomicBool,
}

impl Notifier {
    /// The notifier systemd asked for through the environment (`env` answers lookups; pass
    /// [`crate::config::process_env`]): `NOTIFY_SOCKET` (a path, or `@name` for the abstract
    /// namespace) and `WATCHDOG_USEC` (honoured only if `WATCHDOG_PID`, when set, is this
    /// process). Without `NOTIFY_SOCKET` every call is a no-op.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Notifier {
        let Some(name) = env("NOTIFY_SOCKET").filter(|name| !name.is_empty()) else {
            return Notifier::default();
        };
        let target = match connect(&name) {
            Ok(target) => Some(Arc::new(target)),
            Err(e) => {
                log::warn!("cannot use NOTIFY_SOCKET {name}: {e}; systemd will not hear from us");
                None
            }
        };
        let for_us = env("WATCHDOG_PID").is_none_or(|pid| pid == std::process::id().to_string());
        let watchdog = env("WATCHDOG_USEC")
            .and_then(|usec| usec.parse::<u64>().ok())
            .filter(|&usec| usec > 0 && for_us)
            .map(Duration::from_micros);
        Notifier { target, watchdog }
    }

    /// The watchdog timeout systemd set (`WatchdogSec=`), if any: ping at least twice as often.
    pub fn watchdog_timeout(&self) -> Option<Duration> {
        self.watchdog
    }

    /// `READY=1`, with a status line.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// `STATUS=…`, shown by `systemctl status`.
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", one_line(status)));
    }

    /// `WATCHDOG=1`: the service is alive.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// `STOPPING=1`: shutting down on request.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    fn send(&self, message: &str) {
        let Some(target) = &self.target else {
            return;
        };
        match target
            .socket
            .send_to_addr(message.as_bytes(), &target.address)
        {
            Ok(_) => {
                target.failed.store(false, Ordering::Relaxed);
            }
            Err(e) if !target.failed.swap(true, Ordering::Relaxed) => {
                log::warn!("cannot notify systemd: {e}");
            }
            Err(e) => log::debug!("cannot notify systemd: {e}"),
        }
    }
}

/// An unbound, non-blocking datagram socket and the address to send to. Non-blocking: if
/// systemd's queue is full, a notification is dropped rather than stalling the runtime.
fn connect(name: &str) -> io::Result<Target> {
    let address = match name.strip_prefix('@') {
        Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name.as_bytes())?,
        None => SocketAddr::from_pathname(name)?,
    };
    let socket = UnixDatagram::unbound()?;
    socket.set_nonblocking(true)?;
    Ok(Target {
        socket,
        address,
        failed: AtomicBool::new(false),
    })
}

/// systemd's `STATUS=` is one line: later lines would be read as other assignments.
fn one_line(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn receive(socket: &UnixDatagram) -> String {
        let mut buffer = [0u8; 512];
        let n = socket.recv(&mut buffer).unwrap();
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier::from_env(&env(&[("NOTIFY_SOCKET", path.to_str().unwrap())]));
        notifier.ready("up\nand running");
        assert_eq!(receive(&listener), "READY=1\nSTATUS=up; and running");
        notifier.watchdog();
        assert_eq!(receive(&listener), "WATCHDOG=1");
        notifier.stopping();
        assert_eq!(receive(&listener), "STOPPING=1\nSTATUS=stopping");
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        let name = format!("rainforest-logger-test-{}", std::process::id());
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&address).unwrap();
        let notifier = Notifier::from_env(&env(&[("NOTIFY_SOCKET", &format!("@{name}"))]));
        notifier.status("LED healthy: logging");
        assert_eq!(receive(&listener), "STATUS=LED healthy: logging");
    }

    #[test]
    fn without_a_socket_nothing_happens() {
        let notifier = Notifier::from_env(&env(&[("WATCHDOG_USEC", "1000000")]));
        notifier.ready("x");
        notifier.watchdog();
        assert_eq!(notifier.watchdog_timeout(), None);
    }

    #[test]
    fn a_vanished_socket_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone");
        let notifier = Notifier::from_env(&env(&[("NOTIFY_SOCKET", path.to_str().unwrap())]));
        notifier.watchdog();
        notifier.watchdog();
    }

    #[test]
    fn watchdog_timeout_is_for_this_process_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let _listener = UnixDatagram::bind(&path).unwrap();
        let socket = path.to_str().unwrap();
        let me = std::process::id().to_string();
        let cases = [
            (vec![("WATCHDOG_USEC", "30000000")], Some(30_000)),
            (
                vec![("WATCHDOG_USEC", "500000"), ("WATCHDOG_PID", me.as_str())],
                Some(500),
            ),
            (
                vec![("WATCHDOG_USEC", "500000"), ("WATCHDOG_PID", "1")],
                None,
            ),
            (vec![("WATCHDOG_USEC", "0")], None),
            (vec![("WATCHDOG_USEC", "soon")], None),
            (vec![], None),
        ];
        for (mut pairs, expected) in cases {
            pairs.push(("NOTIFY_SOCKET", socket));
            let notifier = Notifier::from_env(&env(&pairs));
            assert_eq!(
                notifier.watchdog_timeout(),
                expected.map(Duration::from_millis),
                "{pairs:?}"
            );
        }
    }
}
