//! The end-of-case check every fault test makes: what the simulated EAGLE served, what reached
//! the bucket and what is still in the local buffer must tell one consistent story.
//!
//! What "served" means: the simulator logs a reading when it sends a reply that carries it
//! intact (`SimHandle::served`). A reply can still be lost after that: the logger was killed
//! (or stopped) after the reply was sent and before the reading was committed. Such a reading
//! can only be the *last* one served before the cut, so each test passes the length of the
//! served log at every cut (`cuts`), and only the reading at `cut - 1` may be missing. Every
//! other served reading must be in the bucket or pending locally — the rule is exact, not a
//! percentage.
//!
//! Checked, for every reading:
//! - every row (bucket or buffer) is a reading that was served, with identical values
//!   (a blank demand or a reboot-zero summation must be absent, never 0), and no served
//!   reading is stored twice;
//! - no `seq` appears twice in the bucket; a row both uploaded and local has the same bytes;
//!   a local row marked uploaded is in the bucket (rows are marked only after a 2xx);
//! - `seq` order is the order the EAGLE served the readings, and seqs strictly increase;
//! - each object holds exactly the rows of the period its key names, so a period never has
//!   two objects; objects are sorted by `seq`.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rainforest_eagle_sim::ServedReading;
use rainforest_logger::reading::StoredReading;
use rainforest_logger::upload::{ndjson_line, KeyTemplate, Period};
use rust_decimal::Decimal;

/// How the logger under test names its objects.
pub struct Layout {
    /// The household id in every row and key.
    pub household: String,
    /// The key template in use.
    pub keys: KeyTemplate,
    /// The batch period.
    pub period: Duration,
}

impl Layout {
    /// The default key layout without a prefix.
    pub fn new(household: &str, period: Duration) -> Layout {
        Layout {
            household: household.to_string(),
            keys: KeyTemplate::new(None, "", household),
            period,
        }
    }
}

/// Everything one case left behind.
pub struct Evidence<'a> {
    /// The simulator's served log, oldest first.
    pub served: &'a [ServedReading],
    /// Every object in the bucket, by key.
    pub objects: &'a BTreeMap<String, Vec<u8>>,
    /// Every row of the local buffer, in seq order.
    pub local: &'a [StoredReading],
    /// The served log's length at each moment the logger was killed or stopped.
    pub cuts: &'a [usize],
}

/// What the reconciliation counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Readings the simulator served.
    pub served: usize,
    /// Distinct readings found in the bucket.
    pub in_bucket: usize,
    /// Readings only in the local buffer (not yet uploaded).
    pub pending_only: usize,
    /// Readings objects in the bucket.
    pub objects: usize,
    /// Served readings missing everywhere, each the last one served before a cut.
    pub lost_in_flight: usize,
}

