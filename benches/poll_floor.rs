//! What one poll costs at the least: the floor under issue 14's CPU goal (≤ 0.15 ms a poll),
//! with the logger's own EAGLE client and without it. Four pollers run at once, each on a
//! thread of its own with a current-thread runtime (the daemon's shape) and against a
//! simulator of its own (`eagle200-2019`, the meter updating every 0.5 s, served from threads
//! of their own so that their work is not counted); each polls at the same rate, and its
//! thread's CPU time over the window (`/proc/thread-self/schedstat`, in nanoseconds, the
//! kernel's loopback TCP included) is divided by its polls:
//!
//! - `Eagle::poll`: the logger's client as the daemon calls it (reqwest and hyper, the reply
//!   parsed and decoded into a `MeterSample`), without the store, the health model or the LED;
//! - `Transport::post`: the logger's HTTP exchange alone (the reply's text, not parsed);
//! - `lean + parse`: one kept-alive TCP connection, the request written by hand and the reply's
//!   head read with httparse, then the logger's parse (`parse_device_query`);
//! - `lean`: that exchange alone, the least any client pays for a poll on loopback.
//!
//!     cargo bench --bench poll_floor [-- SECONDS [INTERVAL_MS]]   (defaults: 120 s, 1000 ms)

#[path = "../tests/suite/common/raw_http.rs"]
mod raw_http;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rainforest_eagle_sim::{self as sim, SimConfig};
use rainforest_logger::config::{ApiKind, EagleSettings, Secret};
use rainforest_logger::eagle::device_query::parse_device_query;
use rainforest_logger::eagle::transport::Transport;
use rainforest_logger::eagle::{request, Eagle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Polls before the window opens: connections made, the meter chosen, caches warm.
const WARM_UP: u32 = 5;

/// One way of reading the meter, as measured.
#[derive(Clone, Copy, Debug)]
enum Poller {
    EaglePoll,
    TransportPost,
    LeanParse,
    Lean,
}

impl Poller {
    const ALL: [Poller; 4] = [
        Poller::EaglePoll,
        Poller::TransportPost,
        Poller::LeanParse,
        Poller::Lean,
    ];

    fn name(self) -> &'static str {
        match self {
            Poller::EaglePoll => "Eagle::poll",
            Poller::TransportPost => "Transport::post",
            Poller::LeanParse => "lean + parse",
            Poller::Lean => "lean",
        }
    }
}

fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("arguments: SECONDS [INTERVAL_MS]"))
        .collect();
    let seconds = numbers.first().copied().unwrap_or(120);
    let interval = Duration::from_millis(numbers.get(1).copied().unwrap_or(1000));
    let polls = u32::try_from((seconds * 1000 / interval.as_millis() as u64).max(1)).unwrap();

    let simulators = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let threads: Vec<_> = Poller::ALL
        .into_iter()
        .map(|poller| {
            let config = SimConfig {
                meter_update: Some(Duration::from_millis(500)),
                ..SimConfig::default()
            };
            let simulator = simulators
                .block_on(sim::start(
                    SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                    config,
                ))
                .unwrap();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(measure(poller, simulator.local_addr(), polls, interval))
            })
        })
        .collect();
    println!(
        "{polls} polls at one every {interval:?} per poller, each its own thread and simulator"
    );
    println!("{:<16} {:>6} {:>12}", "poller", "polls", "CPU ms/poll");
    for (poller, thread) in Poller::ALL.into_iter().zip(threads) {
        let cpu_ns = thread.join().expect("a poller failed");
        println!(
            "{:<16} {:>6} {:>12.3}",
            poller.name(),
            polls,
            cpu_ns as f64 / 1e6 / f64::from(polls)
        );
    }
}

/// Warms the poller up, then returns the CPU time (ns) of `polls` polls on this thread.
async fn measure(poller: Poller, eagle: SocketAddr, polls: u32, interval: Duration) -> u64 {
    let mut client = Client::new(poller, eagle).await;
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..WARM_UP {
        ticks.tick().await;
        client.poll().await;
    }
    let start = thread_cpu_ns();
    for _ in 0..polls {
        ticks.tick().await;
        client.poll().await;
    }
    thread_cpu_ns() - start
}

/// The poller's state: the logger's client, or a connection of the lean client's own.
enum Client {
    Eagle(Eagle),
    Transport(Transport, String),
    /// `parse`: the reply goes through the logger's parse too.
    Lean {
        lean: Lean,
        parse: bool,
    },
}

