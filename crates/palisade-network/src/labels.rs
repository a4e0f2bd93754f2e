//! Labels and label selectors (`matchLabels` + `matchExpressions`), as
//! Kubernetes, AdminNetworkPolicy and Cilium write them.

use serde_json::Value as Json;

pub use palisade_core::selector::{Labels, Operator, Requirement, Selector};
use palisade_core::selector::{ProblemKind, parse};

use crate::issues::{Issues, Origin};

/// Parses a Kubernetes `LabelSelector` object. Unknown fields and bad
/// operators are reported to `issues` at `origin` (`path` names the field).
pub fn parse_selector(value: &Json, path: &str, origin: &Origin, issues: &mut Issues) -> Selector {
    parse_selector_with(value, path, origin, issues, &[])
}

/// Like [`parse_selector`], accepting `extra` keys besides the two selector
/// keys (the caller reads them).
pub fn parse_selector_with(
    value: &Json,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
    extra: &[&str],
) -> Selector {
    let (selector, problems) = parse(value, path, extra);
    for p in problems {
        match p.kind {
            ProblemKind::Unknown => issues.unsupported(origin, &p.field, &p.message),
            ProblemKind::Invalid => issues.invalid(origin, &p.field, &p.message),
        }
    }
    selector
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
        let sel = parse_selector(
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
        let sel = parse_selector(
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
