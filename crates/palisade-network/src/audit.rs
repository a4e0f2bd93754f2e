//! Audit findings about a cluster's network policies, as `palisade-core`
//! [`Finding`]s:
//!
//! | policy id | severity | what |
//! |---|---|---|
//! | `network/unprotected-ingress`, `network/unprotected-egress` | warning | a workload no policy selects in that direction |
//! | `network/no-default-deny-ingress`, `network/no-default-deny-egress` | notice | a namespace without a NetworkPolicy that selects every pod and allows nothing in that direction |
//! | `network/cross-namespace` | informational | a flow allowed between workloads of different namespaces |
//! | `network/egress-to-world` | warning | egress allowed to addresses outside the cluster with no L7 rule to narrow it |
//! | `network/selects-nothing` | warning | a policy whose subject selects no workload |
//! | `network/shadowed-by-deny` | warning | an allow rule whose traffic a deny rule always denies first |

use std::net::Ipv4Addr;

use palisade_core::{Finding, FlowRef, Layer, ObjectRef, Severity, Subject};

use crate::inventory::{Endpoint, EndpointId};
use crate::policy::{Action, Direction, NamespaceScope, Policy, Tier};
use crate::resolver::{Bitset, IdentityId, Resolver};

fn endpoint_subject(e: &Endpoint) -> Subject {
    Subject::Object(ObjectRef {
        api_version: String::new(),
        kind: e.kind.clone(),
        namespace: Some(e.namespace.clone()),
        name: e.name.clone(),
    })
}

fn policy_subject(p: &Policy) -> Subject {
    Subject::Object(ObjectRef {
        api_version: String::new(),
        kind: p.kind.as_str().to_owned(),
        namespace: p.namespace.clone(),
        name: p.name.clone(),
    })
}

fn with_location(finding: Finding, p: &Policy) -> Finding {
    match &p.origin.location {
        Some(l) => finding.with_location(l.clone()),
        None => finding,
    }
}

/// Every audit finding, in a stable order (by check, then by subject).
pub fn audit(resolver: &Resolver) -> Vec<Finding> {
    let mut out = Vec::new();
    unprotected(resolver, &mut out);
    no_default_deny(resolver, &mut out);
    selects_nothing(resolver, &mut out);
    shadowed_by_deny(resolver, &mut out);
    egress_to_world(resolver, &mut out);
    cross_namespace(resolver, &mut out);
    out
}

fn endpoints(resolver: &Resolver) -> impl Iterator<Item = (EndpointId, &Endpoint, IdentityId)> {
    resolver
        .catalog()
        .inventory
        .endpoints
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let id = EndpointId(u32::try_from(i).ok()?);
            Some((id, e, resolver.identity_of(id)?))
        })
}

fn unprotected(resolver: &Resolver, out: &mut Vec<Finding>) {
    for (_, e, identity) in endpoints(resolver) {
        for direction in Direction::BOTH {
            if resolver.rules_of(identity, direction).is_empty()
                && resolver.isolating_policies(identity, direction).is_empty()
            {
                let mut finding = Finding::new(
                    Layer::Network,
                    format!("network/unprotected-{direction}"),
                    Severity::Warning,
                    format!("`{e}` is selected by no policy for {direction}: all {direction} traffic is allowed"),
                )
                .with_subject(endpoint_subject(e));
                if let Some(l) = &e.origin.location {
                    finding = finding.with_location(l.clone());
                }
                out.push(finding);
            }
        }
    }
}

/// A NetworkPolicy or Cilium policy that selects every pod of namespace
/// `ns` and allows nothing in `direction` (`ingress: [{}]` in Cilium).
fn is_default_deny(p: &Policy, ns: &crate::inventory::Namespace, direction: Direction) -> bool {
    let covers = match &p.subject.namespaces {
        NamespaceScope::Named(name) => *name == ns.name,
        NamespaceScope::Selector(sel) => sel.matches(&ns.labels),
    };
    p.tier() == Tier::Namespaced
        && covers
        && p.subject.pods.is_everything()
        && p.isolates(direction)
        && !p.rules.iter().any(|r| {
            r.direction == direction
                && r.action == Action::Allow
                && r.peers.as_ref().is_none_or(|peers| !peers.is_empty())
        })
}

