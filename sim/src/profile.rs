//! Simulated firmware and site profiles. Each profile name maps to a small [`Knobs`] struct, so
//! the rest of the simulator asks "does this quirk apply?" instead of matching on names.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A simulated EAGLE: firmware generation, value format, variable names and one quirk or fault.
///
/// Every profile except the first five and the last two is the default (`eagle200-2019`) plus
/// one quirk, so a test that fails names the quirk that broke the client; the last two are
/// `eagle3` behind https (see [`Listener`]). Names are kebab-case (see
/// [`Profile::name`]); [`FromStr`] and [`fmt::Display`] use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// EAGLE-200, 2017 manual: `21.499 kW` inline, three decimals, no `<Units>`.
    Eagle200_2017,
    /// EAGLE-200, ≈2018: `0.070000 kW` inline, six decimals, no `<Units>`/`<Description>`.
    Eagle200_2018,
    /// EAGLE-200, 2019 fixture (the default): `2.790000` + `<Units>` + `<Description>`.
    #[default]
    Eagle200_2019,
    /// EAGLE-200, 2021: `PriceCurrency`-style names, `Price` = `invalid`.
    Eagle200_2021,
    /// EAGLE 3 (2025): 2021 names plus the `zigbee:Demand*`/`Summation*` display hints.
    Eagle3,
    /// Inline unit *and* a `<Units>` element.
    Hybrid,
    /// Solar site: negative demand served as the unsigned 32-bit wrap, received grows.
    NegativeExport,
    /// A `Not joined` old meter listed before the live one.
    StaleMeterFirst,
    /// The only meter is `Not joined`; every value is empty.
    NotJoined,
    /// Deterministic bursts of 503 `Timeout waiting for response`.
    Busy,
    /// Every reply takes 8 s.
    Slow,
    /// Every reply takes a random 0–3 s (a loaded EAGLE; for the poll-cadence bench).
    VariableLatency,
    /// Unescaped `&` in a `<Description>` (not well-formed XML).
    RawAmpersand,
    /// EAGLE reboots: CurrentSummationDelivered reads 0 for a few readings now and then.
    SummationReset,
    /// Connected, but InstantaneousDemand is sometimes empty.
    BlankDemand,
    /// Legacy RFA-Z109 (`get_instantaneous_demand` etc., hex values, JSON or XML).
    Legacy,
    /// Legacy RFA-Z109 whose meter reports Divisor 0 (which means 1).
    LegacyDivisorZero,
    /// EAGLE 3 (2026): https only, with a self-signed certificate made at start.
    Eagle3Https,
    /// EAGLE 3 (2026) that redirects every http request to https on its access-point address.
    Eagle3Redirect,
}

