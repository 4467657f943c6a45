//! Checks `s3.key_template`, the object-key pattern of docs/design.md §3.

use std::time::Duration;

/// Placeholders a template may use.
const PLACEHOLDERS: &[&str] = &["prefix", "household", "yyyy", "mm", "dd", "hh", "MM"];

/// Every problem with `template` (messages in "expected …, found …" form); empty if it is fine.
///
/// `period` is the batch period, or `None` if that is itself invalid: then only the syntax is
/// checked. Each period must get its own key, or a later batch would overwrite an earlier one.
pub(super) fn problems(template: &str, period: Option<Duration>) -> Vec<String> {
    let mut problems = Vec::new();
    if template.starts_with('/') {
        problems.push(format!(
            "expected a template not starting with '/' (S3 keys are relative), found {template:?}"
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
    if let Some(period) = period {
        let mut needed = vec!["yyyy", "mm", "dd"];
        if period < Duration::from_secs(86_400) {
            needed.push("hh");
        }
        if period < Duration::from_secs(3_600) {
            needed.push("MM");
        }
        let missing: Vec<String> = needed
            .into_iter()
            .filter(|name| !used.contains(name))
            .map(|name| format!("{{{name}}}"))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "expected {} in the template so that each s3.batch_period gets its own key, found {template:?}",
                missing.join(" and ")
            ));
        }
    }
    problems
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
            ("{prefix}{yyyy}{mm}{dd}.gz", DAY),
            ("{prefix}x/{yyyy}-{mm}-{dd}T{hh}{MM}.gz", FIVE_MINUTES),
        ];
        for (template, period) in cases {
            assert_eq!(
                problems(template, Some(period)),
                Vec::<String>::new(),
                "{template}"
            );
        }
        // With an invalid period only the syntax is checked.
        assert!(problems("{yyyy}.gz", None).is_empty());
    }

    #[test]
    fn templates_rejected() {
        let cases = [
            ("/{yyyy}{mm}{dd}{hh}", HOUR, "not starting with '/'"),
            ("{yyyy}{mm}{dd}{hh}{day}", HOUR, "found {day}"),
            ("{yyyy}{mm}{dd}{hh", HOUR, "unmatched brace"),
            ("{yyyy}}{mm}{dd}{hh}", HOUR, "unmatched brace"),
            ("{yyyy{mm}}{dd}{hh}", HOUR, "unmatched brace"),
            ("{yyyy}{mm}{dd}", HOUR, "expected {hh} in the template"),
            ("{yyyy}{dd}", DAY, "expected {mm} in the template"),
            ("{yyyy}{mm}{dd}", FIVE_MINUTES, "expected {hh} and {MM}"),
            ("{yyyy}{mm}{dd}{hh}", FIVE_MINUTES, "expected {MM}"),
        ];
        for (template, period, message) in cases {
            let found = problems(template, Some(period));
            assert_eq!(found.len(), 1, "{template}: {found:?}");
            assert!(found[0].contains(message), "{template}: {found:?}");
        }
    }
}
