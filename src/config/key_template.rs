//! Checks `s3.key_template`, the object-key pattern of docs/design.md §3, and `s3.prefix`, which
//! goes in front of every key.
//!
//! A key must name one object of one household and one period, inside the bucket: two
//! periods or two households mapped to one key overwrite each other, and a `..` or empty
//! segment is normalised away by some stores and proxies (with path-style addressing,
//! `../` climbs out of the bucket) while `flush` reports the key that was asked for.

use std::time::Duration;

/// Placeholders a template may use.
const PLACEHOLDERS: &[&str] = &["prefix", "household", "yyyy", "mm", "dd", "hh", "MM"];

/// What `s3.prefix` accepts.
pub(super) const PREFIX_EXPECTED: &str = "a key prefix such as \"study-2026/\": names \
     separated by '/', none of them empty, \".\" or \"..\", not starting with '/', without \
     control characters";

/// `s3.prefix` if it is `""` or names separated by `/`, with an optional trailing `/`.
pub(super) fn prefix(text: &str) -> Result<String, &'static str> {
    let names = text.strip_suffix('/').unwrap_or(text);
    let valid =
        text.is_empty() || (!text.chars().any(char::is_control) && names.split('/').all(is_name));
    if valid {
        Ok(text.to_string())
    } else {
        Err(PREFIX_EXPECTED)
    }
}

/// A key segment that every store keeps as it is.
fn is_name(segment: &str) -> bool {
    !segment.is_empty() && segment != "." && segment != ".."
}

/// Every problem with `template` (messages in "expected …, found …" form); empty if it is fine.
///
/// `period` is the batch period and `prefix` the valid `s3.prefix`, each `None` if itself
/// invalid: then the checks that need it are skipped. Each household and each period must
/// get its own key, or a later batch would overwrite an earlier one. Every placeholder but
/// `{prefix}` has a fixed width or (`{household}`) the same value in every key of a box, so
/// the set of placeholders decides that.
pub(super) fn problems(
    template: &str,
    period: Option<Duration>,
    prefix: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if template.starts_with('/') {
        problems.push(format!(
            "expected a template not starting with '/' (S3 keys are relative), found {template:?}"
        ));
    }
    if template.chars().any(char::is_control) {
        problems.push(format!(
            "expected a template without control characters, found {template:?}"
        ));
    }
    let Some(used) = placeholders(template) else {
        problems.push(format!(
            "expected '{{' and '}}' only around placeholders, found an unmatched brace in {template:?}"
        ));
        return problems;
    };
    for name in &used {
        if !PLACEHOLDERS.contains(name) {
            problems.push(format!(
                "expected only the placeholders {{prefix}} {{household}} {{yyyy}} {{mm}} {{dd}} {{hh}} {{MM}}, found {{{name}}}"
            ));
        }
    }
    if let Some(prefix) = prefix.filter(|_| !template.starts_with('/')) {
        if !has_plain_segments(&sample_key(template, prefix)) {
            problems.push(format!(
                "expected a template whose keys (with s3.prefix = {prefix:?}) have no empty, \
                 \".\" or \"..\" segment and do not start or end with '/', found {template:?}"
            ));
        }
    }
    let mut needed = vec!["household"];
    if let Some(period) = period {
        needed.extend(["yyyy", "mm", "dd"]);
        if period < Duration::from_secs(86_400) {
            needed.push("hh");
        }
        if period < Duration::from_secs(3_600) {
            needed.push("MM");
        }
    }
    let missing: Vec<String> = needed
        .into_iter()
        .filter(|name| !used.contains(name))
        .map(|name| format!("{{{name}}}"))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "expected {} in the template so that each household and each s3.batch_period \
             gets its own key, found {template:?}",
            missing.join(" and ")
        ));
    }
    problems
}

/// A key of `template`'s shape: `{prefix}` as given, every other placeholder as a digit (each
/// stands for a non-empty run of letters, digits, `-` and `_`, never a `/` or `.`).
fn sample_key(template: &str, prefix: &str) -> String {
    PLACEHOLDERS
        .iter()
        .filter(|&&name| name != "prefix")
        .fold(template.replace("{prefix}", prefix), |key, name| {
            key.replace(&format!("{{{name}}}"), "0")
        })
}

/// Whether every `/`-separated segment of `key` is a name (so also no leading or trailing `/`).
fn has_plain_segments(key: &str) -> bool {
    key.split('/').all(is_name)
}

