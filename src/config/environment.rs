//! Environment variables that override the file, so credentials can stay out of it.

use toml::{Table, Value};

/// `(variable, key in [s3])`: the AWS SDK's usual names, which staff already know.
const OVERRIDES: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "access_key_id"),
    ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
    ("AWS_REGION", "region"),
];

/// Reads the real process environment (for the binary; tests pass their own lookup).
/// A variable that is not valid Unicode counts as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Writes every non-empty override into the raw `[s3]` table, before validation, so the
/// overriding values are validated like the file's own. An `s3` that is not a table is left
/// alone for validation to report.
pub(super) fn apply(table: &mut Table, env: &dyn Fn(&str) -> Option<String>) {
    for &(variable, key) in OVERRIDES {
        let Some(value) = env(variable).filter(|value| !value.is_empty()) else {
            continue;
        };
        let s3 = table
            .entry("s3")
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(s3) = s3 {
            s3.insert(key.to_string(), Value::String(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_empty_variables_override_the_file() {
        let mut table: Table = "[s3]\nregion = \"eu-west-1\"\naccess_key_id = \"FILE\"\n"
            .parse()
            .unwrap();
        apply(&mut table, &|name| match name {
            "AWS_REGION" => Some("ca-central-1".to_string()),
            "AWS_ACCESS_KEY_ID" => Some(String::new()),
            _ => None,
        });
        let s3 = table["s3"].as_table().unwrap();
        assert_eq!(s3["region"].as_str(), Some("ca-central-1"));
        assert_eq!(s3["access_key_id"].as_str(), Some("FILE"));
        assert!(!s3.contains_key("secret_access_key"));
    }

    #[test]
    fn a_missing_s3_section_is_created_only_when_needed() {
        let mut table = Table::new();
        apply(&mut table, &|_| None);
        assert!(table.is_empty());
        apply(&mut table, &|name| {
            (name == "AWS_REGION").then(|| "x".to_string())
        });
        assert_eq!(table["s3"]["region"].as_str(), Some("x"));
    }

    #[test]
    fn a_non_table_s3_is_left_for_validation() {
        let mut table: Table = "s3 = 5".parse().unwrap();
        apply(&mut table, &|_| Some("x".to_string()));
        assert_eq!(table["s3"].as_integer(), Some(5));
    }
}
