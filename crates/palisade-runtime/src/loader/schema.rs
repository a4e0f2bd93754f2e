//! Falco's JSON-schema check of a rules file (`rule_json_schema.h`): a lint
//! run beside loading that never changes its outcome. Falco reports it as
//! the file's "schema validation" status; so does [`Loaded`](super::Loaded)
//! in `schema_problems`.
//!
//! Scalars are typed the way Falco converts YAML to JSON before validating:
//! a scalar that reads as a 32-bit integer is an integer, then a number,
//! quoted or not; booleans are `true` and `false` (a quoted `"yes"` is a
//! string for Falco's check too); anything else is a string.

use palisade_core::yaml::{Node, Value};

use super::{Context, ItemKind};

/// The JSON type Falco gives a YAML node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Null,
    Integer,
    Number,
    Boolean,
    String,
    Array,
    Object,
}

fn json_type(node: &Node) -> JsonType {
    match &node.value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Int(i) if i32::try_from(*i).is_ok() => JsonType::Integer,
        Value::Int(_) | Value::Float(_) => JsonType::Number,
        Value::String(s) => scalar_type(s),
        Value::Seq(_) => JsonType::Array,
        Value::Map(_) => JsonType::Object,
    }
}

fn scalar_type(s: &str) -> JsonType {
    let t = s.trim();
    if t.parse::<i32>().is_ok() {
        JsonType::Integer
    } else if !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite) {
        JsonType::Number
    } else {
        JsonType::String
    }
}

const PRIORITIES: [&str; 9] = [
    "EMERGENCY",
    "ALERT",
    "CRITICAL",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFO",
    "INFORMATIONAL",
    "DEBUG",
];

const OVERRIDABLE: [&str; 12] = [
    "items",
    "desc",
    "condition",
    "output",
    "priority",
    "enabled",
    "exceptions",
    "capture",
    "capture_duration",
    "tags",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

struct Lint<'a> {
    file: &'a str,
    problems: Vec<(Context, String)>,
}

impl Lint<'_> {
    fn problem(&mut self, node: &Node, message: String) {
        self.problems.push((
            Context {
                file: self.file.to_owned(),
                line: node.line,
                column: node.column,
                kind: ItemKind::Item,
                name: String::new(),
            },
            message,
        ));
    }

    fn expect(&mut self, node: &Node, key: &str, want: JsonType) {
        let got = json_type(node);
        if got != want {
            self.problem(
                node,
                format!("`{key}` should be of type {want:?}, not {got:?}").to_lowercase(),
            );
        }
    }

    fn item(&mut self, item: &Node) {
        let Some(entries) = item.entries() else {
            self.problem(item, "an item should be an object".to_owned());
            return;
        };
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or_default();
            match key.as_str() {
                "required_engine_version"
                | "macro"
                | "condition"
                | "list"
                | "rule"
                | "desc"
                | "output"
                | "source" => self.expect(v, &key, JsonType::String),
                "enabled" | "append" | "capture" | "warn_evttypes" | "skip-if-unknown-filter" => {
                    self.expect(v, &key, JsonType::Boolean);
                }
                "capture_duration" => self.expect(v, &key, JsonType::Integer),
                "priority" => {
                    let ok = json_type(v) == JsonType::String
                        && v.scalar_text()
                            .is_some_and(|p| PRIORITIES.contains(&p.as_str()));
                    if !ok {
                        self.problem(
                            v,
                            "`priority` should be one of the upper-case priority names".to_owned(),
                        );
                    }
                }
                "items" => self.array(v, &key, |lint, item| {
                    let t = json_type(item);
                    if t != JsonType::Integer && t != JsonType::String {
                        lint.problem(
                            item,
                            format!("a list item should be a string or an integer, not {t:?}")
                                .to_lowercase(),
                        );
                    }
                }),
                "tags" => self.array(v, &key, |lint, tag| {
                    lint.expect(tag, "tags", JsonType::String)
                }),
                "exceptions" => self.array(v, &key, Lint::exception),
                "required_plugin_versions" => self.array(v, &key, |lint, p| {
                    lint.object(
                        p,
                        "required_plugin_versions",
                        &["name", "version", "alternatives"],
                        &["name", "version"],
                    );
                    if let Some(alts) = p.get("alternatives") {
                        lint.array(alts, "alternatives", |lint, a| {
                            lint.object(
                                a,
                                "alternatives",
                                &["name", "version"],
                                &["name", "version"],
                            );
                        });
                    }
                }),
                "override" => self.overrides(v),
                other => self.problem(k, format!("unexpected key `{other}`")),
            }
        }
    }

    fn array(&mut self, node: &Node, key: &str, mut each: impl FnMut(&mut Self, &Node)) {
        match node.items() {
            Some(items) => {
                for item in items {
                    each(self, item);
                }
            }
            None => self.expect(node, key, JsonType::Array),
        }
    }

    /// An object with only `allowed` keys (string-typed), `required` present.
    fn object(&mut self, node: &Node, what: &str, allowed: &[&str], required: &[&str]) {
        let Some(entries) = node.entries() else {
            self.problem(node, format!("`{what}` entries should be objects"));
            return;
        };
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                self.problem(k, format!("unexpected key `{key}` in `{what}`"));
            } else if key != "alternatives" {
                self.expect(v, &key, JsonType::String);
            }
        }
        for key in required {
            if node.get(key).is_none() {
                self.problem(node, format!("`{what}` entry is missing `{key}`"));
            }
        }
    }

    fn exception(&mut self, ex: &Node) {
        let Some(entries) = ex.entries() else {
            self.problem(ex, "an exception should be an object".to_owned());
            return;
        };
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or_default();
            match key.as_str() {
                "name" => self.expect(v, "name", JsonType::String),
                "fields" | "comps" | "values" => {}
                other => self.problem(k, format!("unexpected key `{other}` in an exception")),
            }
        }
        if ex.get("name").is_none() {
            self.problem(ex, "an exception is missing `name`".to_owned());
        }
    }

    fn overrides(&mut self, node: &Node) {
        let Some(entries) = node.entries() else {
            self.expect(node, "override", JsonType::Object);
            return;
        };
        if entries.is_empty() {
            self.problem(node, "`override` should have at least one key".to_owned());
        }
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or_default();
            if !OVERRIDABLE.contains(&key.as_str()) {
                self.problem(k, format!("unexpected key `{key}` in `override`"));
            }
            if !matches!(v.scalar_text().as_deref(), Some("append" | "replace")) {
                self.problem(
                    v,
                    format!("`override.{key}` should be `append` or `replace`"),
                );
            }
        }
    }
}

/// The problems Falco's rules-file schema finds in the documents of a file
/// (empty: the file is valid).
pub(crate) fn check(file: &str, docs: &[palisade_core::yaml::Document]) -> Vec<(Context, String)> {
    let mut lint = Lint {
        file,
        problems: Vec::new(),
    };
    for doc in docs {
        match doc.root.items() {
            Some(items) => {
                for item in items {
                    lint.item(item);
                }
            }
            None if doc.root.is_null() => {}
            None => lint.problem(&doc.root, "the rules content should be an array".to_owned()),
        }
    }
    lint.problems
}