/// The names inside `{…}`, or `None` if a brace is unmatched or nested.
fn placeholders(template: &str) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return None;
        }
        let inside = &rest[open + 1..];
        let close = inside
            .find(['{', '}'])
            .filter(|&end| inside[end..].starts_with('}'))?;
        names.push(&inside[..close]);
        rest = &inside[close + 1..];
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3_600);
    const DAY: Duration = Duration::from_secs(86_400);
    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    #[test]
    fn templates_accepted() {
        let cases = [
            ("rainforest-logs/{household}/{yyyy}/{mm}/{dd}/iseif-rainforest-{household}-{yyyy}-{mm}-{dd}-{hh}.jl.gz", HOUR),
            ("{prefix}{household}{yyyy}{mm}{dd}.gz", DAY),
            ("{prefix}x/{household}/{yyyy}-{mm}-{dd}T{hh}{MM}.gz", FIVE_MINUTES),
            ("{prefix}/{household}/..{yyyy}{mm}{dd}.gz", DAY),
        ];
        for (template, period) in cases {
            for prefix in ["", "study-2026/", "a/b"] {
                let prefix = if template.contains("{prefix}/") {
                    "a"
                } else {
                    prefix
                };
                assert_eq!(
                    problems(template, Some(period), Some(prefix)),
                    Vec::<String>::new(),
                    "{template} with {prefix:?}"
                );
            }
        }
        // With an invalid period or prefix only what does not depend on it is checked.
        assert!(problems("{household}{yyyy}.gz", None, None).is_empty());
    }

    #[test]
    fn prefixes() {
        for text in ["", "study-2026/", "study", "a/b/", "a.b/..c/"] {
            assert_eq!(prefix(text), Ok(text.to_string()));
        }
        for text in [
            "/", "/study/", "../x/", "a/../b/", "./a/", "a//b/", "a/.", "a\u{c}b/", "a\nb",
        ] {
            assert_eq!(prefix(text), Err(PREFIX_EXPECTED), "{text:?}");
        }
    }

    #[test]
    fn templates_rejected() {
        let cases = [
            (
                "/{household}{yyyy}{mm}{dd}{hh}",
                HOUR,
                "not starting with '/'",
            ),
            ("{household}{yyyy}{mm}{dd}{hh}{day}", HOUR, "found {day}"),
            ("{household}{yyyy}{mm}{dd}{hh", HOUR, "unmatched brace"),
            ("{household}{yyyy}}{mm}{dd}{hh}", HOUR, "unmatched brace"),
            ("{household}{yyyy{mm}}{dd}{hh}", HOUR, "unmatched brace"),
            (
                "{household}{yyyy}{mm}{dd}",
                HOUR,
                "expected {hh} in the template",
            ),
            (
                "{household}{yyyy}{dd}",
                DAY,
                "expected {mm} in the template",
            ),
            (
                "{household}{yyyy}{mm}{dd}",
                FIVE_MINUTES,
                "expected {hh} and {MM}",
            ),
            (
                "{household}{yyyy}{mm}{dd}{hh}",
                FIVE_MINUTES,
                "expected {MM}",
            ),
            (
                "x/{yyyy}{mm}{dd}{hh}",
                HOUR,
                "expected {household} in the template",
            ),
            ("{yyyy}{mm}{dd}", HOUR, "expected {household} and {hh}"),
            (
                "{prefix}../{household}/{yyyy}{mm}{dd}{hh}",
                HOUR,
                "no empty",
            ),
            (
                "{prefix}{household}/./{yyyy}{mm}{dd}{hh}",
                HOUR,
                "\"..\" segment",
            ),
            ("{prefix}{household}//{yyyy}{mm}{dd}{hh}", HOUR, "no empty"),
            (
                "{prefix}{household}/{yyyy}{mm}{dd}{hh}/",
                HOUR,
                "end with '/'",
            ),
            // An empty prefix before a '/' makes the key start with one.
            (
                "{prefix}/{household}/{yyyy}{mm}{dd}{hh}",
                HOUR,
                "with s3.prefix = \"\"",
            ),
            (
                "{household}\u{c}{yyyy}{mm}{dd}{hh}",
                HOUR,
                "without control characters",
            ),
        ];
        for (template, period, message) in cases {
            let found = problems(template, Some(period), Some(""));
            assert_eq!(found.len(), 1, "{template}: {found:?}");
            assert!(found[0].contains(message), "{template}: {found:?}");
        }
    }
}
