//! The EAGLE simulator driven over real loopback HTTP: raw TCP for framing, reqwest for the rest.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::raw_http::{dechunk, raw_request};
use rainforest_eagle_sim::{
    self as sim, Fault, Framing, Profile, ServedReading, SimConfig, SimHandle, BUSY_BODY, WIFI_KEY,
};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLOUD_ID: &str = "0123ab";
const INSTALL_CODE: &str = "0123456789abcdef";
const DEVICE_LIST: &str = "<Command><Name>device_list</Name></Command>";
/// Long enough that the meter does not move during a test that compares bodies.
const FROZEN: Option<Duration> = Some(Duration::from_secs(3600));

async fn sim(config: SimConfig) -> SimHandle {
    sim::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("simulator starts")
}

async fn sim_with(profile: Profile, meter_update: Option<Duration>) -> SimHandle {
    sim(SimConfig {
        meter_update,
        ..SimConfig::with_profile(profile)
    })
    .await
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn post_as(sim: &SimHandle, creds: Option<(&str, &str)>, body: &str) -> Reply {
    let mut req = reqwest::Client::new()
        .post(sim.url())
        .header("Content-Type", "text/xml")
        .body(body.to_string());
    if let Some((user, pass)) = creds {
        req = req.basic_auth(user, Some(pass));
    }
    let resp = req.send().await.expect("request completes");
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.expect("body").to_vec(),
    }
}

async fn post(sim: &SimHandle, body: &str) -> Reply {
    post_as(sim, Some((CLOUD_ID, INSTALL_CODE)), body).await
}

/// POST and expect a 200 with a text body.
async fn ok(sim: &SimHandle, body: &str) -> String {
    let r = post(sim, body).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.text()
}

fn query_all(address: &str) -> String {
    format!("<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>{address}</HardwareAddress></DeviceDetails><Components><All>Y</All></Components></Command>")
}

fn query_vars(address: &str, names: &[&str]) -> String {
    let vars: String = names
        .iter()
        .map(|n| format!("<Variable><Name>{n}</Name></Variable>"))
        .collect();
    format!("<Command><Name>device_query</Name><DeviceDetails><HardwareAddress>{address}</HardwareAddress></DeviceDetails><Components><Component><Name>Main</Name><Variables>{vars}</Variables></Component></Components></Command>")
}

fn legacy(name: &str, json: bool) -> String {
    let format = if json { "<Format>JSON</Format>" } else { "" };
    format!("<Command><Name>{name}</Name>{format}</Command>")
}

/// `(Name, Value)` of every `<Variable>` of a device_query reply, in order.
fn variables(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("Variable"))
        .map(|v| {
            let field = |tag| {
                v.children()
                    .find(|c| c.has_tag_name(tag))
                    .and_then(|c| c.text())
                    .unwrap_or("")
                    .to_string()
            };
            (field("Name"), field("Value"))
        })
        .collect()
}

fn value(xml: &str, name: &str) -> String {
    variables(xml)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{name} missing"))
}

