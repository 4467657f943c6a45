//! The meter's variable catalogue per firmware naming (docs/eagle-api.md §2.3 fixtures, §3.3
//! name table).

use super::profile::Naming;

/// Where a variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Demand,
    Delivered,
    Received,
    Multiplier,
    Divisor,
    Price,
    TrailingDigits,
    Currency,
    RateLabel,
    Tier,
    /// A fixed value (tariff blocks, messages, …) the logger does not care about.
    Fixed(&'static str),
}

/// One `<Variable>` of the meter's `Main` component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarSpec {
    pub name: String,
    pub units: &'static str,
    pub description: &'static str,
    pub source: Source,
}

fn var(name: &str, units: &'static str, description: &'static str, source: Source) -> VarSpec {
    VarSpec {
        name: format!("zigbee:{name}"),
        units,
        description,
        source,
    }
}

const MULTIPLIER_DESC: &str = "Multiplier applied to demand and summation values";
/// The same description with the raw `&` some firmware emits (not well-formed XML).
pub(crate) const MULTIPLIER_DESC_RAW_AMP: &str = "Multiplier applied to demand & summation values";
const BLOCK_PRICE_DESC: &str =
    "The price of Energy, Gas, or Water delivered to the premises at a specific price tier";
const THRESHOLD_DESC: &str =
    "the block threshold values for a given period (typically the billing cycle)";

/// The variables a meter exposes under `naming`, in the device's order.
pub(crate) fn catalogue(naming: Naming) -> Vec<VarSpec> {
    use Source::*;
    let demand = var("InstantaneousDemand", "kW", "Instantaneous Demand", Demand);
    let multiplier = var("Multiplier", "", MULTIPLIER_DESC, Multiplier);
    let divisor = var(
        "Divisor",
        "",
        "Divisor applied to demand and summation values",
        Divisor,
    );
    let delivered = var(
        "CurrentSummationDelivered",
        "kWh",
        "Summation Delivered to Home",
        Delivered,
    );
    let price = var("Price", "", "Price of electricity", Price);
    // The 2017 manual and the 2019 firmware open with the same six variables, in this order.
    let opening = || {
        vec![
            demand.clone(),
            multiplier.clone(),
            divisor.clone(),
            delivered.clone(),
            var(
                "CurrentSummationReceived",
                "kWh",
                "Summation Received from Home",
                Received,
            ),
            price.clone(),
        ]
    };
    match naming {
        Naming::Manual2017 => {
            let mut vars = opening();
            vars.extend([
                var("RateLabel", "", "Active price rate label", RateLabel),
                var("Message", "", "Message from utility to customer", Fixed("")),
            ]);
            vars
        }
        Naming::Fw2019 => fw2019(opening()),
        Naming::Fw2021 | Naming::Eagle3 => {
            let mut vars = vec![
                demand,
                delivered,
                // The typo is the 2021 firmware's own.
                var(
                    "CurrentSummationReceived",
                    "kWh",
                    "Summation Recieved from Home",
                    Received,
                ),
            ];
            if naming == Naming::Eagle3 {
                vars.extend(display_hints());
            }
            vars.extend([
                multiplier,
                divisor,
                price,
                var(
                    "PriceCurrency",
                    "",
                    "The local unit of currency used in the price field",
                    Currency,
                ),
                var(
                    "PriceTrailingDigits",
                    "",
                    "Indicates the number of digits to the right of the decimal point",
                    TrailingDigits,
                ),
                var("PriceTier", "", "The current Price Tier", Tier),
                var("PriceRateLabel", "", "Active priuce rate label", RateLabel),
                var(
                    "PriceStartTime",
                    "",
                    "The time at which the price signal becomes valid",
                    Fixed("946684800"),
                ),
                var(
                    "PriceDuration",
                    "min",
                    "Amount of time in minutes after the Start Time during which the price signal is valid",
                    Fixed("0"),
                ),
                var(
                    "CurrentBillingPeriodStart",
                    "",
                    "The start time of the current billing period",
                    Fixed("1628739302"),
                ),
                var(
                    "CurrentBillingPeriodDuration",
                    "min",
                    "The current billing period duration in minutes",
                    Fixed("60215213"),
                ),
                var(
                    "BlockPeriodDuration",
                    "min",
                    "The current block tariff period duration in minutes",
                    Fixed("0"),
                ),
                var("BlockPeriodNumberOfBlocks", "", "", Fixed("0")),
                var(
                    "CurrentBlockPeriodConsumptionDelivered",
                    "kWh",
                    "The most recent summed value of Energy, Gas or Water delivered and consumed in the premises during the Block Tariff Period",
                    Fixed("0.000000"),
                ),
                var(
                    "StartOfBlockPeriod",
                    "",
                    "The start time of the current block tariff period",
                    Fixed("946684800"),
                ),
                var(
                    "ThresholdMultiplier",
                    "",
                    "Provides a value to be multiplied against Threshold attributes",
                    Fixed("1"),
                ),
                var(
                    "ThresholdDivisor",
                    "",
                    "Provides a value to divide the result of applying the threshold multiplier attribute to Block Threshold values",
                    Fixed("1"),
                ),
            ]);
            vars.extend((1..=8).map(|n| {
                var(
                    &format!("NoTierBlock{n}Price"),
                    "USD/kWh",
                    BLOCK_PRICE_DESC,
                    Fixed(""),
                )
            }));
            vars.extend((1..=8).map(|n| {
                var(
                    &format!("Block{n}Threshold"),
                    "kWh",
                    THRESHOLD_DESC,
                    Fixed(""),
                )
            }));
            vars.extend(messages("false"));
            vars
        }
    }
}