fn no_default_deny(resolver: &Resolver, out: &mut Vec<Finding>) {
    let catalog = resolver.catalog();
    for ns in &catalog.inventory.namespaces {
        let has_workloads = catalog
            .inventory
            .endpoints
            .iter()
            .any(|e| e.namespace == ns.name);
        if !has_workloads {
            continue;
        }
        for direction in Direction::BOTH {
            let covered = catalog
                .policies
                .policies
                .iter()
                .any(|p| is_default_deny(p, ns, direction));
            if !covered {
                let mut finding = Finding::new(
                    Layer::Network,
                    format!("network/no-default-deny-{direction}"),
                    Severity::Notice,
                    format!(
                        "namespace `{}` has no default-deny NetworkPolicy for {direction} (podSelector {{}} with policyTypes [{}] and no rules)",
                        ns.name,
                        if direction == Direction::Ingress { "Ingress" } else { "Egress" }
                    ),
                )
                .with_subject(Subject::Object(ObjectRef {
                    api_version: "v1".to_owned(),
                    kind: "Namespace".to_owned(),
                    namespace: None,
                    name: ns.name.clone(),
                }));
                if let Some(l) = ns.origin.as_ref().and_then(|o| o.location.clone()) {
                    finding = finding.with_location(l);
                }
                out.push(finding);
            }
        }
    }
}

fn selects_nothing(resolver: &Resolver, out: &mut Vec<Finding>) {
    for p in &resolver.catalog().policies.policies {
        if resolver.policy_subjects(p).is_empty() {
            out.push(with_location(
                Finding::new(
                    Layer::Network,
                    "network/selects-nothing",
                    Severity::Warning,
                    format!("{} selects no workload ({})", p.display_name(), p.subject),
                )
                .with_subject(policy_subject(p)),
                p,
            ));
        }
    }
}

/// Whether deny rule `d` takes precedence over rule `r` for the traffic
/// both match: an earlier admin rule, an admin rule over lower tiers, or a
/// namespaced deny over a namespaced allow.
fn precedes(resolver: &Resolver, d: (usize, usize), r: (usize, usize)) -> bool {
    let policies = &resolver.catalog().policies.policies;
    let (Some(dp), Some(rp)) = (policies.get(d.0), policies.get(r.0)) else {
        return false;
    };
    match (dp.tier(), rp.tier()) {
        (Tier::Admin, Tier::Admin) => {
            (dp.priority, &dp.name, d.0, d.1) < (rp.priority, &rp.name, r.0, r.1)
        }
        (Tier::Admin, _) => true,
        (Tier::Namespaced, Tier::Namespaced) => true,
        (Tier::Namespaced, Tier::Baseline) => false,
        (Tier::Baseline, Tier::Baseline) => d.1 < r.1 && d.0 == r.0,
        _ => false,
    }
}

