//! A real headless Chromium (Debian's `chromium` package), driven over the DevTools protocol
//! on the pipe it opens with `--remote-debugging-pipe` (JSON messages ending in a NUL byte, on
//! file descriptors 3 and 4): no driver, no WebSocket.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// How long one protocol command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The flags that keep Chromium from reaching anything but the page (no updates, no sync, no
/// first-run dialogs), and let it run as root in a container.
pub const QUIET_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A browser with one page open.
pub struct Browser {
    child: Child,
    commands: std::fs::File,
    replies: Receiver<Value>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium and opens `url` in a phone-sized window.
    pub fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (to_browser_read, to_browser_write) = pipe();
        let (from_browser_read, from_browser_write) = pipe();
        let mut command = Command::new("chromium");
        command
            .args(QUIET_FLAGS)
            .arg("--remote-debugging-pipe")
            .arg("--window-size=420,800")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            // Its singleton-socket directory goes in TMPDIR; a killed browser leaves it behind.
            .env("TMPDIR", profile.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (read_fd, write_fd) = (raw(&to_browser_read), raw(&from_browser_write));
        // SAFETY: only async-signal-safe calls (dup2) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                // Copies above 4 first, so neither dup2 can close the other's source.
                let read_high = libc::fcntl(read_fd, libc::F_DUPFD_CLOEXEC, 10);
                let write_high = libc::fcntl(write_fd, libc::F_DUPFD_CLOEXEC, 10);
                if read_high < 0
                    || write_high < 0
                    || libc::dup2(read_high, 3) < 0
                    || libc::dup2(write_high, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .expect("chromium runs (apt-get install -y chromium)");
        drop((to_browser_read, from_browser_write));
        let (sender, replies) = mpsc::channel();
        let mut from_browser = BufReader::new(std::fs::File::from(from_browser_read));
        std::thread::spawn(move || loop {
            let mut message = Vec::new();
            match from_browser.read_until(0, &mut message) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    message.pop();
                    let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                        continue;
                    };
                    if sender.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        let mut browser = Browser {
            child,
            commands: std::fs::File::from(to_browser_write),
            replies,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.call(None, "Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser
    }

    /// The text of every element with an `id`, read at one instant.
    pub fn texts(&mut self) -> HashMap<String, String> {
        let session = self.session.clone();
        let result = self.call(
            Some(&session),
            "Runtime.evaluate",
            json!({
                "expression": "Object.fromEntries([...document.querySelectorAll('[id]')]\
                               .map(e => [e.id, e.textContent]))",
                "returnByValue": true,
            }),
        );
        serde_json::from_value(result["result"]["value"].clone()).unwrap_or_default()
    }

    /// Waits (up to 20 s) until the page's texts satisfy `done`; returns them.
    pub fn wait_for(
        &mut self,
        what: &str,
        done: impl Fn(&HashMap<String, String>) -> bool,
    ) -> HashMap<String, String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let texts = self.texts();
            if done(&texts) {
                return texts;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the page never showed {what}: {texts:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one protocol command and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        loop {
            let reply = self
                .replies
                .recv_timeout(COMMAND_TIMEOUT)
                .unwrap_or_else(|_| panic!("no reply from chromium to {method}"));
            if reply["id"] == json!(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pipe: (read end, write end), both closed on exec (the child gets its copies by `dup2`).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let result = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(result, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn raw(fd: &OwnedFd) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}