/// Runs every check; panics with the first inconsistency found.
pub fn reconcile(layout: &Layout, evidence: &Evidence<'_>) -> Tally {
    let heartbeat = layout.keys.heartbeat_key();
    let mut bucket: BTreeMap<i64, String> = BTreeMap::new();
    let mut objects = 0;
    for (key, bytes) in evidence.objects {
        if *key == heartbeat {
            continue;
        }
        objects += 1;
        let mut previous = None;
        for line in lines(key, bytes) {
            let row = Row::parse(&line);
            assert_eq!(row.household, layout.household, "{key}: {line}");
            let period = Period::containing(row.time.timestamp_millis(), layout.period);
            assert_eq!(
                layout.keys.readings_key(&period),
                *key,
                "row seq {} lies outside the period of its object",
                row.seq
            );
            assert!(
                previous.is_none_or(|p| p < row.seq),
                "{key}: seq {} after {previous:?}",
                row.seq
            );
            previous = Some(row.seq);
            if let Some(other) = bucket.insert(row.seq, line) {
                panic!("seq {} is in the bucket twice: {other}", row.seq);
            }
        }
    }

    let mut all = bucket.clone();
    let mut previous = None;
    let mut pending_only = 0;
    for row in evidence.local {
        assert!(
            previous.is_none_or(|p| p < row.seq),
            "local seq {} after {previous:?}",
            row.seq
        );
        previous = Some(row.seq);
        let line = ndjson_line(&layout.household, row);
        match bucket.get(&row.seq) {
            Some(uploaded) => assert_eq!(
                *uploaded, line,
                "seq {} differs between the bucket and the buffer",
                row.seq
            ),
            None => {
                assert!(
                    !row.uploaded,
                    "seq {} is marked uploaded but is in no object",
                    row.seq
                );
                pending_only += 1;
                all.insert(row.seq, line);
            }
        }
    }

    let index: HashMap<(String, DateTime<Utc>), usize> = evidence
        .served
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.hardware_address.clone(), s.meter_time), i))
        .collect();
    let mut found = vec![false; evidence.served.len()];
    let mut last_index = None;
    for line in all.values() {
        let row = Row::parse(line);
        let key = (row.meter.clone(), row.meter_time.expect("meter_time"));
        let Some(&i) = index.get(&key) else {
            panic!("seq {} was never served: {line}", row.seq);
        };
        assert!(
            !std::mem::replace(&mut found[i], true),
            "the reading served at {} is stored twice (second: seq {})",
            key.1,
            row.seq
        );
        assert!(
            last_index.is_none_or(|l| l < i),
            "seq {} is out of the order the EAGLE served the readings in",
            row.seq
        );
        last_index = Some(i);
        row.assert_values(&evidence.served[i], line);
    }

    let mut lost_in_flight = 0;
    for (i, seen) in found.iter().enumerate() {
        if *seen {
            continue;
        }
        assert!(
            evidence.cuts.contains(&(i + 1)),
            "served reading #{i} ({} at {}) is missing, and no kill or stop followed it",
            evidence.served[i].hardware_address,
            evidence.served[i].meter_time
        );
        lost_in_flight += 1;
    }
    Tally {
        served: evidence.served.len(),
        in_bucket: bucket.len(),
        pending_only,
        objects,
        lost_in_flight,
    }
}

/// The NDJSON lines of one gzip'd object.
pub fn lines(key: &str, bytes: &[u8]) -> Vec<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut text)
        .unwrap_or_else(|e| panic!("{key} is not gzip'd text: {e}"));
    text.lines().map(str::to_string).collect()
}

/// The fields of one NDJSON line that reconciliation compares.
struct Row {
    household: String,
    meter: String,
    seq: i64,
    time: DateTime<Utc>,
    meter_time: Option<DateTime<Utc>>,
    demand_kw: Option<Decimal>,
    delivered_kwh: Option<Decimal>,
    received_kwh: Option<Decimal>,
    price: Option<Decimal>,
}

impl Row {
    fn parse(line: &str) -> Row {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let text = |field: &str| value[field].as_str().map(str::to_string);
        let time = |field: &str| {
            text(field).map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .unwrap_or_else(|e| panic!("{field} {t:?}: {e}"))
                    .with_timezone(&Utc)
            })
        };
        // serde_json reads numbers as f64; its shortest round-trip text is the decimal that
        // was written for values of this size, and Decimal compares that exactly.
        let number = |field: &str| {
            value
                .get(field)
                .map(|n| Decimal::from_str(&n.to_string()).expect("a decimal"))
        };
        Row {
            household: text("household").expect("household"),
            meter: text("meter").expect("meter"),
            seq: value["seq"].as_i64().expect("seq"),
            time: time("time").expect("time"),
            meter_time: time("meter_time"),
            demand_kw: number("demand_kw"),
            delivered_kwh: number("delivered_kwh"),
            received_kwh: number("received_kwh"),
            price: number("price"),
        }
    }

    /// The row holds exactly what the EAGLE served: absent where the EAGLE gave no value.
    fn assert_values(&self, served: &ServedReading, line: &str) {
        let demand = (!served.demand_blank).then(|| served.demand_kw.normalize());
        let meter_time = served.meter_time.to_rfc3339_opts(SecondsFormat::Secs, true);
        assert_eq!(self.demand_kw, demand, "demand_kw: {line}");
        assert_eq!(
            self.delivered_kwh,
            served.delivered_kwh.map(|d| d.normalize()),
            "delivered_kwh: {line}"
        );
        assert_eq!(
            self.received_kwh,
            Some(served.received_kwh.normalize()),
            "received_kwh: {line}"
        );
        assert_eq!(
            self.price,
            served.price.map(|p| p.normalize()),
            "price: {line}"
        );
        assert_eq!(
            self.meter_time
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            Some(meter_time),
            "meter_time: {line}"
        );
    }
}