/// The 2019 firmware's catalogue: `opening` (the variables it shares with the 2017 manual)
/// and then its own.
fn fw2019(opening: Vec<VarSpec>) -> Vec<VarSpec> {
    use Source::*;
    let mut vars = opening;
    vars.extend([
        var(
            "TrailingDigits",
            "",
            "Indicates the number of digits to the right of the decimal point",
            TrailingDigits,
        ),
        // The typo is the 2019 firmware's own.
        var("RateLabel", "", "Active priuce rate label", RateLabel),
        var(
            "Currency",
            "",
            "The local unit of currency used in the price field",
            Currency,
        ),
        var("PriceTier", "", "The current Price Tier", Tier),
        var(
            "PriceStartTime",
            "",
            "The time at which the price signal becomes valid",
            Fixed("Wed Feb  6 15:37:59 2019"),
        ),
        var(
            "PriceDuration",
            "min",
            "Amount of time in minutes after the Start Time during which the price signal is valid",
            Fixed("-1"),
        ),
    ]);
    vars.extend(messages("N"));
    vars.extend([
        var("BlockPeriodNumberOfBlocks", "", "", Fixed("2")),
        var(
            "BlockPeriodConsumption",
            "kWh",
            "The most recent summed value of Energy, Gas or Water delivered and consumed in the premises during the Block Tariff Period",
            Fixed("531.646000"),
        ),
    ]);
    let block_prices = ["0.088400", "0.132600", "", "", "", "", "", ""];
    vars.extend(block_prices.iter().enumerate().map(|(i, v)| {
        var(
            &format!("Block{}Price", i + 1),
            "USD/kWh",
            BLOCK_PRICE_DESC,
            Fixed(v),
        )
    }));
    let thresholds = ["1354.000000", "", "", "", "", "", "", ""];
    vars.extend(thresholds.iter().enumerate().map(|(i, v)| {
        var(
            &format!("Block{}Threshold", i + 1),
            "kWh",
            THRESHOLD_DESC,
            Fixed(v),
        )
    }));
    vars.extend([
        var(
            "BlockPeriodStart",
            "",
            "The start time of the current block tariff period",
            Fixed("1548316764"),
        ),
        var(
            "BlockPeriodDuration",
            "min",
            "The current block tariff period duration in minutes",
            Fixed("62860"),
        ),
        var(
            "BlockThresholdMultiplier",
            "",
            "Provides a value to be multiplied against Threshold attributes",
            Fixed("1"),
        ),
        var(
            "BlockThresholdDivisor",
            "",
            "Provides a value to divide the result of applying the threshold multiplier attribute to Block Threshold values",
            Fixed("1"),
        ),
        var(
            "BillingPeriodStart",
            "",
            "The start time of the current billing period",
            Fixed("1548316764"),
        ),
        var(
            "BillingPeriodDuration",
            "min",
            "The current billing period duration in minutes",
            Fixed("87840"),
        ),
    ]);
    vars
}

