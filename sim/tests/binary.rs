//! The `rainforest-eagle-sim` binary as the benches and the SD image's boot test run it: it
//! serves on the address it prints, answers the client's first command, and stops cleanly on
//! SIGTERM (as systemd stops the boot test's unit).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_rainforest-eagle-sim");

#[test]
fn simulate_serves_device_list_on_the_printed_address_and_stops_on_sigterm() {
    let mut child = Command::new(BINARY)
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--meter-update",
            "2s",
        ])
        .args(["--install-code", "7a3f9c2e5b8d1046"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    // "simulated EAGLE (eagle200-2019: …) at http://127.0.0.1:PORT/cgi-bin/post_manager, …"
    let addr = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_string();

    let body = "<Command><Name>device_list</Name></Command>";
    // Basic base64("0123ab:7a3f9c2e5b8d1046"): the default Cloud ID, the given Install Code.
    let request = format!(
        "POST /cgi-bin/post_manager HTTP/1.0\r\nHost: {addr}\r\n\
         Authorization: Basic MDEyM2FiOjdhM2Y5YzJlNWI4ZDEwNDY=\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    assert!(reply.contains("<DeviceList>"), "{reply}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn profiles_lists_every_profile_and_a_bad_period_is_refused_by_name() {
    let listed = Command::new(BINARY).arg("profiles").output().unwrap();
    assert!(listed.status.success());
    let stdout = String::from_utf8(listed.stdout).unwrap();
    for profile in rainforest_eagle_sim::Profile::ALL {
        assert!(
            stdout.contains(&profile.to_string()),
            "{profile} missing:\n{stdout}"
        );
    }

    let refused = Command::new(BINARY)
        .args(["simulate", "--listen", "127.0.0.1:0", "--meter-update", "2"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("--meter-update") && stderr.contains("\"2\" has no unit"),
        "{stderr}"
    );
}
