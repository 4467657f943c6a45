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
            latest: None,
            day_start: None,
            led: LedState::ConfigError,
            pending_rows: 3,
            last_upload: None,
        });
        let html = render(&view);
        assert!(!html.contains("{{"), "{html}");
        for (id, _) in view.fields() {
            assert!(html.contains(&format!("id=\"{id}\"")), "no element {id}");
        }
        assert!(html.contains("<dd id=\"pending\">3 readings</dd>"));
    }
}