/// The text of the first element called `tag`.
fn first(xml: &str, tag: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let node = doc.descendants().find(|n| n.has_tag_name(tag))?;
    Some(node.text().unwrap_or("").to_string())
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

/// A decimal with an optional inline unit (`2.790000`, `21.499 kW`).
fn number(value: &str) -> Decimal {
    value
        .split_whitespace()
        .next()
        .expect("a number")
        .parse()
        .expect("decimal")
}

fn served_at(sim: &SimHandle, last_contact: &str) -> ServedReading {
    let t = hex(last_contact) as i64;
    sim.served()
        .into_iter()
        .find(|r| r.meter_time.timestamp() == t)
        .expect("the reading was logged as served")
}

/// Send a raw request, read until the server closes; returns (head, raw body).
async fn raw_exchange(addr: SocketAddr, request: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("server closes the connection")
        .unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    (
        String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase(),
        buf[split + 4..].to_vec(),
    )
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

#[tokio::test]
async fn http10_gets_content_length_and_close() {
    let sim = sim(SimConfig::default()).await;
    let (head, body) =
        raw_exchange(sim.local_addr(), &raw_request("HTTP/1.0", DEVICE_LIST, "")).await;
    assert!(head.starts_with("http/1.0 200"), "{head}");
    assert_eq!(
        header(&head, "content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(header(&head, "transfer-encoding"), None);
    assert_eq!(header(&head, "connection"), Some("close"));
    assert_eq!(header(&head, "content-type"), Some("text/html"));
    assert_eq!(
        header(&head, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        header(&head, "access-control-allow-headers"),
        Some("authorization")
    );
    assert!(header(&head, "date").is_some_and(|d| d.ends_with("gmt")));
    assert_eq!(head.lines().filter(|l| l.starts_with("date:")).count(), 1);
    assert!(String::from_utf8(body).unwrap().starts_with("<DeviceList>"));
}

#[tokio::test]
async fn http11_gets_chunked_unless_configured_otherwise() {
    let sim_auto = sim(SimConfig::default()).await;
    let req = raw_request("HTTP/1.1", DEVICE_LIST, "Connection: close\r\n");
    let (head, raw) = raw_exchange(sim_auto.local_addr(), &req).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(header(&head, "transfer-encoding"), Some("chunked"));
    assert_eq!(header(&head, "content-length"), None);
    let body = String::from_utf8(dechunk(&raw)).unwrap();
    assert!(body.starts_with("<DeviceList>") && body.trim_end().ends_with("</DeviceList>"));
    // Several chunks, so a client really reassembles.
    assert!(raw.windows(2).filter(|w| w == b"\r\n").count() > 4);

    let sim_cl = sim(SimConfig {
        framing: Framing::ContentLength,
        ..SimConfig::default()
    })
    .await;
    let (head, body) = raw_exchange(sim_cl.local_addr(), &req).await;
    assert_eq!(header(&head, "transfer-encoding"), None);
    assert_eq!(
        header(&head, "content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[tokio::test]
async fn credentials_are_required() {
    let sim = sim(SimConfig::default()).await;
    for creds in [
        None,
        Some((CLOUD_ID, "ffffffffffffffff")),
        Some(("abcdef", INSTALL_CODE)),
    ] {
        let r = post_as(&sim, creds, DEVICE_LIST).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{creds:?}");
        assert_eq!(r.headers["www-authenticate"], "Basic realm=\"EAGLE\"");
        assert!(!r.body.is_empty() && r.body.len() < 100);
    }
    // The Cloud ID is hex: its case does not matter.
    let r = post_as(&sim, Some(("0123AB", INSTALL_CODE)), DEVICE_LIST).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/html");
}

#[tokio::test]
async fn only_post_to_post_manager() {
    let sim = sim(SimConfig::default()).await;
    let client = reqwest::Client::new();
    let wrong_path = format!("http://{}/cgi-bin/cgi_manager", sim.local_addr());
    let r = client
        .post(wrong_path)
        .body(DEVICE_LIST)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client.get(sim.url()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn device_list_shape() {
    let sim = sim(SimConfig::default()).await;
    let xml = ok(&sim, DEVICE_LIST).await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "DeviceList");
    let devices: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(devices.len(), 1);
    let fields: Vec<(&str, &str)> = devices[0]
        .children()
        .filter(|n| n.is_element())
        .map(|n| (n.tag_name().name(), n.text().unwrap_or("")))
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    // The 2019 fixture's device_list has no <Name>.
    assert_eq!(
        names,
        [
            "HardwareAddress",
            "Manufacturer",
            "ModelId",
            "Protocol",
            "LastContact",
            "ConnectionStatus",
            "NetworkAddress"
        ]
    );
    let get = |k: &str| fields.iter().find(|f| f.0 == k).unwrap().1;
    let address = get("HardwareAddress");
    assert_eq!(address, sim.meter_address());
    assert!(address.len() == 18 && address.starts_with("0x"));
    assert!(address[2..]
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    let last_contact = get("LastContact");
    assert_eq!(last_contact.len(), 10);
    let now = chrono::Utc::now().timestamp();
    assert!(
        (hex(last_contact) as i64 - now).abs() < 60,
        "LastContact is Unix time"
    );
    assert_eq!(get("ModelId"), "electric_meter");
    assert_eq!(get("ConnectionStatus"), "Connected");
    assert_eq!(get("NetworkAddress"), "0x0000");
}

#[tokio::test]
async fn stale_meter_is_listed_first() {
    let sim = sim_with(Profile::StaleMeterFirst, None).await;
    let xml = ok(&sim, DEVICE_LIST).await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let devices: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Device"))
        .collect();
    assert_eq!(devices.len(), 2);
    let text = |d: roxmltree::Node, tag| {
        d.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(text(devices[0], "Name"), "Power Meter");
    assert_eq!(text(devices[0], "ConnectionStatus"), "Not joined");
    assert_eq!(text(devices[0], "LastContact"), "0x00000000");
    assert_eq!(text(devices[0], "NetworkAddress"), "0xffff");
    assert_eq!(text(devices[1], "ConnectionStatus"), "Connected");
    assert_eq!(text(devices[1], "HardwareAddress"), sim.meter_address());
    let stale = text(devices[0], "HardwareAddress");
    assert_ne!(stale, sim.meter_address());

    // The stale meter answers queries with empty values and serves no reading.
    let xml = ok(&sim, &query_all(&stale)).await;
    assert!(variables(&xml).iter().all(|(_, v)| v.is_empty()));
    assert!(sim.served().is_empty());
    let xml = ok(&sim, &query_all(&sim.meter_address())).await;
    assert!(!value(&xml, "zigbee:InstantaneousDemand").is_empty());
    assert_eq!(sim.served().len(), 1);
}

#[tokio::test]
async fn device_query_all_one_and_several() {
    let sim = sim_with(Profile::Eagle200_2019, FROZEN).await;
    let addr = sim.meter_address();

    let all = ok(&sim, &query_all(&addr)).await;
    let vars = variables(&all);
    assert_eq!(vars.len(), 43);
    assert_eq!(
        first(&all, "ConnectionStatus").as_deref(),
        Some("Connected")
    );
    assert_eq!(first(&all, "HardwareId").as_deref(), Some(""));
    assert_eq!(first(&all, "FixedId").as_deref(), Some("0"));
    assert!(first(&all, "NetworkInterface")
        .unwrap()
        .starts_with("0xd8d5b9"));
    assert!(
        all.contains("<Units>kW</Units>")
            && all.contains("<Description>Instantaneous Demand</Description>")
    );

    let one = ok(&sim, &query_vars(&addr, &["zigbee:InstantaneousDemand"])).await;
    assert_eq!(
        variables(&one),
        [(
            "zigbee:InstantaneousDemand".to_string(),
            value(&all, "zigbee:InstantaneousDemand")
        )]
    );

    let names = [
        "zigbee:CurrentSummationReceived",
        "zigbee:NoSuchVariable",
        "zigbee:Price",
    ];
    let several = ok(&sim, &query_vars(&addr, &names)).await;
    let got: Vec<String> = variables(&several).into_iter().map(|(n, _)| n).collect();
    assert_eq!(got, ["zigbee:CurrentSummationReceived", "zigbee:Price"]);
    assert_eq!(value(&several, "zigbee:Price"), "0.088400");

    let details = format!("<Command><Name>device_details</Name><DeviceDetails><HardwareAddress>{addr}</HardwareAddress></DeviceDetails></Command>");
    let details = ok(&sim, &details).await;
    let doc = roxmltree::Document::parse(&details).unwrap();
    let listed = doc
        .descendants()
        .filter(|n| n.has_tag_name("Variable"))
        .count();
    assert_eq!(listed, 43);

    // What was served is what the reply says.
    let served = served_at(&sim, &first(&all, "LastContact").unwrap());
    assert_eq!(served.hardware_address, addr);
    assert_eq!(
        number(&value(&all, "zigbee:InstantaneousDemand")),
        served.demand_kw
    );
    assert_eq!(
        Some(number(&value(&all, "zigbee:CurrentSummationDelivered"))),
        served.delivered_kwh
    );
    assert_eq!(
        number(&value(&all, "zigbee:CurrentSummationReceived")),
        served.received_kwh
    );
    assert_eq!(served.price, Some("0.0884".parse().unwrap()));
    assert_eq!(
        sim.served().len(),
        1,
        "repeats of one LastContact are logged once"
    );
}

#[tokio::test]
async fn bad_requests_get_400() {
    let sim = sim(SimConfig::default()).await;
    let bodies = [
        "this is not xml".to_string(),
        "<Command><Name>reboot_everything</Name></Command>".to_string(),
        query_all("0x0000000000000001"),
        legacy("get_instantaneous_demand", true),
        "<Command><Name>device_query</Name></Command>".to_string(),
    ];
    for body in bodies {
        let r = post(&sim, &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(!r.body.is_empty() && r.body.len() < 200);
    }
}

#[tokio::test]
async fn body_layout_and_case_do_not_matter() {
    let sim = sim_with(Profile::default(), FROZEN).await;
    let addr = sim.meter_address();
    let compact = query_all(&addr);
    let crlf = format!("<Command>\r\n    <Name>device_query</Name>\r\n    <DeviceDetails>\r\n        <HardwareAddress>{addr}</HardwareAddress>\r\n    </DeviceDetails>\r\n    <Components>\r\n        <All>Y</All>\r\n    </Components>\r\n</Command>\r\n");
    let lf_tabs = crlf.replace("\r\n", "\n").replace("    ", "\t");
    let upper = format!("<COMMAND><NAME>device_query</NAME><DEVICEDETAILS><HARDWAREADDRESS>{addr}</HARDWAREADDRESS></DEVICEDETAILS><COMPONENTS><ALL>Y</ALL></COMPONENTS></COMMAND>");
    let local = compact.replace("Command>", "LocalCommand>");
    let want = ok(&sim, &compact).await;
    for body in [crlf, lf_tabs, upper, local] {
        assert_eq!(ok(&sim, &body).await, want, "{body}");
    }
    // Any Content-Type.
    let r = reqwest::Client::new()
        .post(sim.url())
        .basic_auth(CLOUD_ID, Some(INSTALL_CODE))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(compact)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), want);
}

#[tokio::test]
async fn last_contact_advances_with_the_meter() {
    let sim = sim_with(Profile::default(), Some(Duration::from_millis(300))).await;
    let addr = sim.meter_address();
    let a = ok(&sim, &query_all(&addr)).await;
    let again = ok(&sim, &query_all(&addr)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let b = ok(&sim, &query_all(&addr)).await;
    let (ta, tb) = (
        first(&a, "LastContact").unwrap(),
        first(&b, "LastContact").unwrap(),
    );
    assert!(hex(&tb) > hex(&ta), "{ta} → {tb}");
    let served = sim.served();
    let times: Vec<i64> = served.iter().map(|r| r.meter_time.timestamp()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "in order, distinct");
    assert!(times.contains(&(hex(&ta) as i64)) && times.contains(&(hex(&tb) as i64)));
    assert_eq!(
        served.len(),
        if first(&again, "LastContact").unwrap() == ta {
            2
        } else {
            3
        }
    );
    let (ra, rb) = (served_at(&sim, &ta), served_at(&sim, &tb));
    assert!(rb.delivered_kwh >= ra.delivered_kwh);
}

#[tokio::test]
async fn negative_export_is_served_as_the_unsigned_wrap() {
    let sim = sim_with(Profile::NegativeExport, FROZEN).await;
    let xml = ok(&sim, &query_all(&sim.meter_address())).await;
    let demand = value(&xml, "zigbee:InstantaneousDemand");
    assert!(
        demand.ends_with(" kW") && demand.starts_with("42949"),
        "{demand}"
    );
    let served = served_at(&sim, &first(&xml, "LastContact").unwrap());
    assert!(served.demand_kw < Decimal::ZERO);
    let shown_w = number(&demand) * Decimal::from(1000);
    let true_w = served.demand_kw * Decimal::from(1000);
    assert_eq!(shown_w - Decimal::from(1_u64 << 32), true_w);
    assert!(served.received_kwh > Decimal::ZERO);
    assert_eq!(
        number(&value(&xml, "zigbee:CurrentSummationReceived")),
        served.received_kwh
    );
}

#[tokio::test]
async fn raw_ampersand_is_served_unescaped() {
    let sim = sim_with(Profile::RawAmpersand, None).await;
    let xml = ok(&sim, &query_all(&sim.meter_address())).await;
    assert!(
        xml.contains("<Description>Multiplier applied to demand & summation values</Description>")
    );
    assert!(roxmltree::Document::parse(&xml).is_err());
    let fixed = xml.replace(" & ", " &amp; ");
    roxmltree::Document::parse(&fixed).expect("only the & is wrong");
}

#[tokio::test]
async fn firmware_formats_and_names() {
    let s2017 = sim_with(Profile::Eagle200_2017, None).await;
    let list = ok(&s2017, DEVICE_LIST).await;
    assert!(!list.contains("<Name>") && list.contains("<Manufacturer>generic</Manufacturer>"));
    let xml = ok(&s2017, &query_all(&s2017.meter_address())).await;
    let demand = value(&xml, "zigbee:InstantaneousDemand");
    let (num, unit) = demand.split_once(' ').unwrap();
    assert_eq!((num.split_once('.').unwrap().1.len(), unit), (3, "kW"));
    assert!(!xml.contains("<Units>"));

    let s2018 = sim_with(Profile::Eagle200_2018, None).await;
    let xml = ok(&s2018, &query_all(&s2018.meter_address())).await;
    let delivered = value(&xml, "zigbee:CurrentSummationDelivered");
    assert!(
        delivered.ends_with(" kWh") && number(&delivered).scale() == 6,
        "{delivered}"
    );
    assert!(!xml.contains("<Units>") && !xml.contains("<Description>"));

    let s2021 = sim_with(Profile::Eagle200_2021, None).await;
    let list = ok(&s2021, DEVICE_LIST).await;
    assert!(list.contains("<Name>Power Meter</Name>"));
    let xml = ok(&s2021, &query_all(&s2021.meter_address())).await;
    assert_eq!(value(&xml, "zigbee:Price"), "invalid");
    assert_eq!(value(&xml, "zigbee:PriceCurrency"), "USD");
    assert_eq!(value(&xml, "zigbee:PriceTrailingDigits"), "255");
    assert_eq!(value(&xml, "zigbee:MessageConfirmed"), "false");
    assert!(!xml.contains("zigbee:Currency<"));
    assert_eq!(
        served_at(&s2021, &first(&xml, "LastContact").unwrap()).price,
        None
    );

    let e3 = sim_with(Profile::Eagle3, None).await;
    let xml = ok(&e3, &query_all(&e3.meter_address())).await;
    assert_eq!(value(&xml, "zigbee:DemandDigitsRight"), "3");
    assert_eq!(value(&xml, "zigbee:PriceRateLabel"), "Tier 1");
    assert_eq!(
        number(&value(&xml, "zigbee:Price")),
        "0.1123".parse().unwrap()
    );

    let hybrid = sim_with(Profile::Hybrid, None).await;
    let xml = ok(&hybrid, &query_all(&hybrid.meter_address())).await;
    assert!(value(&xml, "zigbee:InstantaneousDemand").ends_with(" kW"));
    assert!(xml.contains("<Units>kW</Units>"));
}

#[tokio::test]
async fn not_joined_meter_has_empty_values() {
    let sim = sim_with(Profile::NotJoined, None).await;
    let list = ok(&sim, DEVICE_LIST).await;
    assert_eq!(
        first(&list, "ConnectionStatus").as_deref(),
        Some("Not joined")
    );
    assert_eq!(first(&list, "LastContact").as_deref(), Some("0x00000000"));
    assert_eq!(first(&list, "NetworkAddress").as_deref(), Some("0xffff"));
    let xml = ok(&sim, &query_all(&sim.meter_address())).await;
    let vars = variables(&xml);
    assert_eq!(vars.len(), 43);
    assert!(vars.iter().all(|(_, v)| v.is_empty()));
    assert!(xml.contains("<Value></Value>"));
    assert!(sim.served().is_empty());
}

/// Poll the meter until a reply satisfies `wanted`; returns it.
async fn poll_until(sim: &SimHandle, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let xml = ok(sim, &query_all(&sim.meter_address())).await;
        if wanted(&xml) {
            return xml;
        }
        assert!(Instant::now() < deadline, "never saw the quirk");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn summation_reset_serves_zero_and_logs_none() {
    let sim = sim_with(Profile::SummationReset, Some(Duration::from_millis(80))).await;
    let zero = poll_until(&sim, |x| {
        value(x, "zigbee:CurrentSummationDelivered") == "0.000000"
    })
    .await;
    let reading = served_at(&sim, &first(&zero, "LastContact").unwrap());
    assert_eq!(reading.delivered_kwh, None);
    let good = poll_until(&sim, |x| {
        value(x, "zigbee:CurrentSummationDelivered") != "0.000000"
    })
    .await;
    let reading = served_at(&sim, &first(&good, "LastContact").unwrap());
    assert_eq!(
        reading.delivered_kwh,
        Some(number(&value(&good, "zigbee:CurrentSummationDelivered")))
    );
    assert!(reading.delivered_kwh > Some(Decimal::ZERO));
}

#[tokio::test]
async fn blank_demand_is_logged_as_blank() {
    let sim = sim_with(Profile::BlankDemand, Some(Duration::from_millis(80))).await;
    let blank = poll_until(&sim, |x| value(x, "zigbee:InstantaneousDemand").is_empty()).await;
    assert!(served_at(&sim, &first(&blank, "LastContact").unwrap()).demand_blank);
    let full = poll_until(&sim, |x| !value(x, "zigbee:InstantaneousDemand").is_empty()).await;
    let reading = served_at(&sim, &first(&full, "LastContact").unwrap());
    assert!(!reading.demand_blank);
    assert_eq!(
        reading.demand_kw,
        number(&value(&full, "zigbee:InstantaneousDemand"))
    );
}

#[tokio::test]
async fn wifi_status_leaks_the_key() {
    let sim = sim(SimConfig::default()).await;
    let xml = ok(&sim, "<Command><Name>wifi_status</Name></Command>").await;
    assert_eq!(first(&xml, "Key").as_deref(), Some(WIFI_KEY));
    assert_eq!(first(&xml, "Enabled").as_deref(), Some("Y"));
}

#[tokio::test]
async fn busy_profile_bursts_503() {
    let sim = sim_with(Profile::Busy, None).await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = post(&sim, DEVICE_LIST).await;
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.text(), BUSY_BODY);
        }
        statuses.push(r.status.as_u16());
    }
    let burst = [200, 200, 200, 200, 200, 200, 200, 503, 503, 503];
    assert_eq!(statuses, [burst, burst].concat());
}

#[tokio::test]
async fn slow_profile_does_not_answer_quickly() {
    let sim = sim_with(Profile::Slow, None).await;
    let err = reqwest::Client::new()
        .post(sim.url())
        .basic_auth(CLOUD_ID, Some(INSTALL_CODE))
        .body(DEVICE_LIST)
        .timeout(Duration::from_millis(800))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

fn json_keys(text: &str, root: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    let inner = v[root]
        .as_object()
        .unwrap_or_else(|| panic!("{root} in {text}"));
    // serde_json sorts keys, so order is checked on the text.
    let mut keys: Vec<String> = inner.keys().cloned().collect();
    keys.sort_by_key(|k| text.find(&format!("\"{k}\"")).unwrap());
    keys
}

fn field(text: &str, root: &str, key: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    v[root][key].as_str().unwrap().to_string()
}

/// raw × Multiplier ÷ Divisor, Divisor 0 meaning 1; raw demand is signed 32-bit.
fn decode(text: &str, root: &str, key: &str, signed: bool) -> Decimal {
    let raw = hex(&field(text, root, key)) as i64;
    let raw = if signed && raw >= 1 << 31 {
        raw - (1 << 32)
    } else {
        raw
    };
    let m = hex(&field(text, root, "Multiplier")).max(1);
    let d = hex(&field(text, root, "Divisor")).max(1);
    Decimal::from(raw) * Decimal::from(m) / Decimal::from(d)
}

#[tokio::test]
async fn legacy_json_replies_decode_to_the_served_reading() {
    for profile in [Profile::Legacy, Profile::LegacyDivisorZero] {
        let sim = sim_with(profile, FROZEN).await;
        // Every reply starts with who and when; demand and summation end with their scaling.
        let header = ["DeviceMacId", "MeterMacId", "TimeStamp"];
        let scaling = [
            "Multiplier",
            "Divisor",
            "DigitsRight",
            "DigitsLeft",
            "SuppressLeadingZero",
        ];
        let demand = ok(&sim, &legacy("get_instantaneous_demand", true)).await;
        assert_eq!(
            json_keys(&demand, "InstantaneousDemand"),
            [&header[..], &["Demand"], &scaling].concat()
        );
        let summation = ok(&sim, &legacy("get_current_summation", true)).await;
        assert_eq!(
            json_keys(&summation, "CurrentSummation"),
            [
                &header[..],
                &["SummationDelivered", "SummationReceived"],
                &scaling
            ]
            .concat()
        );
        let price = ok(&sim, &legacy("get_price", true)).await;
        let pricing = ["Price", "Currency", "TrailingDigits", "Tier", "RateLabel"];
        assert_eq!(
            json_keys(&price, "PriceCluster"),
            [&header[..], &pricing].concat()
        );

        let served = sim.served();
        assert_eq!(served.len(), 1, "{profile}");
        let r = &served[0];
        assert_eq!(
            field(&demand, "InstantaneousDemand", "MeterMacId"),
            r.hardware_address
        );
        assert_eq!(r.hardware_address, sim.meter_address());
        let ts = hex(&field(&demand, "InstantaneousDemand", "TimeStamp")) as i64 + 946_684_800;
        assert_eq!(ts, r.meter_time.timestamp());
        assert_eq!(
            field(&summation, "CurrentSummation", "TimeStamp"),
            field(&demand, "InstantaneousDemand", "TimeStamp")
        );
        assert_eq!(
            decode(&demand, "InstantaneousDemand", "Demand", true),
            r.demand_kw
        );
        // The legacy site exports at its first reading: 32-bit two's complement.
        assert!(r.demand_kw < Decimal::ZERO);
        assert!(field(&demand, "InstantaneousDemand", "Demand").starts_with("0xffff"));
        let delivered = field(&summation, "CurrentSummation", "SummationDelivered");
        assert_eq!(delivered.len(), 18);
        assert_eq!(
            Some(decode(
                &summation,
                "CurrentSummation",
                "SummationDelivered",
                false
            )),
            r.delivered_kwh
        );
        assert_eq!(
            decode(&summation, "CurrentSummation", "SummationReceived", false),
            r.received_kwh
        );
        let p = hex(&field(&price, "PriceCluster", "Price")) as i64;
        let digits = hex(&field(&price, "PriceCluster", "TrailingDigits")) as u32;
        assert_eq!(Some(Decimal::new(p, digits)), r.price);
        assert_eq!(field(&price, "PriceCluster", "Currency"), "0x0348");
    }
    let zero = sim_with(Profile::LegacyDivisorZero, FROZEN).await;
    let demand = ok(&zero, &legacy("get_instantaneous_demand", true)).await;
    assert_eq!(
        field(&demand, "InstantaneousDemand", "Divisor"),
        "0x00000000"
    );
}

#[tokio::test]
async fn legacy_network_info_xml_form_and_wrong_api() {
    let sim = sim_with(Profile::Legacy, FROZEN).await;
    let info = ok(&sim, &legacy("get_network_info", true)).await;
    assert_eq!(field(&info, "NetworkInfo", "ModelId"), "Z109-EAGLE");
    assert_eq!(field(&info, "NetworkInfo", "FWVersion"), "2.3.4 (8466)");
    assert_eq!(
        field(&info, "NetworkInfo", "InstallCode"),
        format!("0x{INSTALL_CODE}")
    );
    assert!(field(&info, "NetworkInfo", "DeviceMacId").starts_with("0xd8d5b9"));

    let json = ok(&sim, &legacy("get_instantaneous_demand", true)).await;
    let xml = ok(&sim, &legacy("get_instantaneous_demand", false)).await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "InstantaneousDemand");
    for key in json_keys(&json, "InstantaneousDemand") {
        assert_eq!(
            first(&xml, &key).unwrap(),
            field(&json, "InstantaneousDemand", &key),
            "{key}"
        );
    }
    // <LocalCommand> root and a MacId work; a wrong MacId does not.
    let with_mac = format!(
        "<LocalCommand>\n<Name>get_instantaneous_demand</Name>\n<MacId>{}</MacId>\n</LocalCommand>\n",
        sim.meter_address()
    );
    assert_eq!(ok(&sim, &with_mac).await, xml);
    let wrong_mac = with_mac.replace(&sim.meter_address(), "0x0000000000000009");
    assert_eq!(post(&sim, &wrong_mac).await.status, StatusCode::BAD_REQUEST);
    for body in [DEVICE_LIST.to_string(), query_all(&sim.meter_address())] {
        assert_eq!(post(&sim, &body).await.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn each_fault() {
    let sim = sim_with(Profile::default(), FROZEN).await;
    let query = query_all(&sim.meter_address());
    let normal = ok(&sim, &query).await;

    sim.set_fault(Some(Fault::Unauthorized));
    let r = post(&sim, &query).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.contains_key("www-authenticate"));

    sim.set_fault(Some(Fault::ServiceUnavailable));
    let r = post(&sim, &query).await;
    assert_eq!(
        (r.status, r.text()),
        (StatusCode::SERVICE_UNAVAILABLE, BUSY_BODY.to_string())
    );

    sim.set_fault(Some(Fault::Stall(Duration::from_millis(300))));
    let started = Instant::now();
    assert_eq!(ok(&sim, &query).await, normal);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.set_fault(Some(Fault::EmptyBody));
    let r = post(&sim, &query).await;
    assert_eq!((r.status, r.body.len()), (StatusCode::OK, 0));

    sim.set_fault(Some(Fault::Truncated));
    let cut = ok(&sim, &query).await;
    assert!(!cut.is_empty() && cut.len() < normal.len() && normal.starts_with(&cut));
    assert!(roxmltree::Document::parse(&cut).is_err());

    sim.set_fault(Some(Fault::Garbage));
    let r = post(&sim, &query).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.is_empty()
            && roxmltree::Document::parse(&String::from_utf8_lossy(&r.body)).is_err()
    );

    sim.set_fault(Some(Fault::NoComponents));
    let bare = ok(&sim, &query).await;
    let doc = roxmltree::Document::parse(&bare).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "Device");
    assert!(doc.descendants().any(|n| n.has_tag_name("DeviceDetails")));
    assert!(!doc.descendants().any(|n| n.has_tag_name("Components")));
    assert!(ok(&sim, DEVICE_LIST).await.contains("<DeviceList>"));

    sim.set_fault(None);
    assert_eq!(ok(&sim, &query).await, normal);
    let stats = sim.stats();
    assert_eq!(stats.by_command["device_query"], 9);
    assert_eq!(stats.by_command["device_list"], 1);
    assert_eq!(stats.by_status[&200], 8);
    assert_eq!(stats.by_status[&401], 1);
    assert_eq!(stats.by_status[&503], 1);
    assert_eq!(stats.requests, 10);
}

#[tokio::test]
async fn max_in_flight_counts_concurrent_requests() {
    let sim = sim(SimConfig::default()).await;
    ok(&sim, DEVICE_LIST).await;
    ok(&sim, DEVICE_LIST).await;
    assert_eq!(sim.stats().max_in_flight, 1);
    sim.set_fault(Some(Fault::Stall(Duration::from_millis(500))));
    let (a, b, c) = tokio::join!(
        ok(&sim, DEVICE_LIST),
        ok(&sim, DEVICE_LIST),
        ok(&sim, DEVICE_LIST)
    );
    assert!(a == b && b == c);
    assert_eq!(sim.stats().max_in_flight, 3);
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let first_sim = sim(SimConfig::default()).await;
    let addr = first_sim.local_addr();
    ok(&first_sim, DEVICE_LIST).await;
    first_sim.shutdown().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );

    let again = sim::start(addr, SimConfig::default())
        .await
        .expect("re-bind the same port");
    assert_eq!(again.local_addr(), addr);
    ok(&again, DEVICE_LIST).await;
    again.shutdown().await;
}

#[tokio::test]
async fn stats_count_commands_and_unparsed_bodies() {
    let sim = sim(SimConfig::default()).await;
    ok(&sim, DEVICE_LIST).await;
    post_as(&sim, None, DEVICE_LIST).await;
    post(&sim, "garbage").await;
    let stats = sim.stats();
    assert_eq!(stats.by_command["device_list"], 2);
    assert_eq!(stats.by_command[sim::UNPARSED_COMMAND], 1);
    let statuses: BTreeSet<u16> = stats.by_status.keys().copied().collect();
    assert_eq!(statuses, BTreeSet::from([200, 400, 401]));
}

#[tokio::test]
async fn hostile_input_gets_4xx_and_the_server_survives() {
    let sim = sim(SimConfig::default()).await;
    let client = reqwest::Client::new();
    let mut bodies: Vec<Vec<u8>> = vec![
        vec![0xff; 100],
        vec![b'<'; 70_000],
        b"<Command><Name>device_query</Name><DeviceDetails><HardwareAddress></HardwareAddress></DeviceDetails></Command>".to_vec(),
        b"<!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\">]><Command><Name>&a;</Name></Command>".to_vec(),
        b"<Command><Name>device_list</Name><Name>device_list</Name>".to_vec(),
    ];
    // Deterministic pseudo-random byte soup with XML-ish fragments.
    let alphabet = b"<>/&;CommandName x\r\n\0\xc3";
    let mut x: u64 = 0x1234_5678;
    for len in [1, 7, 64, 513, 4096] {
        let soup = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect();
        bodies.push(soup);
    }
    for body in bodies {
        let r = client
            .post(sim.url())
            .basic_auth(CLOUD_ID, Some(INSTALL_CODE))
            .body(body)
            .send()
            .await
            .expect("the server answers");
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let r = client
        .post(sim.url())
        .header(
            "Authorization",
            reqwest::header::HeaderValue::from_bytes(b"Basic \xe9\xe9").unwrap(),
        )
        .body(DEVICE_LIST)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    ok(&sim, DEVICE_LIST).await;
}
