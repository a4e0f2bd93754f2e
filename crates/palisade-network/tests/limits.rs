//! Network limits: the policy count.

use palisade_core::manifest::load_str;
use palisade_network::limits::MAX_POLICIES;
use palisade_network::{Issues, PolicySet};

#[test]
fn policy_count_is_bounded_with_an_error() {
    let mut text = String::new();
    for i in 0..=MAX_POLICIES {
        text.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p{i}\n  namespace: default\nspec:\n  podSelector: {{}}\n"
        ));
    }
    let manifests = load_str("many.yaml", &text).objects;
    assert_eq!(manifests.len(), MAX_POLICIES + 1);
    let mut issues = Issues::default();
    let set = PolicySet::from_manifests(&manifests, &mut issues);
    assert_eq!(set.policies.len(), MAX_POLICIES);
    assert!(issues.has_errors());
    let issue = issues.iter().next().unwrap().to_string();
    assert!(
        issue.contains("many.yaml:")
            && issue.contains(&format!("more than {MAX_POLICIES} policies")),
        "{issue}"
    );
}
