//! The terminal report: one summary line of counts by state, then the households that need
//! attention (or all of them), worst first, one line each.

use std::fmt::Write;

use chrono::SecondsFormat;

use super::assess::Assessment;
use super::Counts;

/// The summary line, then one line per household to show (the ones needing attention, or
/// every one with `all`). Every field is already escaped by the assessment.
pub fn render_text(assessments: &[Assessment], all: bool) -> String {
    let counts = Counts::of(assessments);
    let mut out = String::new();
    let parts: Vec<String> = counts
        .0
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect();
    let _ = writeln!(out, "{} households: {}", counts.total(), parts.join(", "));
    let shown: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| all || a.state.needs_attention())
        .collect();
    let attention = counts.needing_attention();
    if !all && attention == 0 {
        let _ = writeln!(out, "no household needs attention");
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        if all {
            "every household, worst first:".to_string()
        } else {
            format!("{attention} need attention, worst first:")
        }
    );
    let _ = writeln!(
        out,
        "{:<24} {:<20} {:<20} {:>5}  reason",
        "household", "state", "since", "24h"
    );
    for a in shown {
        let since = a.since.map_or_else(
            || "?".to_string(),
            |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
        let complete = a
            .completeness_24h
            .map_or_else(|| "?".to_string(), |share| format!("{:.0}%", share * 100.0));
        let _ = writeln!(
            out,
            "{:<24} {:<20} {:<20} {:>5}  {}",
            a.household,
            a.state.to_string(),
            since,
            complete,
            a.reason
        );
    }
    out
}
