//! Declared domains against the policies, on the shop example
//! (`tests/intent/shop`) with the batch job's egress to domains added in
//! each policy language: a domain's ports are what `toFQDNs` and
//! `domainNames` peers covering it allow and what rules holding every
//! address allow, through every tier; Cilium's `*` stays within one label,
//! a ClusterNetworkPolicy `*.` reaches every depth; an IP block narrower
//! than every address does not hold a domain.

use std::path::Path;

use palisade_core::manifest::{load_paths, load_str};
use palisade_network::intent::{Declaration, IntentReport, compare};
use palisade_network::{Issues, Resolver};

/// The comparison of the shop with `policies` added and the batch job
/// declaring `domains` (a YAML list) on `ports` (a YAML list).
fn compare_shop(policies: &str, domains: &str, ports: &str) -> IntentReport {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/intent/shop");
    let mut cluster = load_paths(&[dir.join("inventory"), dir.join("policies")]).objects;
    let added = load_str("domains.yaml", policies);
    assert!(added.errors.is_empty(), "{:?}", added.errors);
    cluster.extend(added.objects);
    let mut intents = load_paths(&[dir.join("intents")]).objects;
    let batch = format!(
        "apiVersion: k8s.otterize.com/v2beta1\nkind: ClientIntents\nmetadata: {{name: batch, namespace: shop}}\nspec:\n  workload: {{name: batch}}\n  targets:\n    - kubernetes: {{name: database.data}}\n    - internet: {{domains: {domains}, ports: {ports}}}\n"
    );
    intents.extend(load_str("batch.yaml", &batch).objects);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&cluster, &mut issues);
    let declaration = Declaration::from_manifests(&intents, &mut issues);
    let problems: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    compare(&resolver, &declaration, &mut issues)
}

/// The findings toward domain names (not workloads, not address ranges),
/// `kind to protocol/ports`, each with its first reason.
fn domain_findings(report: &IntentReport) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("undeclared", &report.undeclared),
        ("blocked", &report.blocked),
    ] {
        for f in list.iter().filter(|f| {
            f.from == "shop/batch"
                && !f.to.contains('/')
                && !f.to.starts_with(|c: char| c.is_ascii_digit())
        }) {
            let ports = f.ports.as_ref().map_or("*".to_owned(), |r| {
                if r.start() == r.end() {
                    r.start().to_string()
                } else {
                    format!("{}-{}", r.start(), r.end())
                }
            });
            let reason = f
                .because
                .first()
                .map(|e| e.text.clone())
                .unwrap_or_default();
            out.push(format!("{kind} {} {}/{ports}: {reason}", f.to, f.protocol));
        }
    }
    out
}

/// A CiliumNetworkPolicy for the batch job's egress (`to` is one egress rule).
fn cilium(to: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: batch-out, namespace: shop}}\nspec:\n  endpointSelector: {{matchLabels: {{app: batch}}}}\n  egress:\n    - {to}\n"
    )
}

const TO_443: &str = "toPorts: [{ports: [{port: '443', protocol: TCP}]}]";

#[test]
fn a_cilium_wildcard_covers_one_label() {
    let policy = cilium(&format!(
        "{{toFQDNs: [{{matchPattern: '*.example.com'}}], {TO_443}}}"
    ));
    let found = domain_findings(&compare_shop(
        &policy,
        "[reports.example.com, eu.reports.example.com]",
        "[443]",
    ));
    assert_eq!(
        found,
        [
            // The pattern allows every one-label subdomain; only one was declared.
            "undeclared *.example.com TCP/443: egress: allowed by CiliumNetworkPolicy shop/batch-out spec.egress[0].toPorts[0]",
            // Two labels below example.com: the pattern does not reach it.
            "blocked eu.reports.example.com TCP/443: egress: denied: isolated by NetworkPolicy shop/batch, CiliumNetworkPolicy shop/batch-out, NetworkPolicy shop/default-deny, NetworkPolicy shop/dns and no rule allows it",
        ],
        "{found:#?}"
    );
}

/// An Admin-tier ClusterNetworkPolicy for the batch job with one egress rule.
fn admin_tier(name: &str, priority: u32, rule: &str) -> String {
    format!(
        "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {{name: {name}}}\nspec:\n  tier: Admin\n  priority: {priority}\n  subject:\n    pods:\n      namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: shop}}}}\n      podSelector: {{matchLabels: {{app: batch}}}}\n  egress: [{rule}]\n"
    )
}

#[test]
fn a_cluster_network_policy_wildcard_covers_every_depth() {
    let policy = admin_tier(
        "batch-reports",
        10,
        "{name: reports, action: Accept, to: [{domainNames: ['*.example.com']}], protocols: [{tcp: {destinationPort: {number: 443}}}]}",
    );
    let found = domain_findings(&compare_shop(&policy, "[eu.reports.example.com]", "[443]"));
    assert_eq!(
        found,
        [
            "undeclared **.example.com TCP/443: egress: allowed by ClusterNetworkPolicy batch-reports rule `reports` (spec.egress[0])"
        ],
        "{found:#?}"
    );
}

#[test]
fn an_ip_block_short_of_every_address_does_not_hold_a_domain() {
    let block = |cidr: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: batch-out, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: batch}}}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{{ipBlock: {{cidr: {cidr}}}}}]\n      ports: [{{port: 443}}]\n"
        )
    };
    let narrow = domain_findings(&compare_shop(
        &block("192.0.2.0/24"),
        "[reports.example.com]",
        "[443]",
    ));
    assert_eq!(narrow.len(), 1, "{narrow:#?}");
    assert!(
        narrow[0].starts_with("blocked reports.example.com TCP/443: egress: denied"),
        "{narrow:#?}"
    );
    let every = domain_findings(&compare_shop(
        &block("0.0.0.0/0"),
        "[reports.example.com]",
        "[443]",
    ));
    assert_eq!(every, Vec::<String>::new());
}

#[test]
fn a_domain_declared_on_every_port_is_compared_on_every_port() {
    let policy = cilium(&format!(
        "{{toFQDNs: [{{matchName: reports.example.com}}], {TO_443}}}"
    ));
    let found: Vec<String> = domain_findings(&compare_shop(&policy, "[reports.example.com]", "[]"))
        .into_iter()
        .map(|f| f.split(':').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        found,
        [
            "blocked reports.example.com SCTP/*",
            "blocked reports.example.com TCP/1-442",
            "blocked reports.example.com TCP/444-65535",
            "blocked reports.example.com UDP/*",
        ]
    );
}

#[test]
fn an_admin_deny_above_a_to_fqdns_rule_blocks_the_domain() {
    let mut policies = cilium(&format!(
        "{{toFQDNs: [{{matchName: reports.example.com}}], {TO_443}}}"
    ));
    policies.push_str("---\n");
    policies.push_str(&admin_tier(
        "no-internet",
        5,
        "{name: outside, action: Deny, to: [{networks: [0.0.0.0/0]}]}",
    ));
    let found = domain_findings(&compare_shop(&policies, "[reports.example.com]", "[443]"));
    assert_eq!(
        found,
        [
            "blocked reports.example.com TCP/443: egress: denied by ClusterNetworkPolicy no-internet rule `outside` (spec.egress[0])"
        ],
        "{found:#?}"
    );
}
