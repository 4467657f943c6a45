//! Environment variables that override the file, so credentials can stay out of it.

use toml::{Table, Value};

use super::error::ConfigError;

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
/// alone for validation to report. Returns the variables that were applied, for
/// [`name_variables`].
pub(super) fn apply(table: &mut Table, env: &dyn Fn(&str) -> Option<String>) -> Vec<&'static str> {
    let mut applied = Vec::new();
    for &(variable, key) in OVERRIDES {
        let Some(value) = env(variable).filter(|value| !value.is_empty()) else {
            continue;
        };
        let s3 = table
            .entry("s3")
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(s3) = s3 {
            s3.insert(key.to_string(), Value::String(value));
            applied.push(variable);
        }
    }
    applied
}

/// Says where a wrong value came from: a problem about a key that one of `applied` set names
/// the variable, since editing the file would not change it.
pub(super) fn name_variables(error: ConfigError, applied: &[&str]) -> ConfigError {
    let ConfigError::Invalid { path, mut problems } = error else {
        return error;
    };
    for problem in &mut problems {
        let variable = OVERRIDES.iter().find(|&&(variable, key)| {
            applied.contains(&variable) && problem.key == format!("s3.{key}")
        });
        if let Some((variable, _)) = variable {
            problem.message = format!(
                "set by the environment variable {variable} (which overrides the file): {}",
                problem.message
            );
        }
    }
    ConfigError::Invalid { path, problems }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Problem;

    #[test]
    fn non_empty_variables_override_the_file() {
        let mut table: Table = "[s3]\nregion = \"eu-west-1\"\naccess_key_id = \"FILE\"\n"
            .parse()
            .unwrap();
        let applied = apply(&mut table, &|name| match name {
            "AWS_REGION" => Some("ca-central-1".to_string()),
            "AWS_ACCESS_KEY_ID" => Some(String::new()),
            _ => None,
        });
        assert_eq!(applied, ["AWS_REGION"]);
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
        assert!(apply(&mut table, &|_| Some("x".to_string())).is_empty());
        assert_eq!(table["s3"].as_integer(), Some(5));
    }

    #[test]
    fn problems_with_an_overridden_key_name_the_variable() {
        let error = ConfigError::Invalid {
            path: "/c.toml".into(),
            problems: vec![
                Problem::new("s3.region", "expected a region"),
                Problem::new("s3.access_key_id", "expected a string"),
            ],
        };
        let error = name_variables(error, &["AWS_REGION"]);
        assert_eq!(
            error.problems(),
            [
                Problem::new(
                    "s3.region",
                    "set by the environment variable AWS_REGION (which overrides the file): \
                     expected a region"
                ),
                Problem::new("s3.access_key_id", "expected a string"),
            ]
        );
    }
}