impl Profile {
    /// Every profile, in the order the CLI lists them.
    pub const ALL: [Profile; 19] = [
        Profile::Eagle200_2017,
        Profile::Eagle200_2018,
        Profile::Eagle200_2019,
        Profile::Eagle200_2021,
        Profile::Eagle3,
        Profile::Hybrid,
        Profile::NegativeExport,
        Profile::StaleMeterFirst,
        Profile::NotJoined,
        Profile::Busy,
        Profile::Slow,
        Profile::VariableLatency,
        Profile::RawAmpersand,
        Profile::SummationReset,
        Profile::BlankDemand,
        Profile::Legacy,
        Profile::LegacyDivisorZero,
        Profile::Eagle3Https,
        Profile::Eagle3Redirect,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Eagle200_2017 => "eagle200-2017",
            Profile::Eagle200_2018 => "eagle200-2018",
            Profile::Eagle200_2019 => "eagle200-2019",
            Profile::Eagle200_2021 => "eagle200-2021",
            Profile::Eagle3 => "eagle3",
            Profile::Hybrid => "hybrid",
            Profile::NegativeExport => "negative-export",
            Profile::StaleMeterFirst => "stale-meter-first",
            Profile::NotJoined => "not-joined",
            Profile::Busy => "busy",
            Profile::Slow => "slow",
            Profile::VariableLatency => "variable-latency",
            Profile::RawAmpersand => "raw-ampersand",
            Profile::SummationReset => "summation-reset",
            Profile::BlankDemand => "blank-demand",
            Profile::Legacy => "legacy",
            Profile::LegacyDivisorZero => "legacy-divisor-zero",
            Profile::Eagle3Https => "eagle3-https",
            Profile::Eagle3Redirect => "eagle3-redirect",
        }
    }

    /// A one-line description for `simulate --help` style listings.
    pub fn description(self) -> &'static str {
        match self {
            Profile::Eagle200_2017 => {
                "EAGLE-200, 2017 manual: values like `21.499 kW`, no <Units>, device_list without <Name>"
            }
            Profile::Eagle200_2018 => {
                "EAGLE-200 ~2018: values like `0.070000 kW`, no <Units>/<Description>"
            }
            Profile::Eagle200_2019 => {
                "EAGLE-200 2019 (default): `2.790000` + <Units>kW</Units> + <Description>, zigbee:Currency names"
            }
            Profile::Eagle200_2021 => {
                "EAGLE-200 2021: zigbee:PriceCurrency/PriceTrailingDigits/PriceRateLabel, Price `invalid`"
            }
            Profile::Eagle3 => "EAGLE 3 (2025): 2021 names plus zigbee:DemandDigitsRight… display hints",
            Profile::Hybrid => "values carry an inline unit AND a <Units> element (`2.151000 kW`)",
            Profile::NegativeExport => {
                "solar export: negative demand as the unsigned 32-bit wrap (`4294963.584000 kW`)"
            }
            Profile::StaleMeterFirst => "a `Not joined` old meter (LastContact 0) listed before the live one",
            Profile::NotJoined => "the only meter is `Not joined`: device_query values are all empty",
            Profile::Busy => "3 consecutive 503 `Timeout waiting for response` every 10 requests",
            Profile::Slow => "every reply takes 8 s",
            Profile::VariableLatency => "every reply takes a random 0–3 s (uniform, per request)",
            Profile::RawAmpersand => "unescaped `&` in the zigbee:Multiplier <Description> (bad XML)",
            Profile::SummationReset => {
                "EAGLE reboots: CurrentSummationDelivered reads 0.000000 for 2 of every 10 readings"
            }
            Profile::BlankDemand => "connected, but InstantaneousDemand <Value> is empty every 4th reading",
            Profile::Legacy => "legacy RFA-Z109: get_instantaneous_demand & co., hex values, JSON or XML",
            Profile::LegacyDivisorZero => "legacy RFA-Z109 with Divisor 0x00000000 (means 1)",
            Profile::Eagle3Https => {
                "EAGLE 3 (2026), https only, self-signed certificate made at start (a new one each run)"
            }
            Profile::Eagle3Redirect => {
                "EAGLE 3 (2026): http answers 301 to https://192.168.7.1/…; the API is served over https"
            }
        }
    }

    /// The knobs this profile turns.
    pub(crate) fn knobs(self) -> Knobs {
        let base = Knobs::EAGLE200_2019;
        match self {
            Profile::Eagle200_2017 => Knobs {
                style: ValueStyle::Inline3,
                naming: Naming::Manual2017,
                network_interface: false,
                manufacturer: "generic",
                indent: "    ",
                price: Some(PriceKnob {
                    mantissa: 125,
                    digits: 3,
                    ..PriceKnob::BLOCK_1
                }),
                ..base
            },
            Profile::Eagle200_2018 => Knobs {
                style: ValueStyle::Inline6,
                network_interface: false,
                ..base
            },
            Profile::Eagle200_2019 => base,
            Profile::Eagle200_2021 => Knobs {
                naming: Naming::Fw2021,
                list_names: true,
                price: None,
                ..base
            },
            Profile::Eagle3 => Knobs::EAGLE3,
            Profile::Eagle3Https => Knobs {
                listener: Listener::Https,
                ..Knobs::EAGLE3
            },
            Profile::Eagle3Redirect => Knobs {
                listener: Listener::RedirectToHttps,
                ..Knobs::EAGLE3
            },
            Profile::Hybrid => Knobs {
                style: ValueStyle::Hybrid6,
                ..base
            },
            Profile::NegativeExport => Knobs {
                style: ValueStyle::Inline6,
                export: true,
                wrap_negative: true,
                ..base
            },
            Profile::StaleMeterFirst => Knobs {
                layout: MeterLayout::StaleFirst,
                list_names: true,
                ..base
            },
            Profile::NotJoined => Knobs {
                layout: MeterLayout::NotJoined,
                ..base
            },
            Profile::Busy => Knobs {
                busy: Some(Busy {
                    every: 10,
                    burst: 3,
                }),
                ..base
            },
            Profile::Slow => Knobs {
                delay: Duration::from_secs(8),
                ..base
            },
            Profile::VariableLatency => Knobs {
                delay_jitter: Duration::from_secs(3),
                ..base
            },
            Profile::RawAmpersand => Knobs {
                raw_ampersand: true,
                ..base
            },
            Profile::SummationReset => Knobs {
                summation_reset: Some(Reset { every: 10, len: 2 }),
                ..base
            },
            Profile::BlankDemand => Knobs {
                blank_demand_every: Some(4),
                ..base
            },
            Profile::Legacy => Knobs::LEGACY,
            Profile::LegacyDivisorZero => Knobs {
                legacy_divisor: 0,
                ..Knobs::LEGACY
            },
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is not one of [`Profile::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown simulator profile `{0}` (known: {known})", known = known_names())]
pub struct UnknownProfile(pub String);

fn known_names() -> String {
    Profile::ALL.map(Profile::name).join(", ")
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

/// Which local API the simulated device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// EAGLE-200 / EAGLE 3 `device_list` / `device_query`.
    Eagle200,
    /// RFA-Z109 `get_instantaneous_demand` and friends.
    Legacy,
}

/// How a meter `<Value>` is written (docs/eagle-api.md §3.1, formats 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueStyle {
    /// `21.499 kW`, no `<Units>`.
    Inline3,
    /// `0.070000 kW`, no `<Units>`.
    Inline6,
    /// `2.790000` plus `<Units>` and `<Description>`.
    Separate6,
    /// `2.151000 kW` plus `<Units>` and `<Description>`.
    Hybrid6,
}

impl ValueStyle {
    /// Fractional digits of demand and summation values.
    pub(crate) fn decimals(self) -> u32 {
        match self {
            ValueStyle::Inline3 => 3,
            _ => 6,
        }
    }

    /// Whether the unit follows the number inside `<Value>`.
    pub(crate) fn inline_unit(self) -> bool {
        !matches!(self, ValueStyle::Separate6)
    }

    /// Whether each variable carries `<Units>` and `<Description>`.
    pub(crate) fn unit_elements(self) -> bool {
        matches!(self, ValueStyle::Separate6 | ValueStyle::Hybrid6)
    }
}

/// Which variable catalogue the meter exposes (docs/eagle-api.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// The short list of the 2017 manual.
    Manual2017,
    /// The 2019 fixture: `zigbee:Currency`, `TrailingDigits`, `RateLabel`.
    Fw2019,
    /// 2021 capture: `zigbee:PriceCurrency`, `PriceTrailingDigits`, `PriceRateLabel`.
    Fw2021,
    /// 2021 names plus the 2025 display-hint variables.
    Eagle3,
}

/// Which meters `device_list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MeterLayout {
    /// One connected meter.
    Live,
    /// A never-joined old meter first, then the connected one.
    StaleFirst,
    /// One meter, not joined.
    NotJoined,
}

/// The price the meter publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PriceKnob {
    /// Price = mantissa / 10^digits.
    pub mantissa: i64,
    /// Trailing digits of the price.
    pub digits: u32,
    /// Tariff label.
    pub rate_label: &'static str,
    /// Price tier.
    pub tier: u8,
    /// ISO 4217 alphabetic code (EAGLE-200) …
    pub currency: &'static str,
    /// … and numeric code (legacy).
    pub currency_numeric: u16,
}

impl PriceKnob {
    /// The 2019 fixture's price: 0.0884 USD, `Block 1`.
    pub(crate) const BLOCK_1: PriceKnob = PriceKnob {
        mantissa: 884,
        digits: 4,
        rate_label: "Block 1",
        tier: 0,
        currency: "USD",
        currency_numeric: 840,
    };
}

/// `burst` consecutive 503s at the end of every `every` authorised requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy {
    /// Cycle length in requests.
    pub every: u64,
    /// 503s per cycle.
    pub burst: u64,
}

/// Readings `every - len .. every` of each cycle of `every` show delivered = 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reset {
    /// Cycle length in meter readings.
    pub every: u64,
    /// Zero readings per cycle.
    pub len: u64,
}

