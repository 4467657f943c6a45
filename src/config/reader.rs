//! Reading one TOML table key by key, recording problems instead of stopping at the first.
//!
//! Every key a validator asks for is remembered; whatever the file holds beyond those is an
//! unknown key, so the list of valid keys is the validator itself and cannot drift from it.

use toml::{Table, Value};

use super::error::Problem;
use super::suggest;

/// A key of a section and what its value should look like, as said in every problem about it.
pub(super) struct Key {
    /// Name within its section, e.g. `timeout`.
    pub name: &'static str,
    /// What a valid value looks like, e.g. `a duration such as "10s" or "1m"`.
    pub expected: &'static str,
    /// A credential: problems give its length, never its value.
    pub secret: bool,
}

impl Key {
    /// A key whose value may be quoted in messages.
    pub const fn plain(name: &'static str, expected: &'static str) -> Key {
        Key {
            name,
            expected,
            secret: false,
        }
    }

    /// A credential key.
    pub const fn secret(name: &'static str, expected: &'static str) -> Key {
        Key {
            name,
            expected,
            secret: true,
        }
    }
}

/// How every problem about a name no validator asked for begins (see [`Section::finish`]).
const UNKNOWN_KEY: &str = "unknown key";

/// Whether `problem` is about a section or key that no validator knows, as opposed to a known
/// key with a wrong value: the difference between a file that was misread and one that was
/// read but is wrong.
pub(super) fn is_unknown_key(problem: &Problem) -> bool {
    problem.message.starts_with(UNKNOWN_KEY)
}

/// Marks that a problem was recorded for a key, so callers skip checks that would only
/// repeat it.
pub(super) struct Reported;

/// One table of the file (the root, or a section such as `[eagle]`), possibly absent.
pub(super) struct Section<'a> {
    /// Section name, `""` for the root.
    name: &'static str,
    /// `None` when the section is not in the file: every key then takes its default.
    table: Option<&'a Table>,
    /// Keys asked for so far, i.e. the known keys.
    taken: Vec<&'static str>,
}

impl<'a> Section<'a> {
    /// The document's top level, whose keys are the sections.
    pub fn root(table: &'a Table) -> Self {
        Section::new("", Some(table))
    }

    /// Section `name`, or an absent one.
    pub fn new(name: &'static str, table: Option<&'a Table>) -> Self {
        Section {
            name,
            table,
            taken: Vec::new(),
        }
    }

