//! One request, from routing to the framed reply. Never panics: every failure is a status.
//!
//! Order of checks: path (404) → method (405) → read and parse the body (counted per command)
//! → profile delay and `Stall` → `Unauthorized`/`ServiceUnavailable` faults → credentials
//! (401) → busy-profile 503 → bad or unsupported command (400) → the answer, then the
//! body-level faults.

use std::time::Duration;

use chrono::Utc;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ALLOW,
    AUTHORIZATION, CONNECTION, CONTENT_TYPE, DATE, LOCATION, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode, Version};

use super::auth::authorised;
use super::fault::{Delivery, Fault};
use super::framing::SimBody;
use super::meter::Presented;
use super::profile::Api;
use super::render::{self, Device, MeterView};
use super::render_legacy::{self, LegacyDevice};
use super::request::{self, Command};
use super::served::ServedReading;
use super::state::SimState;
use super::stats::UNPARSED_COMMAND;
use super::{POST_MANAGER, WIFI_KEY};

/// Request bodies are a few hundred bytes; anything bigger is not a command.
const MAX_BODY: usize = 64 * 1024;

/// The legacy EAGLE's 503 text (docs/eagle-api.md §4.1), used for every 503.
pub const BUSY_BODY: &str = "Timeout waiting for response";

/// Answer one request.
pub(crate) async fn handle(state: &SimState, req: Request<Incoming>) -> Response<SimBody> {
    let _in_flight = state.stats.begin();
    let version = req.version();
    let reply = answer(state, req).await;
    state.stats.status(reply.status.as_u16());
    reply.into_response(version, state.config.framing.chunked(version))
}

/// What the http side of a redirecting EAGLE 3 answers to every request: `301` to the same
/// path and query on `origin` (`https://192.168.7.1[:port]`), credentials or not.
pub(crate) fn redirect(
    state: &SimState,
    req: &Request<Incoming>,
    origin: &str,
) -> Response<SimBody> {
    let _in_flight = state.stats.begin();
    let version = req.version();
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut reply = Reply::text(StatusCode::MOVED_PERMANENTLY, "Moved Permanently");
    if let Ok(location) = HeaderValue::from_str(&format!("{origin}{path}")) {
        reply = reply.with(LOCATION, location);
    }
    state.stats.status(reply.status.as_u16());
    reply.into_response(version, state.config.framing.chunked(version))
}

async fn answer(state: &SimState, req: Request<Incoming>) -> Reply {
    if req.uri().path() != POST_MANAGER {
        return Reply::text(StatusCode::NOT_FOUND, "Not Found");
    }
    if req.method() != Method::POST {
        return Reply::text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
            .with(ALLOW, HeaderValue::from_static("POST"));
    }
    let credentials = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            return Reply::text(
                StatusCode::BAD_REQUEST,
                &format!("Bad Request: unreadable body ({e})"),
            )
        }
    };
    let parsed = request::parse(&body);
    state.stats.command(parsed.name.as_deref());
    // Arrival times at millisecond resolution (the log's timestamps) for the cadence bench.
    log::debug!(
        "request {}",
        parsed.name.as_deref().unwrap_or(UNPARSED_COMMAND)
    );

    let fault = state.fault();
    let stall = match fault {
        Some(Fault::Stall(d)) => d,
        _ => Duration::ZERO,
    };
    let jitter_ms = state.knobs.delay_jitter.as_millis() as u64;
    let delay = state.knobs.delay + Duration::from_millis(fastrand::u64(0..=jitter_ms)) + stall;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::Unauthorized) => return Reply::unauthorized(),
        Some(Fault::ServiceUnavailable) => {
            return Reply::text(StatusCode::SERVICE_UNAVAILABLE, BUSY_BODY)
        }
        _ => {}
    }
    let config = &state.config;
    if !authorised(
        credentials.as_deref(),
        &config.cloud_id,
        &config.install_code,
    ) {
        return Reply::unauthorized();
    }
    if state.busy_now() {
        return Reply::text(StatusCode::SERVICE_UNAVAILABLE, BUSY_BODY);
    }
    let command = match parsed.command {
        Ok(command) => command,
        Err(reason) => return Reply::bad_request(&reason),
    };
    match dispatch(state, command, fault) {
        Ok(body) => {
            let body = body.into_bytes();
            match fault {
                Some(f) => Reply::ok(f.rewrite(body)).delivered(f.delivery()),
                None => Reply::ok(body),
            }
        }
        Err(reason) => Reply::bad_request(&reason),
    }
}