/// Everything a profile can change. `Copy` so a handler can hold its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Knobs {
    pub api: Api,
    pub style: ValueStyle,
    pub naming: Naming,
    /// `<Name>Power Meter</Name>` in `device_list` entries (2021+ captures).
    pub list_names: bool,
    /// `<NetworkInterface>` in `device_query` details (2019+).
    pub network_interface: bool,
    /// `generic` (2017 manual) or `Generic`.
    pub manufacturer: &'static str,
    /// Indentation of the XML replies.
    pub indent: &'static str,
    /// `None` = the meter publishes no price (`invalid`).
    pub price: Option<PriceKnob>,
    /// Demand swings negative (solar export) instead of staying positive.
    pub export: bool,
    /// Negative demand is served as the unsigned 32-bit wrap (the EAGLE-200 bug).
    pub wrap_negative: bool,
    pub layout: MeterLayout,
    pub busy: Option<Busy>,
    /// Delay before every reply.
    pub delay: Duration,
    /// A further delay drawn uniformly from 0 to this, per reply.
    pub delay_jitter: Duration,
    /// Unescaped `&` in the Multiplier description.
    pub raw_ampersand: bool,
    pub summation_reset: Option<Reset>,
    /// Every n-th reading has an empty InstantaneousDemand.
    pub blank_demand_every: Option<u64>,
    /// How often the meter pushes a new reading by default.
    pub meter_update: Duration,
    /// Legacy Multiplier / Divisor (0 means 1).
    pub legacy_multiplier: u32,
    pub legacy_divisor: u32,
    /// How the device is reached.
    pub listener: Listener,
}