    /// The dotted name of `key` in this section, as problems show it.
    pub fn path(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.name)
        }
    }

    /// Records `problem` about `key`.
    pub fn report(&self, key: &str, message: String, problems: &mut Vec<Problem>) {
        problems.push(Problem::new(self.path(key), message));
    }

    /// Records that required `key` is absent.
    pub fn missing(&self, key: &Key, problems: &mut Vec<Problem>) {
        let message = format!("required key is missing; expected {}", key.expected);
        self.report(key.name, message, problems);
    }

    /// Records that `key` holds the string `text`, which is not what `expected` describes.
    pub fn reject(&self, key: &Key, expected: &str, text: &str, problems: &mut Vec<Problem>) {
        let found = if key.secret {
            format!("{} characters", text.chars().count())
        } else {
            format!("{text:?}")
        };
        self.report(
            key.name,
            format!("expected {expected}, found {found}"),
            problems,
        );
    }

    fn take(&mut self, name: &'static str) -> Option<&'a Value> {
        self.taken.push(name);
        self.table.and_then(|table| table.get(name))
    }

    fn wrong_type(&self, key: &Key, value: &Value, problems: &mut Vec<Problem>) {
        let message = format!(
            "expected {}, found {}",
            key.expected,
            describe(value, key.secret)
        );
        self.report(key.name, message, problems);
    }

    /// A sub-table such as `[eagle]`: `Ok(None)` if absent.
    pub fn table(
        &mut self,
        name: &'static str,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<&'a Table>, Reported> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Table(table)) => Ok(Some(table)),
            Some(other) => {
                let expected = Key::plain(name, "a table (a [section])");
                self.wrong_type(&expected, other, problems);
                Err(Reported)
            }
        }
    }

    /// Sub-table `name` checked by `validate`, its problems added to `problems`. An absent
    /// table is validated as empty (every key takes its default); one that is not a table is
    /// reported here and not checked further. `None` when `validate` gave nothing.
    pub fn section<T>(
        &mut self,
        name: &'static str,
        problems: &mut Vec<Problem>,
        validate: impl FnOnce(Section<'a>, &mut Vec<Problem>) -> Option<T>,
    ) -> Option<T> {
        let table = self.table(name, problems).ok()?;
        validate(Section::new(name, table), problems)
    }

    /// A string: `Ok(None)` if absent.
    pub fn string(
        &mut self,
        key: &Key,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<&'a str>, Reported> {
        match self.take(key.name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => {
                self.wrong_type(key, other, problems);
                Err(Reported)
            }
        }
    }

    /// A string converted by `convert`, or `default` if absent. `convert` rejects with the
    /// expected form (often `key.expected`, or a sharper one such as a bound).
    /// `None` once a problem is recorded.
    pub fn optional<T>(
        &mut self,
        key: &Key,
        default: T,
        problems: &mut Vec<Problem>,
        convert: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        match self.string(key, problems) {
            Err(Reported) => None,
            Ok(None) => Some(default),
            Ok(Some(text)) => self.converted(key, text, problems, convert),
        }
    }

    /// Like [`Section::optional`], but absence is a problem.
    pub fn required<T>(
        &mut self,
        key: &Key,
        problems: &mut Vec<Problem>,
        convert: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        match self.string(key, problems) {
            Err(Reported) => None,
            Ok(None) => {
                self.missing(key, problems);
                None
            }
            Ok(Some(text)) => self.converted(key, text, problems, convert),
        }
    }

    fn converted<T>(
        &self,
        key: &Key,
        text: &str,
        problems: &mut Vec<Problem>,
        convert: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        convert(text)
            .map_err(|expected| self.reject(key, expected, text, problems))
            .ok()
    }

    /// A boolean, or `default` if absent.
    pub fn boolean(
        &mut self,
        name: &'static str,
        default: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<bool> {
        match self.take(name) {
            None => Some(default),
            Some(Value::Boolean(value)) => Some(*value),
            Some(other) => {
                self.wrong_type(&Key::plain(name, "true or false"), other, problems);
                None
            }
        }
    }

    /// An integer converted by `convert` (`None` = out of range), or `default` if absent.
    pub fn integer<T>(
        &mut self,
        key: &Key,
        default: T,
        problems: &mut Vec<Problem>,
        convert: impl FnOnce(i64) -> Option<T>,
    ) -> Option<T> {
        match self.take(key.name) {
            None => Some(default),
            Some(value @ Value::Integer(number)) => {
                let converted = convert(*number);
                if converted.is_none() {
                    self.wrong_type(key, value, problems);
                }
                converted
            }
            Some(other) => {
                self.wrong_type(key, other, problems);
                None
            }
        }
    }

    /// An array of strings, each converted by `convert`, or an empty list if absent. Problems
    /// about one element name it `key[N]`, counted from 0. `convert` rejects with the whole
    /// message, found value included, so it alone decides how much of the text is safe to
    /// show. `None` once a problem is recorded.
    pub fn strings<T>(
        &mut self,
        key: &Key,
        problems: &mut Vec<Problem>,
        mut convert: impl FnMut(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let values = match self.take(key.name) {
            None => return Some(Vec::new()),
            Some(Value::Array(values)) => values,
            Some(other) => {
                let message = format!(
                    "expected an array of strings, each {}, found {}",
                    key.expected,
                    describe(other, key.secret)
                );
                self.report(key.name, message, problems);
                return None;
            }
        };
        let mut converted = Vec::with_capacity(values.len());
        for (index, value) in values.iter().enumerate() {
            let element = format!("{}[{index}]", key.name);
            let result = match value {
                Value::String(text) => convert(text),
                other => Err(format!(
                    "expected {}, found {}",
                    key.expected,
                    describe(other, key.secret)
                )),
            };
            match result {
                Ok(item) => converted.push(item),
                Err(message) => self.report(&element, message, problems),
            }
        }
        (converted.len() == values.len()).then_some(converted)
    }

    /// Records every key of the table that no one asked for, with a suggestion when one of
    /// the known keys is a near miss.
    pub fn finish(self, problems: &mut Vec<Problem>) {
        let Some(table) = self.table else {
            return;
        };
        for name in table.keys() {
            if self.taken.contains(&name.as_str()) {
                continue;
            }
            let message = match suggest::closest(name, &self.taken) {
                Some(near) => format!("{UNKNOWN_KEY} (did you mean `{near}`?)"),
                None if self.name.is_empty() => {
                    format!("{UNKNOWN_KEY} (known sections: {})", self.taken.join(", "))
                }
                None => format!(
                    "{UNKNOWN_KEY} (known keys in [{}]: {})",
                    self.name,
                    self.taken.join(", ")
                ),
            };
            self.report(name, message, problems);
        }
    }
}

/// How a found value is named in a message: its type, plus the value itself unless secret.
fn describe(value: &Value, secret: bool) -> String {
    let kind = match value {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "date-time",
        Value::Array(_) => return "an array".to_string(),
        Value::Table(_) => return "a table".to_string(),
    };
    if secret {
        let article = if kind.starts_with('i') { "an" } else { "a" };
        format!("{article} {kind}")
    } else {
        format!("the {kind} {value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: Key = Key::secret("code", "16 hex digits");
    const PLAIN: Key = Key::plain("name", "a name");

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn secrets_are_described_without_their_value() {
        let file = table("code = 1234567\nname = 1234567\nother = \"abcdefgh\"");
        let mut section = Section::new("s", Some(&file));
        let mut problems = Vec::new();
        assert!(section.string(&SECRET, &mut problems).is_err());
        assert!(section.string(&PLAIN, &mut problems).is_err());
        section.reject(&SECRET, "16 hex digits", "abcdefgh", &mut problems);
        assert_eq!(
            problems,
            vec![
                Problem::new("s.code", "expected 16 hex digits, found an integer"),
                Problem::new("s.name", "expected a name, found the integer 1234567"),
                Problem::new("s.code", "expected 16 hex digits, found 8 characters"),
            ]
        );
    }

    #[test]
    fn unknown_keys_are_reported_with_suggestions() {
        let file = table("nmae = \"x\"\nzzz = 1");
        let mut section = Section::new("s", Some(&file));
        let mut problems = Vec::new();
        assert_eq!(
            section.optional(&PLAIN, 0, &mut problems, |_| Ok(1)),
            Some(0)
        );
        section.finish(&mut problems);
        assert_eq!(
            problems,
            vec![
                Problem::new("s.nmae", "unknown key (did you mean `name`?)"),
                Problem::new("s.zzz", "unknown key (known keys in [s]: name)"),
            ]
        );
    }

    #[test]
    fn string_lists_report_each_bad_element_by_index() {
        let file = table("name = [\"ok\", \"bad\", 3, \"ok\"]\nother = \"x\"");
        let mut section = Section::new("s", Some(&file));
        let mut problems = Vec::new();
        let check = |text: &str| match text {
            "ok" => Ok(text.len()),
            _ => Err("not ok".to_string()),
        };
        assert_eq!(section.strings(&PLAIN, &mut problems, check), None);
        assert_eq!(
            problems,
            vec![
                Problem::new("s.name[1]", "not ok"),
                Problem::new("s.name[2]", "expected a name, found the integer 3"),
            ]
        );

        let file = table("name = [\"ok\", \"ok\"]");
        let mut problems = Vec::new();
        let mut section = Section::new("s", Some(&file));
        assert_eq!(
            section.strings(&PLAIN, &mut problems, check),
            Some(vec![2, 2])
        );
        let mut section = Section::new("s", None);
        assert_eq!(section.strings(&PLAIN, &mut problems, check), Some(vec![]));
        assert!(problems.is_empty(), "{problems:?}");

        let file = table("name = \"ok\"");
        let mut section = Section::new("s", Some(&file));
        assert_eq!(section.strings(&PLAIN, &mut problems, check), None);
        assert_eq!(
            problems,
            vec![Problem::new(
                "s.name",
                "expected an array of strings, each a name, found the string \"ok\""
            )]
        );
    }

    #[test]
    fn absent_section_gives_defaults_and_reports_required_keys() {
        let mut section = Section::new("s", None);
        let mut problems = Vec::new();
        assert_eq!(section.boolean("flag", true, &mut problems), Some(true));
        assert_eq!(section.required(&PLAIN, &mut problems, |_| Ok(())), None);
        section.finish(&mut problems);
        assert_eq!(
            problems,
            vec![Problem::new(
                "s.name",
                "required key is missing; expected a name"
            )]
        );
    }
}
