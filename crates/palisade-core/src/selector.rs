//! Kubernetes label selectors (`matchLabels` + `matchExpressions`), read and
//! matched once for every layer: admission pattern policies, the Gatekeeper
//! matcher, and network policies (Kubernetes, admin and Cilium).
//!
//! The semantics are those of `k8s.io/apimachinery`'s `LabelSelector`:
//! every `matchLabels` pair must be present, every requirement must hold,
//! `In` needs the label with one of the values, `NotIn` holds when the label
//! is absent or none of the values, `Exists` and `DoesNotExist` test the key
//! alone. The empty selector selects everything.
//!
//! [`parse`] reads a selector from any tree that implements [`Tree`] (JSON
//! values and position-keeping YAML nodes) and returns every problem with the
//! node it concerns, so each caller reports it in its own way: as a load
//! issue, an error, or a located diagnostic.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::yaml::Node;

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

impl Operator {
    /// The operator written as Kubernetes does (`In`, `NotIn`, `Exists`,
    /// `DoesNotExist`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Operator> {
        match text {
            "In" => Some(Operator::In),
            "NotIn" => Some(Operator::NotIn),
            "Exists" => Some(Operator::Exists),
            "DoesNotExist" => Some(Operator::DoesNotExist),
            _ => None,
        }
    }

    /// The operator as Kubernetes writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }

    /// `true` for `In` and `NotIn`, which need at least one value
    /// (`Exists` and `DoesNotExist` take none).
    pub fn takes_values(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// Whether a label whose value is `value` (`None`: absent) satisfies
    /// the requirement.
    pub fn holds_for(&self, value: Option<&str>) -> bool {
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Operator::NotIn => value.is_none_or(|v| self.values.iter().all(|x| x != v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }

    /// Whether `labels` satisfy the requirement.
    pub fn matches(&self, labels: &(impl LabelSource + ?Sized)) -> bool {
        self.holds_for(labels.label(&self.key))
    }
}

/// Where a selector reads label values from.
pub trait LabelSource {
    /// The value of the label `key`, if the label is present.
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelSource for Labels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// An object's `metadata.labels` as JSON: a mapping of strings (anything else
/// has no labels; values that are not strings are absent).
impl LabelSource for Json {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }
}

impl<T: LabelSource + ?Sized> LabelSource for &T {
    fn label(&self, key: &str) -> Option<&str> {
        (**self).label(key)
    }
}

/// Labels that may be missing altogether (an object without `labels`).
impl<T: LabelSource> LabelSource for Option<&T> {
    fn label(&self, key: &str) -> Option<&str> {
        self.and_then(|labels| labels.label(key))
    }
}

/// A label selector. The empty selector selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    /// `matchLabels`: every pair must be present (sorted by key).
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
    pub fn matches(&self, labels: &(impl LabelSource + ?Sized)) -> bool {
        self.matches_with(labels, |wanted, actual| wanted == actual)
    }

    /// Whether the selector selects `labels`, comparing each `matchLabels`
    /// value with `value_matches(wanted, actual)` (Kyverno allows wildcards
    /// there); requirements compare values exactly, as Kubernetes does.
    pub fn matches_with(
        &self,
        labels: &(impl LabelSource + ?Sized),
        value_matches: impl Fn(&str, &str) -> bool,
    ) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.label(k).is_some_and(|x| value_matches(v, x)))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Every label key the selector looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.match_labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.match_expressions.iter().map(|r| r.key.as_str()))
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

/// A document tree a selector can be read from: JSON values and YAML nodes.
pub trait Tree: Sized {
    /// The value under `key` of a mapping.
    fn field(&self, key: &str) -> Option<&Self>;
    /// The keys and values of a mapping, in order; `None` for anything else.
    fn fields(&self) -> Option<Vec<(String, &Self)>>;
    /// The items of a sequence; `None` for anything else.
    fn items(&self) -> Option<&[Self]>;
    /// A scalar as text (`web`, `42`, `true`); `None` for null, sequences and
    /// mappings.
    fn text(&self) -> Option<String>;
    /// `true` for `null` (or nothing).
    fn is_null(&self) -> bool;
}

impl Tree for Json {
    fn field(&self, key: &str) -> Option<&Json> {
        self.get(key)
    }

    fn fields(&self) -> Option<Vec<(String, &Json)>> {
        self.as_object()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), v)).collect())
    }

    fn items(&self) -> Option<&[Json]> {
        self.as_array().map(Vec::as_slice)
    }

    fn text(&self) -> Option<String> {
        match self {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Null | Json::Array(_) | Json::Object(_) => None,
        }
    }

    fn is_null(&self) -> bool {
        Json::is_null(self)
    }
}

impl Tree for Node {
    fn field(&self, key: &str) -> Option<&Node> {
        self.get(key)
    }

    fn fields(&self) -> Option<Vec<(String, &Node)>> {
        self.entries().map(|entries| {
            entries
                .iter()
                .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v))
                .collect()
        })
    }

    fn items(&self) -> Option<&[Node]> {
        Node::items(self)
    }

    fn text(&self) -> Option<String> {
        self.scalar_text()
    }

    fn is_null(&self) -> bool {
        Node::is_null(self)
    }
}