impl Client {
    async fn new(poller: Poller, eagle: SocketAddr) -> Client {
        let settings = EagleSettings {
            base_url: format!("http://{eagle}"),
            // The simulator's own credentials, as the lean client's request carries them.
            cloud_id: SimConfig::default().cloud_id,
            install_code: Secret::new(SimConfig::default().install_code),
            api: ApiKind::Eagle200,
            meter: None,
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            certificate_sha256: None,
        };
        let mut eagle_client = Eagle::new(&settings).unwrap();
        // The meter's address, found the way the daemon finds it.
        eagle_client.poll().await.expect("the simulator answers");
        let meter = eagle_client.meter().expect("a meter was chosen").to_owned();
        let query = request::device_query_all(&meter);
        match poller {
            Poller::EaglePoll => Client::Eagle(eagle_client),
            Poller::TransportPost => {
                Client::Transport(Transport::new(&settings, None).unwrap(), query)
            }
            Poller::LeanParse | Poller::Lean => Client::Lean {
                lean: Lean::new(eagle, &query),
                parse: matches!(poller, Poller::LeanParse),
            },
        }
    }

    /// One poll. Any failure ends the bench: a figure that includes failed polls would be a
    /// different measurement.
    async fn poll(&mut self) {
        match self {
            Client::Eagle(eagle) => {
                let sample = eagle.poll().await.expect("Eagle::poll");
                assert!(sample.has_values(), "the simulator's meter has values");
            }
            Client::Transport(transport, query) => {
                let reply = transport
                    .post(query.clone())
                    .await
                    .expect("Transport::post");
                assert!(reply.contains("<Variable>"), "a device_query reply");
            }
            Client::Lean { lean, parse } => {
                let reply = lean.post().await;
                if *parse {
                    let sample = parse_device_query(&reply).expect("parse_device_query");
                    assert!(sample.has_values(), "the simulator's meter has values");
                } else {
                    assert!(reply.contains("<Variable>"), "a device_query reply");
                }
            }
        }
    }
}

/// HTTP/1.1 by hand over one kept-alive connection: the request written whole, the head
/// parsed by httparse, the body read by Content-Length or to its last chunk (as the profile
/// frames it) and joined by the simulator tests' `dechunk`.
struct Lean {
    eagle: SocketAddr,
    request: Vec<u8>,
    connection: Option<TcpStream>,
    buffer: Vec<u8>,
}

/// How the reply's body is delimited.
enum Framing {
    Length(usize),
    Chunked,
}

impl Lean {
    fn new(eagle: SocketAddr, query: &str) -> Lean {
        Lean {
            eagle,
            request: raw_http::raw_request("HTTP/1.1", query, "").into_bytes(),
            connection: None,
            buffer: Vec::with_capacity(32 * 1024),
        }
    }

    async fn post(&mut self) -> String {
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => TcpStream::connect(self.eagle).await.unwrap(),
        };
        connection.write_all(&self.request).await.unwrap();
        self.buffer.clear();
        let (head, framing, keep_alive) = loop {
            self.read_more(&mut connection).await;
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) = response.parse(&self.buffer).unwrap() {
                assert_eq!(response.code, Some(200));
                let header = |name: &str| {
                    response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).into_owned())
                };
                let framing = match header("content-length") {
                    Some(length) => Framing::Length(length.parse().unwrap()),
                    None => Framing::Chunked,
                };
                let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
                break (head, framing, !close);
            }
        };
        let body = match framing {
            Framing::Length(length) => {
                self.fill(&mut connection, head + length).await;
                self.buffer[head..head + length].to_vec()
            }
            Framing::Chunked => self.read_chunks(&mut connection, head).await,
        };
        if keep_alive {
            self.connection = Some(connection);
        }
        String::from_utf8(body).unwrap()
    }

    /// The chunked body that starts at `at` in the buffer, read up to its last, empty chunk.
    async fn read_chunks(&mut self, connection: &mut TcpStream, at: usize) -> Vec<u8> {
        while !self.buffer[at..].ends_with(b"\r\n0\r\n\r\n") {
            self.read_more(connection).await;
        }
        raw_http::dechunk(&self.buffer[at..])
    }

    async fn fill(&mut self, connection: &mut TcpStream, len: usize) {
        while self.buffer.len() < len {
            self.read_more(connection).await;
        }
    }

    async fn read_more(&mut self, connection: &mut TcpStream) {
        let read = connection.read_buf(&mut self.buffer).await.unwrap();
        assert!(read > 0, "the simulator closed the connection mid-reply");
    }
}

/// This thread's time on a CPU so far, user and kernel, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    schedstat
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}