/// The message variables; `no` is how the firmware spells "no" (`N` in 2019, `false` in 2021).
fn messages(no: &'static str) -> Vec<VarSpec> {
    use Source::Fixed;
    vec![
        var("Message", "", "Message from utility to customer", Fixed("")),
        var("MessageId", "", "Message unique ID", Fixed("")),
        var(
            "MessageStartTime",
            "",
            "Start time for current message",
            Fixed(""),
        ),
        var(
            "MessageDurationInMinutes",
            "min",
            "Start time for current message",
            Fixed(""),
        ),
        var("MessagePriority", "", "Message priority", Fixed("")),
        var(
            "MessageConfirmationRequired",
            "",
            "Indicates if the message requires user confirmation",
            Fixed(no),
        ),
        var(
            "MessageConfirmed",
            "",
            "Indicates if the message has received user confirmation",
            Fixed(no),
        ),
    ]
}

/// The 2025 display-hint variables (what DigitsRight/DigitsLeft were in the legacy API).
fn display_hints() -> Vec<VarSpec> {
    use Source::Fixed;
    vec![
        var(
            "DemandDigitsRight",
            "",
            "Digits to the right of the decimal point for demand",
            Fixed("3"),
        ),
        var(
            "DemandDigitsLeft",
            "",
            "Digits to the left of the decimal point for demand",
            Fixed("6"),
        ),
        var(
            "DemandSuppressLeadingZero",
            "",
            "Suppress leading zeros of demand",
            Fixed("Y"),
        ),
        var(
            "SummationDigitsRight",
            "",
            "Digits to the right of the decimal point for summation",
            Fixed("3"),
        ),
        var(
            "SummationDigitsLeft",
            "",
            "Digits to the left of the decimal point for summation",
            Fixed("6"),
        ),
        var(
            "SummationSuppressLeadingZero",
            "",
            "Suppress leading zeros of summation",
            Fixed("Y"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(naming: Naming) -> Vec<String> {
        catalogue(naming).into_iter().map(|v| v.name).collect()
    }

    #[test]
    fn fixture_2019_has_43_variables() {
        let vars = names(Naming::Fw2019);
        assert_eq!(vars.len(), 43);
        assert!(vars.contains(&"zigbee:Currency".to_string()));
        assert!(!vars.contains(&"zigbee:PriceCurrency".to_string()));
    }

    #[test]
    fn names_follow_the_firmware() {
        let v2021 = names(Naming::Fw2021);
        for n in [
            "PriceCurrency",
            "PriceTrailingDigits",
            "PriceRateLabel",
            "NoTierBlock8Price",
        ] {
            assert!(v2021.contains(&format!("zigbee:{n}")), "{n}");
        }
        assert!(!v2021.iter().any(|n| n.contains("DigitsRight")));
        let e3 = names(Naming::Eagle3);
        assert!(e3.contains(&"zigbee:DemandDigitsRight".to_string()));
        assert_eq!(e3.len(), v2021.len() + 6);
        for vars in [names(Naming::Manual2017), v2021, e3, names(Naming::Fw2019)] {
            let mut sorted = vars.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), vars.len(), "duplicate variable");
        }
    }
}