/// What is wrong with a part of a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The value is invalid (Kubernetes refuses it); the part is not used.
    Invalid,
    /// A field a label selector does not have; it is ignored.
    Unknown,
}

/// One problem met while reading a selector, with the node it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem<'a, T> {
    /// Invalid or unknown.
    pub kind: ProblemKind,
    /// The path of the field at fault (`spec.podSelector.matchExpressions[0].operator`).
    pub field: String,
    /// What is wrong, lower-case, user input in backticks.
    pub message: String,
    /// The node at fault (for its position, when the tree keeps one).
    pub node: &'a T,
}

impl<T> fmt::Display for Problem<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// Reads a Kubernetes `LabelSelector` at `path` from `value`. `extra` names
/// fields besides `matchLabels` and `matchExpressions` that the caller reads
/// itself (they are not reported as unknown).
///
/// Label values written as numbers or booleans are read as their text. A
/// requirement with an unknown operator, without a key, or `In`/`NotIn`
/// without values is left out; `Exists`/`DoesNotExist` with values is kept on
/// its key alone. Every such case is a [`Problem`]; a `null` value is the
/// empty selector.
pub fn parse<'a, T: Tree>(
    value: &'a T,
    path: &str,
    extra: &[&str],
) -> (Selector, Vec<Problem<'a, T>>) {
    let mut selector = Selector::default();
    let mut problems = Vec::new();
    let mut problem = |kind, node, field: String, message: &str| {
        problems.push(Problem {
            kind,
            field,
            message: message.to_owned(),
            node,
        });
    };
    let Some(fields) = value.fields() else {
        if !value.is_null() {
            problem(
                ProblemKind::Invalid,
                value,
                path.to_owned(),
                "a label selector must be a mapping",
            );
        }
        return (selector, problems);
    };
    for (key, node) in &fields {
        if !extra.contains(&key.as_str()) && key != "matchLabels" && key != "matchExpressions" {
            problem(
                ProblemKind::Unknown,
                node,
                format!("{path}.{key}"),
                "unknown selector field",
            );
        }
    }
    if let Some(labels) = value.field("matchLabels").filter(|l| !l.is_null()) {
        let at = format!("{path}.matchLabels");
        match labels.fields() {
            Some(pairs) => {
                for (k, v) in pairs {
                    match v.text() {
                        Some(v) => selector.match_labels.push((k, v)),
                        None => problem(
                            ProblemKind::Invalid,
                            v,
                            format!("{at}.{k}"),
                            "a label value must be a string",
                        ),
                    }
                }
            }
            None => problem(
                ProblemKind::Invalid,
                labels,
                at,
                "`matchLabels` must be a mapping",
            ),
        }
    }
    if let Some(exprs) = value.field("matchExpressions").filter(|e| !e.is_null()) {
        match exprs.items() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{path}.matchExpressions[{i}]");
                    if let Some(r) = parse_requirement(item, &at, &mut problem) {
                        selector.match_expressions.push(r);
                    }
                }
            }
            None => problem(
                ProblemKind::Invalid,
                exprs,
                format!("{path}.matchExpressions"),
                "`matchExpressions` must be a sequence",
            ),
        }
    }
    selector.match_labels.sort();
    (selector, problems)
}

