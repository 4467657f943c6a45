//! The 2026 EAGLE 3 over https: certificate pinning (trust on first use, kept in the buffer,
//! or pinned in the config), the http → https redirect, other redirects, and `probe`'s
//! patience and escaping. Real client, daemon and binary against the simulator (or a scripted
//! server for what the simulator does not model) on loopback.

use crate::common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::binary::{write_config_for, Logger, Target};
use common::rig::wait_until;
use common::scripted::{Scripted, ScriptedServer};
use rainforest_eagle_sim::{self as sim, Fault, Profile, SimConfig, SimHandle};
use rainforest_logger::eagle::{Eagle, EagleError, Fingerprint, PinSource};
use rainforest_logger::store::Store;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

async fn simulator(listen: SocketAddr, profile: Profile) -> SimHandle {
    sim::start(
        listen,
        SimConfig {
            profile,
            meter_update: Some(Duration::from_millis(500)),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

/// The fingerprint of the certificate the simulator presents, as the logger reads it.
fn certificate_of(sim: &SimHandle) -> Option<Fingerprint> {
    sim.certificate_sha256().map(|hex| {
        hex.parse()
            .expect("the simulator's fingerprint is 64 hex digits")
    })
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// A config in `dir` for `eagle.host = host`, optionally pinning `pin`.
fn config(dir: &Path, host: &str, pin: Option<Fingerprint>) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let bucket = dir.join("bucket");
    write_config_for(
        &path,
        host,
        &dir.join("readings.db"),
        Target::Directory(&bucket),
    );
    if let Some(pin) = pin {
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "timeout = \"2s\"\n",
            &format!("timeout = \"2s\"\ncertificate_sha256 = \"{pin}\"\n"),
        );
        std::fs::write(&path, text).unwrap();
    }
    path
}

/// `rainforest-logger probe --config CONFIG`: exit code and stdout (stderr appended after a
/// marker line, for failure messages).
async fn probe(config: &Path) -> (Option<i32>, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["probe", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Readings in the buffer at `db` (opened beside a running logger, as `status` does).
fn stored(db: &Path) -> u64 {
    Store::open(db).unwrap().status().unwrap().readings_stored
}

fn kept(db: &Path) -> Option<Fingerprint> {
    Store::open(db).unwrap().eagle_certificate().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reads_an_https_only_eagle_and_prints_its_fingerprint() {
    let sim = simulator(loopback(), Profile::Eagle3Https).await;
    let fingerprint = certificate_of(&sim).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = probe(&config(dir.path(), &sim.base_url(), None)).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("certificate SHA-256 {fingerprint} (newly trusted")),
        "{stdout}"
    );
    assert!(stdout.contains("API      EAGLE-200/EAGLE 3"), "{stdout}");
    assert!(stdout.contains(&sim.meter_address()), "{stdout}");
    assert!(stdout.contains("demand "), "{stdout}");
    assert!(
        !dir.path().join("readings.db").exists(),
        "probe created a buffer"
    );

    // Pinned up front, as staff do at the office: check-config shows the pin, probe says it
    // matched.
    let pinned = config(dir.path(), &sim.base_url(), Some(fingerprint));
    let checked = tokio::process::Command::new(env!("CARGO_BIN_EXE_rainforest-logger"))
        .args(["check-config", pinned.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    let checked = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.contains(&format!(
            "  https pin   certificate SHA-256 {fingerprint}\n"
        )),
        "{checked}"
    );
    let (code, stdout, _) = probe(&pinned).await;
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "certificate SHA-256 {fingerprint} (matches eagle.certificate_sha256)"
        )),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_keeps_the_first_certificate_and_refuses_another_after_a_restart() {
    let first = simulator(loopback(), Profile::Eagle3Https).await;
    let addr = first.local_addr();
    let first_print = certificate_of(&first).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let trusting = config(dir.path(), &first.base_url(), None);

    let logger = Logger::start(&trusting);
    wait_until("readings over https, certificate kept", || {
        db.exists() && stored(&db) >= 2 && kept(&db) == Some(first_print)
    })
    .await;
    logger.stop();
    first.shutdown().await;
    let before = stored(&db);

    // Another device with another certificate answers at the same address.
    let second = simulator(addr, Profile::Eagle3Https).await;
    let second_print = certificate_of(&second).unwrap();
    assert_ne!(first_print, second_print);
    let logger = Logger::start_logging(&trusting, "info");
    wait_until("the refusal and the config-error LED", || {
        let log = logger.log();
        log.contains(&format!(
            "presented a certificate with SHA-256 {second_print}, but the one trusted on first \
             use and kept in the buffer has SHA-256 {first_print}: refused"
        )) && log.contains(&format!("eagle.certificate_sha256 = \"{second_print}\""))
            && log.contains("status LED: config error")
    })
    .await;
    // A few more polls: still nothing from it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    logger.stop();
    assert_eq!(
        stored(&db),
        before,
        "a reading was stored from the other certificate"
    );
    assert_eq!(
        second.stats().requests,
        0,
        "a request got past the handshake"
    );
    assert_eq!(
        kept(&db),
        Some(first_print),
        "the kept certificate was replaced"
    );

    // The documented way to accept it: pin the new fingerprint in the config.
    let accepting = config(dir.path(), &second.base_url(), Some(second_print));
    let logger = Logger::start(&accepting);
    wait_until("readings from the accepted certificate", || {
        stored(&db) >= before + 2 && kept(&db) == Some(second_print)
    })
    .await;
    logger.stop();
}

#[tokio::test]
async fn a_configured_pin_that_does_not_match_is_refused_on_the_first_connection() {
    let sim = simulator(loopback(), Profile::Eagle3Https).await;
    let mut settings = common::eagle_settings(&sim.base_url(), Duration::from_secs(2));
    let pin = Fingerprint::of(b"the certificate staff saw at the office");
    settings.certificate_sha256 = Some(pin);
    let mut eagle = Eagle::new(&settings).unwrap();
    let error = eagle.poll().await.unwrap_err();
    match &error {
        EagleError::CertificateChanged {
            presented,
            expected,
            pinned_by,
            ..
        } => {
            assert_eq!(Some(*presented), certificate_of(&sim));
            assert_eq!(*expected, pin);
            assert_eq!(*pinned_by, PinSource::Config);
        }
        other => panic!("expected a refused certificate, got {other}"),
    }
    assert!(
        error.is_credential_error(),
        "must show the config-error LED"
    );
    assert_eq!(eagle.newly_trusted(), None);
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eagle_that_redirects_to_https_is_polled_over_https_and_the_log_says_so_once() {
    let sim = simulator(loopback(), Profile::Eagle3Redirect).await;
    let https = sim.https_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readings.db");
    let logger = Logger::start(&config(dir.path(), &sim.base_url(), None));
    wait_until("readings over https", || db.exists() && stored(&db) >= 3).await;
    let log = logger.log();
    logger.stop();
    assert_eq!(
        log.matches("redirects http to https").count(),
        1,
        "log:\n{log}"
    );
    assert!(
        log.contains(&format!(
            "(Location: https://{}:{}/cgi-bin/post_manager): polling https://{https}/cgi-bin/post_manager instead; set eagle.host = \"https://{https}\" to skip the redirect",
            sim::ACCESS_POINT,
            https.port()
        )),
        "log:\n{log}"
    );
    assert_eq!(sim.stats().by_status.get(&301), Some(&1));
    assert_eq!(kept(&db), certificate_of(&sim));
}

/// A scripted EAGLE answering every request with a `status` redirect to `location`, and the
/// error of the one poll made of it.
async fn poll_redirected(status: u16, location: &str) -> (ScriptedServer, EagleError) {
    let redirecting = {
        let location = location.to_string();
        ScriptedServer::start(move |_| Scripted::redirect(status, &location)).await
    };
    let settings = common::eagle_settings(&redirecting.base_url(), Duration::from_secs(2));
    let error = Eagle::new(&settings).unwrap().poll().await.unwrap_err();
    (redirecting, error)
}

#[tokio::test]
async fn a_redirect_to_an_unreachable_https_address_names_the_redirect() {
    let closed = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let location = format!(
        "https://{}:{closed}/cgi-bin/post_manager",
        sim::ACCESS_POINT
    );
    let (redirecting, error) = poll_redirected(302, &location).await;
    let message = error.to_string();
    assert_eq!(error.kind(), "connect", "{message}");
    assert!(
        message.contains(&format!(
            "cannot connect to the EAGLE at https://127.0.0.1:{closed}/cgi-bin/post_manager"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "the EAGLE at {}/cgi-bin/post_manager redirected to {location}",
            redirecting.base_url()
        )),
        "{message}"
    );
    assert_eq!(redirecting.received().len(), 1);
}

#[tokio::test]
async fn other_redirects_are_errors_naming_their_target_and_the_credentials_stay_home() {
    let elsewhere = ScriptedServer::start(|_| Scripted::ok("<DeviceList/>")).await;
    let cases = [
        (
            307,
            format!("{}/cgi-bin/post_manager", elsewhere.base_url()),
            None,
        ),
        (
            302,
            "http://192.168.7.1/cgi-bin/post_manager".to_string(),
            None,
        ),
        (301, "/index.html".to_string(), None),
        (
            303,
            "http://x/\u{9b}2J\u{202e}lmth.exe".to_string(),
            Some("http://x/\\u{9b}2J\\u{202e}lmth.exe"),
        ),
    ];
    for (status, location, shown) in cases {
        let (redirecting, error) = poll_redirected(status, &location).await;
        let message = error.to_string();
        assert_eq!(error.kind(), "redirect", "{message}");
        assert!(
            message.contains(&format!(
                "answered HTTP {status} redirecting to {}; redirects are not followed",
                shown.unwrap_or(&location)
            )),
            "{message}"
        );
        assert!(!message.chars().any(char::is_control), "{message:?}");
        let asked = redirecting.received();
        assert_eq!(asked.len(), 1, "asked again after a {status}");
        assert!(asked[0].authorization.is_some());
    }
    assert!(
        elsewhere.received().is_empty(),
        "another host was asked, with credentials: {:?}",
        elsewhere.received()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_waits_out_a_busy_eagle_and_prints_what_it_met() {
    let sim = simulator(loopback(), Profile::Eagle200_2019).await;
    sim.set_fault(Some(Fault::EmptyBody));
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &sim.base_url(), None);
    let probing = tokio::spawn(async move { probe(&config).await });
    tokio::time::sleep(Duration::from_millis(2500)).await;
    sim.set_fault(Some(Fault::ServiceUnavailable));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    sim.set_fault(None);
    let (code, stdout, stderr) = probing.await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("met      malformed reply to device_list (empty-body): empty reply"),
        "{stdout}"
    );
    assert!(
        stdout.contains("met      the EAGLE is busy (HTTP 503) (trying again for up to"),
        "{stdout}"
    );
    assert!(stdout.contains(&sim.meter_address()), "{stdout}");
    assert!(stdout.contains("API      EAGLE-200/EAGLE 3"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_prints_eagle_text_with_control_and_bidi_characters_escaped() {
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let list = fixture("device_list_2019.xml");
    // C1 CSI (ESC [ to many terminals) and a right-to-left override: both legal in XML 1.0.
    let query = fixture("device_query_all_2019.xml").replace(
        "<Value>Block 1</Value>",
        "<Value>Block\u{9b}2J\u{202e}1</Value>",
    );
    let eagle = ScriptedServer::start(move |body| {
        if body.contains("device_list") {
            Scripted::ok(&list)
        } else {
            Scripted::ok(&query)
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = probe(&config(dir.path(), &eagle.base_url(), None)).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // The parser refuses a rate label with control characters (kept out of the buffer); probe
    // still shows what the EAGLE sent, escaped, in the warning.
    assert!(stdout.contains("rate label       —"), "{stdout}");
    assert!(
        stdout.contains("\"Block\\u{9b}2J\\u{202e}1\" holds control characters"),
        "{stdout}"
    );
    assert!(
        !stdout
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{stdout:?}"
    );
}

/// A server that presents `certificate` but signs the handshake with another key.
#[derive(Debug)]
struct WrongKey(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for WrongKey {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[tokio::test]
async fn a_pinned_certificate_without_its_private_key_is_refused() {
    let certified = rcgen::generate_simple_self_signed(vec!["192.168.7.1".to_string()]).unwrap();
    let certificate = certified.cert.der().clone();
    let other_key = rcgen::KeyPair::generate().unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signer = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            other_key.serialize_der(),
        )))
        .unwrap();
    let impostor = rustls::sign::CertifiedKey::new(vec![certificate.clone()], signer);
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(WrongKey(Arc::new(impostor))));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handshakes = tokio::spawn(async move {
        let mut completed = 0;
        while let Ok((stream, _)) = listener.accept().await {
            if acceptor.accept(stream).await.is_ok() {
                completed += 1;
            }
        }
        completed
    });

    let mut settings = common::eagle_settings(&format!("https://{addr}"), Duration::from_secs(2));
    settings.certificate_sha256 = Some(Fingerprint::of(certificate.as_ref()));
    let mut eagle = Eagle::new(&settings).unwrap();
    let error = eagle.poll().await.unwrap_err();
    let message = error.to_string();
    assert_eq!(error.kind(), "connect", "{message}");
    assert!(message.contains("ignature"), "{message}");
    assert_eq!(eagle.newly_trusted(), None);
    handshakes.abort();
}