/// How the simulated device is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    /// Plain http on the listen address.
    Http,
    /// https only, with a self-signed certificate, on the listen address.
    Https,
    /// http on the listen address answers every request with `301 Moved Permanently` to
    /// `https://192.168.7.1/…` (the access point's address, as EAGLE 3 units do); https on a
    /// second port of the same address serves the API: 443 when listening on 80, else a free
    /// one, named in the `Location`.
    RedirectToHttps,
}

impl Knobs {
    const EAGLE200_2019: Knobs = Knobs {
        api: Api::Eagle200,
        style: ValueStyle::Separate6,
        naming: Naming::Fw2019,
        list_names: false,
        network_interface: true,
        manufacturer: "Generic",
        indent: "  ",
        price: Some(PriceKnob::BLOCK_1),
        export: false,
        wrap_negative: false,
        layout: MeterLayout::Live,
        busy: None,
        delay: Duration::ZERO,
        delay_jitter: Duration::ZERO,
        raw_ampersand: false,
        summation_reset: None,
        blank_demand_every: None,
        meter_update: Duration::from_secs(4),
        legacy_multiplier: 1,
        legacy_divisor: 1000,
        listener: Listener::Http,
    };

    const EAGLE3: Knobs = Knobs {
        naming: Naming::Eagle3,
        list_names: true,
        price: Some(PriceKnob {
            mantissa: 1123,
            digits: 4,
            rate_label: "Tier 1",
            tier: 1,
            ..PriceKnob::BLOCK_1
        }),
        ..Knobs::EAGLE200_2019
    };

    // The legacy site exports too, so both hex forms of Demand (6-digit positive, 32-bit
    // two's complement negative) appear over a run. The legacy `get_schedule` example
    // (docs/eagle-api.md §4.3) says 10 s.
    const LEGACY: Knobs = Knobs {
        api: Api::Legacy,
        export: true,
        price: Some(PriceKnob {
            mantissa: 125,
            digits: 3,
            rate_label: "Set by User",
            tier: 1,
            currency: "USD",
            currency_numeric: 840,
        }),
        meter_update: Duration::from_secs(10),
        ..Knobs::EAGLE200_2019
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
            assert_eq!(p.to_string(), p.name());
            assert!(!p.description().is_empty());
        }
        let mut names: Vec<_> = Profile::ALL.iter().map(|p| p.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Profile::ALL.len());
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = "eagle9000".parse::<Profile>().unwrap_err();
        assert!(err.to_string().contains("negative-export"));
    }

    #[test]
    fn default_is_2019() {
        assert_eq!(Profile::default(), Profile::Eagle200_2019);
        assert_eq!(Profile::Eagle200_2019.knobs(), Knobs::EAGLE200_2019);
    }

    #[test]
    fn variable_latency_is_the_default_plus_jitter() {
        let knobs = Profile::VariableLatency.knobs();
        assert_eq!(knobs.delay_jitter, Duration::from_secs(3));
        assert_eq!(
            Knobs {
                delay_jitter: Duration::ZERO,
                ..knobs
            },
            Knobs::EAGLE200_2019
        );
    }
}
