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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_into_the_shared_type() {
        let origin = Origin::none();
        let mut issues = Issues::default();
        let sel = parse_selector(
            &serde_json::json!({"matchLabels": {"app": "web"}}),
            "spec.podSelector",
            &origin,
            &mut issues,
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(sel, Selector::from_labels([("app", "web")]));
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
