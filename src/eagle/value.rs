//! Reading one `<Value>` of an EAGLE-200/EAGLE 3 meter variable.
//!
//! Firmware eras format values differently (`21.499 kW`, `0.070000 kW`, `2.790000` plus
//! `<Units>kW</Units>`, both at once, empty, `invalid`, `None`). Values stay exact decimals:
//! the logger stores what the EAGLE reported, never a float approximation.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::sample::Anomaly;

/// What a `<Value>` element (with its optional `<Units>`) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Empty, `invalid`, `None`, `null` or `nan`: the EAGLE has no value to give.
    Missing,
    /// A decimal number and the unit it came with (`<Units>` preferred over an inline unit).
    Number {
        /// The number exactly as reported, trailing zeros removed.
        value: Decimal,
        /// The unit, if any was given.
        unit: Option<String>,
    },
    /// Text that is none of the above; the caller reports it and stores nothing.
    Unparseable(String),
}

/// Words the firmware uses for "no value".
const MISSING_WORDS: &[&str] = &["invalid", "none", "null", "nan"];

/// Parses a variable's value text and its `<Units>` text.
pub fn parse_value(value: Option<&str>, units: Option<&str>) -> Value {
    let text = value.unwrap_or("").trim();
    if text.is_empty() || MISSING_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return Value::Missing;
    }
    let mut tokens = text.split_whitespace();
    let number = tokens.next().unwrap_or("");
    let inline_unit = tokens.next();
    if tokens.next().is_some() {
        return Value::Unparseable(text.to_string());
    }
    let Some(value) = parse_decimal(number) else {
        return Value::Unparseable(text.to_string());
    };
    let element_unit = units.map(str::trim).filter(|u| !u.is_empty());
    Value::Number {
        value,
        unit: element_unit.or(inline_unit).map(str::to_string),
    }
}

/// Parses a plain decimal (`-3.712`, `91937.250000`); rejects exponents, hex and anything
/// longer than a `Decimal` holds exactly.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return None;
    }
    Decimal::from_str(text).ok().map(|d| d.normalize())
}

/// 2^31 and 2^32: the firmware sends negative demand as an unsigned 32-bit integer.
const TWO_POW_31: i64 = 1 << 31;
const TWO_POW_32: i64 = 1 << 32;

/// Undoes the unsigned 32-bit wrap of negative demand in an already-scaled value.
///
/// The EAGLE scales the raw ZigBee integer by Multiplier/Divisor but reads it as unsigned, so
/// −3.712 kW arrives as `4294963.584`. Rebuild the raw integer, reinterpret it as signed, and
/// scale back. A Multiplier or Divisor of 0 means 1.
pub fn unwrap_negative(value: Decimal, multiplier: Decimal, divisor: Decimal) -> Decimal {
    let multiplier = if multiplier.is_zero() {
        Decimal::ONE
    } else {
        multiplier
    };
    let divisor = if divisor.is_zero() {
        Decimal::ONE
    } else {
        divisor
    };
    let Some(raw) = value
        .checked_mul(divisor)
        .and_then(|v| v.checked_div(multiplier))
    else {
        return value;
    };
    let (low, high) = (Decimal::from(TWO_POW_31), Decimal::from(TWO_POW_32));
    if raw >= low && raw < high {
        let signed = raw - high;
        match signed
            .checked_mul(multiplier)
            .and_then(|v| v.checked_div(divisor))
        {
            Some(fixed) => fixed.normalize(),
            None => value,
        }
    } else {
        value
    }
}

/// Converts a number in `unit` to the base unit `base` (`kW` or `kWh`): the base unit itself,
/// no unit (the documented default), or the same unit without the `k` (÷ 1000). Any other unit
/// gives `None`: better no number than a wrong one.
pub fn to_base_unit(value: Decimal, unit: Option<&str>, base: &str) -> Option<Decimal> {
    match unit {
        None => Some(value),
        Some(u) if u.eq_ignore_ascii_case(base) => Some(value),
        Some(u) if u.eq_ignore_ascii_case(&base[1..]) => {
            Some((value / Decimal::ONE_THOUSAND).normalize())
        }
        Some(_) => None,
    }
}

/// A household meter cannot show more than this (kW); beyond it the value is a decoding error.
const MAX_PLAUSIBLE_DEMAND_KW: i64 = 1000;