fn shadowed_by_deny(resolver: &Resolver, out: &mut Vec<Finding>) {
    let catalog = resolver.catalog();
    let policies = &catalog.policies.policies;
    let subjects: Vec<Bitset> = policies.iter().map(|p| resolver.subject_set(p)).collect();
    let compiled = resolver.compiled();
    let denies: Vec<_> = compiled
        .iter()
        .filter(|c| c.action == Action::Deny)
        .collect();
    if denies.is_empty() {
        return;
    }
    for r in compiled.iter().filter(|c| c.action != Action::Deny) {
        let (rp, ri) = (r.id.policy as usize, r.id.rule as usize);
        let (Some(policy), Some(rule), Some(r_subjects)) =
            (policies.get(rp), catalog.rule(r.id), subjects.get(rp))
        else {
            continue;
        };
        if r_subjects.is_clear() {
            continue;
        }
        let r_peers = r.peers.and_then(|i| resolver.identity_set(i));
        let shadow = denies.iter().find(|d| {
            let (dp, di) = (d.id.policy as usize, d.id.rule as usize);
            let Some(d_rule) = catalog.rule(d.id) else {
                return false;
            };
            if d_rule.direction != rule.direction || !precedes(resolver, (dp, di), (rp, ri)) {
                return false;
            }
            let subjects_covered = subjects.get(dp).is_some_and(|s| s.is_superset(r_subjects));
            let peers_covered = d.any_peer
                || (!r.any_peer
                    && match (d.peers.and_then(|i| resolver.identity_set(i)), r_peers) {
                        (_, None) => true,
                        (Some(ds), Some(rs)) => ds.is_superset(rs),
                        (None, Some(rs)) => rs.is_empty(),
                    }
                    && r.v4
                        .iter()
                        .all(|&(lo, hi)| d.v4.iter().any(|&(s, e)| s <= lo && hi <= e))
                    && r.entities.iter().all(|e| d.entities.contains(e))
                    && r.fqdns.iter().all(|f| d.fqdns.contains(f))
                    && r.cidrs
                        .iter()
                        .all(|c| matches!(c.cidr, ipnet::IpNet::V4(_)) || d.cidrs.contains(c)));
            let ports_covered = match (&d.fixed_ports, &r.fixed_ports) {
                (Some(dp), Some(rp)) => rp.subtract(dp).is_empty(),
                (Some(dp), None) => dp.is_all(),
                _ => false,
            };
            subjects_covered && peers_covered && ports_covered
        });
        if let Some(d) = shadow {
            // Located at the rule that never takes effect.
            let mut finding = Finding::new(
                Layer::Network,
                "network/shadowed-by-deny",
                Severity::Warning,
                format!(
                    "{} never takes effect: {} denies the same traffic first",
                    catalog.describe_rule(r.id),
                    catalog.describe_rule(d.id)
                ),
            )
            .with_subject(policy_subject(policy));
            if let Some(l) = catalog.rule_location(r.id) {
                finding = finding.with_location(l);
            }
            out.push(finding);
        }
    }
}

fn egress_to_world(resolver: &Resolver, out: &mut Vec<Finding>) {
    // The destination pieces of the IPv4 space, as the connectivity list cuts them.
    let mut intervals = Vec::new();
    for p in &resolver.catalog().policies.policies {
        for rule in p.rules.iter().filter(|r| r.direction == Direction::Egress) {
            for peer in rule.peers.iter().flatten() {
                intervals.extend(crate::connlist::peer_intervals(
                    peer,
                    &resolver.catalog().inventory,
                ));
            }
        }
    }
    let pieces = crate::connlist::pieces(&intervals);
    for (_, e, identity) in endpoints(resolver) {
        let mut open = Vec::new();
        for &(lo, hi) in &pieces {
            let outcome = resolver.external_outcome(Direction::Egress, identity, lo, hi);
            let ports = &outcome.ports;
            let narrowed_by_l7 = !outcome.grants.is_empty()
                && outcome.grants.iter().all(|g| match g {
                    crate::resolver::Grant::Rule(r) => {
                        resolver.catalog().rule(*r).is_some_and(|r| r.l7.is_some())
                    }
                    crate::resolver::Grant::Default => false,
                });
            if !ports.is_empty() && !narrowed_by_l7 {
                open.push(format!(
                    "{}-{} ({ports})",
                    Ipv4Addr::from(lo),
                    Ipv4Addr::from(hi)
                ));
            }
        }
        if !open.is_empty() {
            out.push(
                Finding::new(
                    Layer::Network,
                    "network/egress-to-world",
                    Severity::Warning,
                    format!(
                        "`{e}` may send traffic outside the cluster with no L7 rule to narrow it: {}",
                        open.join(", ")
                    ),
                )
                .with_subject(endpoint_subject(e)),
            );
        }
    }
}

