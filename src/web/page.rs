//! The page's assets, compiled in, and the HTML with a view's texts filled in.

use super::escape::escape_html;
use super::view::PageView;

/// The page, with `{{id}}` where each element's text goes.
const TEMPLATE: &str = include_str!("page.html");
/// Its style sheet.
pub const STYLE: &str = include_str!("page.css");
/// Its script: applies each update event to the elements.
pub const SCRIPT: &str = include_str!("page.js");

/// The page showing `view`, every text escaped. Without JavaScript it is still correct as of
/// the moment it was served; with it, the script keeps it current.
pub fn render(view: &PageView) -> String {
    let mut html = TEMPLATE.to_string();
    for (id, text) in view.fields() {
        html = html.replace(&format!("{{{{{id}}}}}"), &escape_html(text));
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::LedState;
    use crate::web::PageFacts;

    #[test]
    fn every_placeholder_is_filled_and_every_field_has_an_element() {
        let view = PageView::new(&PageFacts {
            pending_rows: 3,
            ..PageFacts::nothing_known(LedState::ConfigError)
        });
        let html = render(&view);
        assert!(!html.contains("{{"), "{html}");
        for (id, _) in view.fields() {
            assert!(html.contains(&format!("id=\"{id}\"")), "no element {id}");
        }
        assert!(html.contains("<dd id=\"pending\">3 readings</dd>"));
    }

    #[test]
    fn eagle_text_is_escaped() {
        let time = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let mut reading = crate::reading::Reading {
            price: Some(rust_decimal::Decimal::new(1234, 4)),
            currency: Some("USD".into()),
            rate_label: Some("</p><script>alert(1)</script>".into()),
            ..crate::reading::tests::empty_reading("0x0013500100abcdef", time)
        };
        let page = |reading: &crate::reading::Reading| {
            render(&PageView::new(&PageFacts {
                latest: Some(crate::reading::tests::pending(1, reading.clone())),
                ..PageFacts::nothing_known(LedState::Healthy)
            }))
        };
        let html = page(&reading);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("(&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;)"));
        reading.currency = Some("\"><img src=x>".into());
        assert!(page(&reading).contains("&quot;&gt;&lt;img src=x&gt;/kWh"));
    }
}