/// Passes a demand through if a household meter could show it; otherwise records an
/// [`Anomaly::Implausible`] and gives `None`.
pub fn check_demand(kw: Decimal, variable: &str, anomalies: &mut Vec<Anomaly>) -> Option<Decimal> {
    if kw.abs() > Decimal::from(MAX_PLAUSIBLE_DEMAND_KW) {
        anomalies.push(Anomaly::Implausible {
            variable: variable.to_string(),
            value: kw,
        });
        None
    } else {
        Some(kw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn number(value: &str, unit: Option<&str>) -> Value {
        Value::Number {
            value: dec(value),
            unit: unit.map(str::to_string),
        }
    }

    #[test]
    fn every_firmware_value_format() {
        // 2017 manual: three decimals, inline unit.
        assert_eq!(
            parse_value(Some("21.499 kW"), None),
            number("21.499", Some("kW"))
        );
        // ≈2018: six decimals, inline unit.
        assert_eq!(
            parse_value(Some("0.070000 kW"), None),
            number("0.07", Some("kW"))
        );
        assert_eq!(
            parse_value(Some("14.329000 kWh"), None),
            number("14.329", Some("kWh"))
        );
        // 2019/2021: bare number plus <Units>.
        assert_eq!(
            parse_value(Some("2.790000"), Some("kW")),
            number("2.79", Some("kW"))
        );
        // Hybrid: both; <Units> wins.
        assert_eq!(
            parse_value(Some("2.151000 kW"), Some("kW")),
            number("2.151", Some("kW"))
        );
        // Empty <Units> falls back to the inline unit.
        assert_eq!(
            parse_value(Some("1.5 kW"), Some("")),
            number("1.5", Some("kW"))
        );
        // Whitespace and line breaks around the value.
        assert_eq!(
            parse_value(Some("\r\n  0.720000 \n"), Some(" kW ")),
            number("0.72", Some("kW"))
        );
        assert_eq!(parse_value(Some("1000"), Some("")), number("1000", None));
    }

    #[test]
    fn missing_values() {
        for text in ["", "   ", "invalid", "None", "null", "NaN"] {
            assert_eq!(
                parse_value(Some(text), Some("kW")),
                Value::Missing,
                "{text:?}"
            );
        }
        assert_eq!(parse_value(None, None), Value::Missing);
    }

    #[test]
    fn unparseable_values_are_not_numbers() {
        for text in [
            "abc",
            "1.2.3 kW",
            "1e5",
            "0x1738",
            "12 kW extra",
            "--1",
            ".",
            "1,5",
        ] {
            assert!(
                matches!(parse_value(Some(text), None), Value::Unparseable(_)),
                "{text:?}"
            );
        }
        // Larger than a Decimal holds exactly.
        let huge = "9".repeat(40);
        assert!(matches!(
            parse_value(Some(&huge), None),
            Value::Unparseable(_)
        ));
    }

    #[test]
    fn negative_numbers_and_exactness() {
        assert_eq!(parse_decimal("-3.712"), Some(dec("-3.712")));
        assert_eq!(
            parse_decimal("2853.662000").unwrap().to_string(),
            "2853.662"
        );
        assert_eq!(
            parse_decimal("91937.250000").unwrap().to_string(),
            "91937.25"
        );
    }

    #[test]
    fn unsigned_wrap_of_negative_demand_is_undone() {
        let (one, thousand) = (Decimal::ONE, Decimal::ONE_THOUSAND);
        // The field report: 4294963.584000 kW is −3.712 kW.
        assert_eq!(
            unwrap_negative(dec("4294963.584"), one, thousand),
            dec("-3.712")
        );
        // Smallest wrap: raw 0xffffffff = −1 W.
        assert_eq!(
            unwrap_negative(dec("4294967.295"), one, thousand),
            dec("-0.001")
        );
        // Ordinary positive demand is untouched.
        assert_eq!(unwrap_negative(dec("2.79"), one, thousand), dec("2.79"));
        // Just below 2^31 raw stays positive.
        assert_eq!(
            unwrap_negative(dec("2147483.647"), one, thousand),
            dec("2147483.647")
        );
        // Divisor/Multiplier 0 mean 1.
        assert_eq!(
            unwrap_negative(dec("4294967290"), Decimal::ZERO, Decimal::ZERO),
            dec("-6")
        );
        // Multiplier 10, Divisor 10000: raw = value × 1000.
        assert_eq!(
            unwrap_negative(dec("4294963.584"), Decimal::TEN, dec("10000")),
            dec("-3.712")
        );
    }

    #[test]
    fn units_convert_or_refuse() {
        assert_eq!(to_base_unit(dec("2.5"), Some("kW"), "kW"), Some(dec("2.5")));
        assert_eq!(to_base_unit(dec("2.5"), Some("KW"), "kW"), Some(dec("2.5")));
        assert_eq!(to_base_unit(dec("2500"), Some("W"), "kW"), Some(dec("2.5")));
        assert_eq!(
            to_base_unit(dec("2500"), Some("Wh"), "kWh"),
            Some(dec("2.5"))
        );
        assert_eq!(to_base_unit(dec("2.5"), None, "kWh"), Some(dec("2.5")));
        assert_eq!(to_base_unit(dec("2.5"), Some("MW"), "kW"), None);
        assert_eq!(to_base_unit(dec("2.5"), Some("kWh"), "kW"), None);
    }
}
