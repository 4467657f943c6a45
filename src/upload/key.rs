//! Object keys (docs/design.md §3): the key depends only on household and period, so a retry or a
//! re-upload overwrites the same object instead of creating a twin.

use chrono::{Datelike, Timelike};

use super::period::Period;

/// The default layout: Hive-style `household=` and `date=` partitions that Athena, DuckDB and
/// Spark read as columns.
pub const DEFAULT_TEMPLATE: &str = "{prefix}readings/household={household}/date={yyyy}-{mm}-{dd}/\
     {household}-{yyyy}{mm}{dd}T{hh}{MM}Z.ndjson.gz";

/// Builds object keys for one household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    template: String,
    prefix: String,
    household: String,
}

impl KeyTemplate {
    /// `template = None` means [`DEFAULT_TEMPLATE`]. The template was validated with the config.
    pub fn new(template: Option<&str>, prefix: &str, household: &str) -> KeyTemplate {
        KeyTemplate {
            template: template.unwrap_or(DEFAULT_TEMPLATE).to_string(),
            prefix: prefix.to_string(),
            household: household.to_string(),
        }
    }

    /// The key of `period`'s object.
    pub fn readings_key(&self, period: &Period) -> String {
        let start = period.start();
        self.template
            .replace("{prefix}", &self.prefix)
            .replace("{household}", &self.household)
            .replace("{yyyy}", &format!("{:04}", start.year()))
            .replace("{mm}", &format!("{:02}", start.month()))
            .replace("{dd}", &format!("{:02}", start.day()))
            .replace("{hh}", &format!("{:02}", start.hour()))
            .replace("{MM}", &format!("{:02}", start.minute()))
    }

    /// The key of the household's heartbeat object.
    pub fn heartbeat_key(&self) -> String {
        format!("{}status/household={}.json", self.prefix, self.household)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn period() -> Period {
        // 2026-03-07T09:30:00Z, one hour.
        Period::containing(1_772_875_800_000, Duration::from_secs(3600))
    }

    #[test]
    fn default_layout() {
        let keys = KeyTemplate::new(None, "study-2026/", "h-0001");
        assert_eq!(
            keys.readings_key(&period()),
            "study-2026/readings/household=h-0001/date=2026-03-07/h-0001-20260307T0900Z.ndjson.gz"
        );
        assert_eq!(
            keys.heartbeat_key(),
            "study-2026/status/household=h-0001.json"
        );
    }

    #[test]
    fn the_first_iseif_logger_layout() {
        let keys = KeyTemplate::new(
            Some("rainforest-logs/{household}/{yyyy}/{mm}/{dd}/iseif-rainforest-{household}-{yyyy}-{mm}-{dd}-{hh}.jl.gz"),
            "",
            "h-0042",
        );
        assert_eq!(
            keys.readings_key(&period()),
            "rainforest-logs/h-0042/2026/03/07/iseif-rainforest-h-0042-2026-03-07-09.jl.gz"
        );
    }
}