fn cross_namespace(resolver: &Resolver, out: &mut Vec<Finding>) {
    let matrix = resolver.matrix();
    let all: Vec<_> = endpoints(resolver).collect();
    for &(_, a, ia) in &all {
        for &(_, b, ib) in &all {
            if a.namespace == b.namespace {
                continue;
            }
            let ports = matrix.ports(ia, ib);
            if ports.is_empty() {
                continue;
            }
            out.push(
                Finding::new(
                    Layer::Network,
                    "network/cross-namespace",
                    Severity::Informational,
                    format!("`{a}` may connect to `{b}` in another namespace: {ports}"),
                )
                .with_subject(Subject::Flow(FlowRef {
                    from: a.to_string(),
                    to: b.to_string(),
                    port: None,
                    protocol: None,
                })),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Issues;
    use palisade_core::manifest::load_str;

    /// The findings for the manifests in `text`, which must load and
    /// resolve without a problem.
    fn audit_of(file: &str, text: &str) -> Vec<Finding> {
        let report = load_str(file, text);
        assert!(report.is_ok(), "{:?}", report.errors);
        let mut issues = Issues::default();
        let resolver = Resolver::from_manifests(&report.objects, &mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        audit(&resolver)
    }

    /// Whether a finding of `policy` says `needle`.
    fn has(findings: &[Finding], policy: &str, needle: &str) -> bool {
        findings
            .iter()
            .any(|f| f.policy == policy && f.message.contains(needle))
    }

    const EXTRA: &str = r#"
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-web-to-data}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: data}}}
  ingress:
  - name: deny-shop
    action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nobody, namespace: shop}
spec:
  podSelector: {matchLabels: {app: missing}}
"#;

    #[test]
    fn audit_of_the_example_cluster() {
        let text = format!(
            "{}{EXTRA}",
            include_str!("../../../examples/data/cluster.yaml")
        );
        let findings = audit_of("cluster.yaml", &text);
        let has = |policy: &str, needle: &str| has(&findings, policy, needle);
        assert!(has("network/unprotected-ingress", "shop/web[Deployment]"));
        assert!(!has("network/unprotected-ingress", "data/db"));
        assert!(has("network/no-default-deny-ingress", "`shop`"));
        assert!(!has("network/no-default-deny-ingress", "`data`"));
        assert!(has("network/selects-nothing", "NetworkPolicy shop/nobody"));
        assert!(has(
            "network/shadowed-by-deny",
            "db-from-api spec.ingress[0] never takes effect"
        ));
        assert!(has("network/egress-to-world", "shop/api[Deployment]"));
        assert!(!has("network/egress-to-world", "data/db"));
        // The ANP denies shop -> data, so nothing crosses from shop to data.
        assert!(
            !findings
                .iter()
                .any(|f| f.policy == "network/cross-namespace" && f.message.contains("`data/db"))
        );
        let located = findings
            .iter()
            .find(|f| f.policy == "network/selects-nothing")
            .and_then(|f| f.location.clone())
            .unwrap();
        assert_eq!(located.file, "cluster.yaml");
        assert!(located.line > 100);
    }

    #[test]
    fn cilium_default_deny_and_l7_egress_count() {
        let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: web, labels: {app: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: web, labels: {app: b}}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-all, namespace: web}
spec:
  endpointSelector: {}
  ingress: [{}]
  egress: [{}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a-out, namespace: web}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEntities: [world]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET}]}
---
{apiVersion: cilium.io/v2, kind: CiliumNetworkPolicy, metadata: {name: b-out, namespace: web},
  spec: {endpointSelector: {matchLabels: {app: b}}, egress: [{toCIDR: [0.0.0.0/0]}]}}
"#;
        let findings = audit_of("cilium.yaml", text);
        let has = |policy: &str, needle: &str| has(&findings, policy, needle);
        assert!(
            !has("network/no-default-deny-ingress", "`web`"),
            "{findings:?}"
        );
        assert!(
            !has("network/no-default-deny-egress", "`web`"),
            "{findings:?}"
        );
        assert!(
            !has("network/egress-to-world", "web/a[Pod]"),
            "{findings:?}"
        );
        assert!(has("network/egress-to-world", "web/b[Pod]"), "{findings:?}");
        assert!(!has("network/unprotected-ingress", "web/"), "{findings:?}");
    }
}