fn parse_requirement<'a, T: Tree>(
    item: &'a T,
    at: &str,
    problem: &mut impl FnMut(ProblemKind, &'a T, String, &str),
) -> Option<Requirement> {
    let Some(fields) = item.fields() else {
        problem(
            ProblemKind::Invalid,
            item,
            at.to_owned(),
            "a requirement must be a mapping",
        );
        return None;
    };
    for (key, node) in &fields {
        if !matches!(key.as_str(), "key" | "operator" | "values") {
            problem(
                ProblemKind::Unknown,
                node,
                format!("{at}.{key}"),
                "unknown requirement field",
            );
        }
    }
    let Some(key) = item.field("key").and_then(T::text) else {
        problem(
            ProblemKind::Invalid,
            item,
            at.to_owned(),
            "a requirement needs a string `key`",
        );
        return None;
    };
    let operator = match item.field("operator") {
        None => {
            problem(
                ProblemKind::Invalid,
                item,
                at.to_owned(),
                "a requirement needs an `operator`",
            );
            return None;
        }
        Some(node) => {
            let text = node.text().unwrap_or_default();
            let Some(operator) = Operator::parse(&text) else {
                problem(
                    ProblemKind::Invalid,
                    node,
                    format!("{at}.operator"),
                    &format!(
                        "unknown operator `{text}` (expected In, NotIn, Exists or DoesNotExist)"
                    ),
                );
                return None;
            };
            operator
        }
    };
    let values_node = item.field("values").filter(|v| !v.is_null());
    let values: Vec<String> = match values_node {
        None => Vec::new(),
        Some(node) => match node.items() {
            Some(values) => values.iter().filter_map(T::text).collect(),
            None => {
                problem(
                    ProblemKind::Invalid,
                    node,
                    format!("{at}.values"),
                    "`values` must be a sequence",
                );
                return None;
            }
        },
    };
    if operator.takes_values() && values.is_empty() {
        problem(
            ProblemKind::Invalid,
            values_node.unwrap_or(item),
            format!("{at}.values"),
            &format!("`{operator}` needs at least one value; the requirement is not used"),
        );
        return None;
    }
    if !operator.takes_values() && !values.is_empty() {
        // Kubernetes refuses the object ("may not be specified when
        // `operator` is 'Exists' or 'DoesNotExist'"); the requirement is kept
        // on its key alone.
        problem(
            ProblemKind::Invalid,
            values_node.unwrap_or(item),
            format!("{at}.values"),
            &format!("`{operator}` takes no values"),
        );
        return Some(Requirement {
            key,
            operator,
            values: Vec::new(),
        });
    }
    Some(Requirement {
        key,
        operator,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_follow_kubernetes_semantics() {
        let value = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
                {"key": "env", "operator": "Exists"}
            ]
        });
        let (sel, problems) = parse(&value, "spec.podSelector", &[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(sel.matches(&labels(&[("app", "web"), ("env", "prod")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("env", "prod"), ("tier", "db")])));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert_eq!(sel.to_string(), "app=web,tier notin (db),env");
        assert!(Selector::everything().matches(&Labels::new()));
    }

    #[test]
    fn json_labels_and_missing_labels_match_like_label_maps() {
        let (sel, _) = parse(
            &json!({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"},
                                         {"key": "tier", "operator": "In", "values": ["a", "b"]}]}),
            "s",
            &[],
        );
        assert!(sel.matches(&json!({"tier": "b"})));
        assert!(!sel.matches(&json!({"tier": "b", "env": "x"})));
        assert!(!sel.matches(&json!({"tier": "c"})));
        let none: Option<&Json> = None;
        assert!(!sel.matches(&none));
        let (not_in, _) = parse(
            &json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}),
            "s",
            &[],
        );
        assert!(
            not_in.matches(&none),
            "NotIn holds when the label is absent"
        );
    }

    #[test]
    fn match_labels_values_may_be_compared_by_the_caller() {
        let sel = Selector::from_labels([("app", "web-*")]);
        let labels = labels(&[("app", "web-1")]);
        assert!(!sel.matches(&labels));
        assert!(sel.matches_with(&labels, |wanted, actual| {
            wanted
                .strip_suffix('*')
                .is_some_and(|p| actual.starts_with(p))
        }));
    }

    #[test]
    fn problems_name_the_field_and_keep_what_kubernetes_keeps() {
        let value = json!({
            "matchExpressions": [
                {"key": "a", "operator": "Like"},
                {"key": "b", "operator": "In"},
                {"key": "c", "operator": "Exists", "values": ["x"]},
                {"operator": "Exists"}
            ],
            "extra": 1
        });
        let (sel, problems) = parse(&value, "spec.podSelector", &[]);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "`spec.podSelector.extra`: unknown selector field",
                "`spec.podSelector.matchExpressions[0].operator`: unknown operator `Like` (expected In, NotIn, Exists or DoesNotExist)",
                "`spec.podSelector.matchExpressions[1].values`: `In` needs at least one value; the requirement is not used",
                "`spec.podSelector.matchExpressions[2].values`: `Exists` takes no values",
                "`spec.podSelector.matchExpressions[3]`: a requirement needs a string `key`",
            ]
        );
        assert_eq!(problems.first().map(|p| p.kind), Some(ProblemKind::Unknown));
        assert_eq!(sel.to_string(), "c");
        let (_, allowed) = parse(&value, "p", &["extra"]);
        assert_eq!(allowed.len(), 4);
    }

    #[test]
    fn yaml_nodes_give_the_position_of_the_field_at_fault() {
        let docs = crate::yaml::parse_stream(
            "matchLabels:\n  app: web\nmatchExpressions:\n  - key: a\n    operator: Sometimes\n",
        );
        let doc = docs.into_iter().next().unwrap().unwrap();
        let (sel, problems) = parse(&doc.root, "selector", &[]);
        assert_eq!(sel.match_labels, [("app".to_owned(), "web".to_owned())]);
        let p = problems.first().unwrap();
        assert_eq!((p.node.line, p.node.column), (5, 15));
        assert_eq!(p.field, "selector.matchExpressions[0].operator");
    }

    #[test]
    fn non_mappings_are_refused_and_null_selects_everything() {
        let list = json!([1]);
        let (sel, problems) = parse(&list, "s", &[]);
        assert!(sel.is_everything());
        assert_eq!(problems.len(), 1);
        let (sel, problems) = parse(&Json::Null, "s", &[]);
        assert!(sel.is_everything() && problems.is_empty());
        let numbers = json!({"matchLabels": {"v": 1, "x": [1]}});
        let (sel, problems) = parse(&numbers, "s", &[]);
        assert_eq!(sel.to_string(), "v=1");
        assert_eq!(problems.len(), 1);
    }
}
