//! Labels and label selectors (`matchLabels` + `matchExpressions`), as
//! Kubernetes, AdminNetworkPolicy and Cilium write them.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::issues::{Issues, Origin};

/// A label set: key to value, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// The operator of one `matchExpressions` requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// The label's value is one of the values.
    In,
    /// The label is absent, or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

/// One `matchExpressions` requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// How the key is tested.
    pub operator: Operator,
    /// The values, for `In` and `NotIn`.
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether `labels` satisfy the requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Operator::NotIn => value.is_none_or(|v| self.values.iter().all(|x| x != v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// A label selector. The empty selector selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    /// `matchLabels`: every pair must be present.
    pub match_labels: Vec<(String, String)>,
    /// `matchExpressions`: every requirement must hold.
    pub match_expressions: Vec<Requirement>,
}

impl Selector {
    /// The selector that selects everything (`{}`).
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// A selector from `matchLabels` pairs only.
    pub fn from_labels<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Selector {
        let mut match_labels: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        match_labels.sort();
        Selector {
            match_labels,
            match_expressions: Vec::new(),
        }
    }

    /// `true` for `{}`, which selects everything.
    pub fn is_everything(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Whether the selector selects `labels`.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|x| x == v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Every label key the selector looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.match_labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.match_expressions.iter().map(|r| r.key.as_str()))
    }

    /// Parses a Kubernetes `LabelSelector` object. Unknown fields and bad
    /// operators are reported to `issues` at `origin` (`path` names the field).
    pub fn parse(value: &Json, path: &str, origin: &Origin, issues: &mut Issues) -> Selector {
        Selector::parse_with(
            value,
            path,
            origin,
            issues,
            &["matchLabels", "matchExpressions"],
        )
    }

    /// Like [`Selector::parse`], accepting `extra` keys besides the two
    /// selector keys (the caller reads them).
    pub fn parse_with(
        value: &Json,
        path: &str,
        origin: &Origin,
        issues: &mut Issues,
        allowed: &[&str],
    ) -> Selector {
        let mut selector = Selector::default();
        let Some(object) = value.as_object() else {
            if !value.is_null() {
                issues.invalid(origin, path, "a label selector must be a mapping");
            }
            return selector;
        };
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) && key != "matchLabels" && key != "matchExpressions"
            {
                issues.unsupported(origin, &format!("{path}.{key}"), "unknown selector field");
            }
        }
        match object.get("matchLabels") {
            None | Some(Json::Null) => {}
            Some(Json::Object(map)) => {
                for (k, v) in map {
                    match scalar_text(v) {
                        Some(v) => selector.match_labels.push((k.clone(), v)),
                        None => issues.invalid(
                            origin,
                            &format!("{path}.matchLabels.{k}"),
                            "a label value must be a string",
                        ),
                    }
                }
            }
            Some(_) => issues.invalid(
                origin,
                &format!("{path}.matchLabels"),
                "`matchLabels` must be a mapping",
            ),
        }
        match object.get("matchExpressions") {
            None | Some(Json::Null) => {}
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{path}.matchExpressions[{i}]");
                    if let Some(r) = parse_requirement(item, &at, origin, issues) {
                        selector.match_expressions.push(r);
                    }
                }
            }
            Some(_) => issues.invalid(
                origin,
                &format!("{path}.matchExpressions"),
                "`matchExpressions` must be a sequence",
            ),
        }
        selector.match_labels.sort();
        selector
    }
}

fn parse_requirement(
    item: &Json,
    at: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Requirement> {
    let Some(object) = item.as_object() else {
        issues.invalid(origin, at, "a requirement must be a mapping");
        return None;
    };
    for key in object.keys() {
        if !matches!(key.as_str(), "key" | "operator" | "values") {
            issues.unsupported(origin, &format!("{at}.{key}"), "unknown requirement field");
        }
    }
    let Some(key) = object.get("key").and_then(Json::as_str) else {
        issues.invalid(origin, at, "a requirement needs a string `key`");
        return None;
    };
    let operator = match object.get("operator").and_then(Json::as_str) {
        Some("In") => Operator::In,
        Some("NotIn") => Operator::NotIn,
        Some("Exists") => Operator::Exists,
        Some("DoesNotExist") => Operator::DoesNotExist,
        Some(other) => {
            issues.invalid(
                origin,
                &format!("{at}.operator"),
                &format!("unknown operator `{other}` (expected In, NotIn, Exists or DoesNotExist)"),
            );
            return None;
        }
        None => {
            issues.invalid(origin, at, "a requirement needs an `operator`");
            return None;
        }
    };
    let values: Vec<String> = match object.get("values") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(values)) => values.iter().filter_map(scalar_text).collect(),
        Some(_) => {
            issues.invalid(
                origin,
                &format!("{at}.values"),
                "`values` must be a sequence",
            );
            return None;
        }
    };
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            issues.invalid(
                origin,
                at,
                "`In` and `NotIn` need at least one value; the requirement is not used",
            );
            return None;
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            // Kubernetes refuses the object ("may not be specified when
            // `operator` is 'Exists' or 'DoesNotExist'"); the requirement is
            // kept on its key alone.
            issues.invalid(
                origin,
                &format!("{at}.values"),
                "`Exists` and `DoesNotExist` take no values",
            );
            return Some(Requirement {
                key: key.to_owned(),
                operator,
                values: Vec::new(),
            });
        }
        _ => {}
    }
    Some(Requirement {
        key: key.to_owned(),
        operator,
        values,
    })
}

/// Label values and selector values as strings (numbers and booleans are
/// written as text, the way `kubectl` would refuse or coerce them).
pub(crate) fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl fmt::Display for Selector {
    /// The selector in `kubectl`'s `-l` syntax; `{}` for everything.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_everything() {
            return f.write_str("{}");
        }
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { "," };
            first = false;
            f.write_str(s)
        };
        for (k, v) in &self.match_labels {
            sep(f)?;
            write!(f, "{k}={v}")?;
        }
        for r in &self.match_expressions {
            sep(f)?;
            match r.operator {
                Operator::In => write!(f, "{} in ({})", r.key, r.values.join(","))?,
                Operator::NotIn => write!(f, "{} notin ({})", r.key, r.values.join(","))?,
                Operator::Exists => write!(f, "{}", r.key)?,
                Operator::DoesNotExist => write!(f, "!{}", r.key)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_follow_kubernetes_semantics() {
        let origin = Origin::none();
        let mut issues = Issues::default();
        let sel = Selector::parse(
            &serde_json::json!({
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "NotIn", "values": ["db"]},
                    {"key": "env", "operator": "Exists"}
                ]
            }),
            "spec.podSelector",
            &origin,
            &mut issues,
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert!(sel.matches(&labels(&[("app", "web"), ("env", "prod")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("env", "prod"), ("tier", "db")])));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert_eq!(sel.to_string(), "app=web,tier notin (db),env");
        assert!(Selector::everything().matches(&Labels::new()));
    }

    #[test]
    fn bad_operators_are_reported() {
        let origin = Origin::none();
        let mut issues = Issues::default();
        let sel = Selector::parse(
            &serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Like"}], "extra": 1}),
            "spec.podSelector",
            &origin,
            &mut issues,
        );
        assert!(sel.is_everything());
        assert_eq!(issues.len(), 2);
        let text = issues
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("`Like`"), "{text}");
        assert!(text.contains("spec.podSelector.extra"), "{text}");
    }
}