/// The 200 body for a command, or why it is a 400. Unknown addresses, commands of the other
/// API generation and unknown commands are 400: the device's real answer is undocumented,
/// and this is the choice the client is written against.
fn dispatch(state: &SimState, command: Command, fault: Option<Fault>) -> Result<String, String> {
    let delivers = fault.is_none_or(Fault::delivers_values);
    let components = fault != Some(Fault::NoComponents);
    let dev = Device {
        knobs: &state.knobs,
        catalogue: &state.catalogue,
        network_interface: &state.device_mac,
    };
    match (state.knobs.api, command) {
        (
            Api::Legacy,
            Command::Legacy {
                query,
                json,
                mac_id,
            },
        ) => {
            let live = state.live_address();
            let legacy = LegacyDevice {
                knobs: &state.knobs,
                device_mac: &state.device_mac,
                meter_mac: &live,
                install_code: &state.config.install_code,
            };
            if let Some(mac) = mac_id {
                if !mac.eq_ignore_ascii_case(&live) && !mac.eq_ignore_ascii_case(&state.device_mac)
                {
                    return Err(format!("unknown MacId {mac}"));
                }
            }
            let snap = state.meter.now();
            let body = render_legacy::render(legacy, query, json, &snap);
            if delivers && render_legacy::carries_reading(query) {
                state
                    .served
                    .record(snap.tick, || render_legacy::served(legacy, &snap));
            }
            Ok(body)
        }
        (Api::Legacy, _) => Err("command not supported by this EAGLE (RFA-Z109)".to_string()),
        (Api::Eagle200, Command::Legacy { .. }) => {
            Err("legacy command not supported by this EAGLE-200".to_string())
        }
        (Api::Eagle200, Command::DeviceList) => {
            let snap = state.meter.now();
            Ok(render::device_list(dev, &state.meters(&snap, fault)))
        }
        (Api::Eagle200, Command::DeviceDetails { address }) => {
            let snap = state.meter.now();
            let meter = find(state.meters(&snap, fault), &address)?;
            Ok(render::device_details(dev, &meter, components))
        }
        (Api::Eagle200, Command::DeviceQuery { address, selection }) => {
            let snap = state.meter.now();
            let meter = find(state.meters(&snap, fault), &address)?;
            let reporting = meter.joined && fault != Some(Fault::NoValues);
            let values = reporting.then(|| Presented::new(&state.knobs, &snap));
            let body = render::device_query(dev, &meter, values.as_ref(), &selection, components);
            if let (Some(shown), true) = (&values, delivers && components) {
                state.served.record(snap.tick, || {
                    ServedReading::eagle200(&meter.address, &snap, shown)
                });
            }
            Ok(body)
        }
        (Api::Eagle200, Command::WifiStatus) => Ok(render::wifi_status(WIFI_KEY)),
    }
}

fn find(meters: Vec<MeterView>, address: &str) -> Result<MeterView, String> {
    meters
        .into_iter()
        .find(|m| m.address.eq_ignore_ascii_case(address))
        .ok_or_else(|| format!("unknown HardwareAddress {address}"))
}

/// A reply before framing.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    delivery: Delivery,
    extra: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    fn ok(body: Vec<u8>) -> Reply {
        Reply::new(StatusCode::OK, body)
    }

    fn text(status: StatusCode, text: &str) -> Reply {
        Reply::new(status, text.as_bytes().to_vec())
    }

    fn new(status: StatusCode, body: Vec<u8>) -> Reply {
        Reply {
            status,
            body,
            delivery: Delivery::AtOnce,
            extra: Vec::new(),
        }
    }

    fn delivered(mut self, delivery: Delivery) -> Reply {
        self.delivery = delivery;
        self
    }

    fn bad_request(reason: &str) -> Reply {
        Reply::text(StatusCode::BAD_REQUEST, &format!("Bad Request: {reason}"))
    }

    fn unauthorized() -> Reply {
        Reply::text(StatusCode::UNAUTHORIZED, "Unauthorized").with(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"EAGLE\""),
        )
    }

    fn with(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.extra.push((name, value));
        self
    }

    /// The device's headers (manual p.8) and the framing for this request.
    fn into_response(self, version: Version, chunked: bool) -> Response<SimBody> {
        let mut resp = Response::new(SimBody::new(self.body, chunked, self.delivery));
        *resp.status_mut() = self.status;
        let http10 = version < Version::HTTP_11;
        if http10 {
            // The device answers HTTP/1.0 in kind and closes the connection.
            *resp.version_mut() = Version::HTTP_10;
        }
        let h = resp.headers_mut();
        let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(date) = HeaderValue::from_str(&date) {
            h.insert(DATE, date);
        }
        h.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization"),
        );
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        if http10 {
            h.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        for (name, value) in self.extra {
            h.insert(name, value);
        }
        resp
    }
}
