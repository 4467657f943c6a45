//! `fleet --html FILE`: one self-contained page (inline CSS; no script, font or image from
//! anywhere) with the summary tiles, the attention list and a households × last-14-days
//! completeness heatmap.
//!
//! The heatmap comes from the heartbeats' daily counts, not from listing the readings
//! objects: the heartbeats are already read (one small GET per home), whereas listing 14 days
//! of hourly objects is 336 keys per home, 3.4 million for 10,000 homes. At that size the page
//! stays readable by grouping: one row per state (the mean of its homes), then one row per
//! home, worst first, up to [`MAX_HOME_ROWS`]; the rest are counted, not drawn.

use std::fmt::Write;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::assess::{Assessment, State};
use super::Counts;
use crate::upload::DAYS;
use crate::web::escape_html;

/// Households drawn one row each in the heatmap and listed in the attention table.
pub const MAX_HOME_ROWS: usize = 1000;

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
.tiles{display:flex;flex-wrap:wrap;gap:.6em}
.tile{border-radius:6px;padding:.6em 1em;min-width:7em;background:#eee}
.tile b{display:block;font-size:1.8em}
.tile.healthy{background:#d8f0d8}.tile.attention{background:#f8dcd0}
table{border-collapse:collapse}td,th{padding:2px 6px;text-align:left;vertical-align:top}
.list td{border-top:1px solid #ddd}
.heat td.cell{width:22px;height:14px;padding:0;border:1px solid #fff}
.heat th{font-weight:normal;font-size:11px}
.c0{background:#cccccc}.c1{background:#d73027}.c2{background:#fc8d59}
.c3{background:#fee08b}.c4{background:#1a9850}
.legend span{display:inline-block;width:14px;height:14px;vertical-align:middle;margin:0 4px 0 10px}
";

/// The page for `assessments` (worst first) as of `now`.
pub fn render_html(assessments: &[Assessment], now: DateTime<Utc>) -> String {
    let counts = Counts::of(assessments);
    let mut page = String::new();
    let generated = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Fleet report {generated}</title><style>{STYLE}</style></head><body>\n\
         <h1>Fleet report</h1><p>{} households, {} need attention; generated {generated}.</p>\n",
        counts.total(),
        counts.needing_attention()
    );
    tiles(&mut page, &counts);
    attention_list(&mut page, assessments);
    heatmap(&mut page, assessments, now);
    page.push_str("</body></html>\n");
    page
}

fn tiles(page: &mut String, counts: &Counts) {
    page.push_str("<div class=\"tiles\">");
    for (state, n) in &counts.0 {
        let kind = if state.needs_attention() {
            "attention"
        } else {
            "healthy"
        };
        let _ = write!(
            page,
            "<div class=\"tile {kind}\" id=\"tile-{}\"><b>{n}</b>{state}</div>",
            slug(*state)
        );
    }
    page.push_str("</div>\n");
}

fn attention_list(page: &mut String, assessments: &[Assessment]) {
    let needing: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.state.needs_attention())
        .collect();
    let _ = write!(
        page,
        "<h2>Need attention ({}), worst first</h2>",
        needing.len()
    );
    page.push_str(
        "<table class=\"list\"><tr><th>household</th><th>state</th><th>since</th>\
         <th>24 h</th><th>reason</th></tr>\n",
    );
    for a in needing.iter().take(MAX_HOME_ROWS) {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&a.household),
            a.state,
            a.since
                .map_or("?".into(), |t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            percent(a.completeness_24h),
            escape_html(&a.reason)
        );
    }
    page.push_str("</table>\n");
    more(page, needing.len());
}

fn heatmap(page: &mut String, assessments: &[Assessment], now: DateTime<Utc>) {
    let today = now.date_naive();
    let days: Vec<String> = (0..DAYS)
        .map(|d| (today - Duration::days((DAYS - d) as i64)).to_string())
        .collect();
    page.push_str(
        "<h2>Completeness, last 14 days (readings stored / expected, per UTC day)</h2>\
         <p class=\"legend\"><span class=\"c4\"></span>&ge; 95%<span class=\"c3\"></span>80–95%\
         <span class=\"c2\"></span>50–80%<span class=\"c1\"></span>&lt; 50%\
         <span class=\"c0\"></span>unknown</p>\n<table class=\"heat\"><tr><th></th>",
    );
    for day in &days {
        let _ = write!(page, "<th>{}</th>", &day[5..]);
    }
    page.push_str("</tr>\n");
    for state in State::SUMMARY_ORDER {
        let homes: Vec<&Assessment> = assessments.iter().filter(|a| a.state == state).collect();
        if homes.is_empty() {
            continue;
        }
        let mean: Vec<Option<f64>> = (0..DAYS)
            .map(|d| {
                let known: Vec<f64> = homes.iter().filter_map(|a| a.daily[d]).collect();
                (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
            })
            .collect();
        let label = format!("all {state} ({})", homes.len());
        row(
            page,
            &label,
            &format!("group-{}", slug(state)),
            &days,
            &mean,
        );
    }
    for a in assessments.iter().take(MAX_HOME_ROWS) {
        row(page, &a.household, &a.household, &days, &a.daily);
    }
    page.push_str("</table>\n");
    more(page, assessments.len());
}

fn row(page: &mut String, label: &str, id: &str, days: &[String], shares: &[Option<f64>]) {
    let _ = write!(page, "<tr><th>{}</th>", escape_html(label));
    for (day, share) in days.iter().zip(shares) {
        let _ = write!(
            page,
            "<td class=\"cell {}\" data-home=\"{}\" data-day=\"{day}\" title=\"{} {day}: {}\"></td>",
            class(*share),
            escape_html(id),
            escape_html(label),
            percent(*share)
        );
    }
    page.push_str("</tr>\n");
}

fn more(page: &mut String, total: usize) {
    if total > MAX_HOME_ROWS {
        let _ = writeln!(
            page,
            "<p>… and {} more (`fleet --all` or `--json` lists every household).</p>",
            total - MAX_HOME_ROWS
        );
    }
}

/// The colour class of a day's share.
fn class(share: Option<f64>) -> &'static str {
    match share {
        None => "c0",
        Some(s) if s < 0.5 => "c1",
        Some(s) if s < 0.8 => "c2",
        Some(s) if s < 0.95 => "c3",
        Some(_) => "c4",
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or("?".into(), |s| format!("{:.0}%", s * 100.0))
}

fn slug(state: State) -> String {
    state.to_string().to_lowercase().replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_household_text_is_inert() {
        assert_eq!(
            escape_html("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn colour_classes_follow_the_legend() {
        let classes: Vec<&str> = [None, Some(0.2), Some(0.6), Some(0.9), Some(1.0)]
            .into_iter()
            .map(class)
            .collect();
        assert_eq!(classes, ["c0", "c1", "c2", "c3", "c4"]);
    }
}
