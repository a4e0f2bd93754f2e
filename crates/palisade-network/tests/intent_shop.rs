//! Declared intent on a shop-like example (`tests/intent/shop`: frontend,
//! API, database, a batch job, the cluster DNS; NetworkPolicies; Otterize
//! ClientIntents in both versions): the comparison finds the planted
//! too-open path (the batch job may reach the database, undeclared) and the
//! planted too-tight one (the API's database port is mistyped, blocked),
//! and nothing else.

use std::path::Path;

use palisade_core::manifest::load_paths;
use palisade_network::intent::{Declaration, Intent, IntentReport, PathFinding, Target, compare};
use palisade_network::ports::Protocol;
use palisade_network::{Issues, Resolver};

fn shop(implicit_dns: bool) -> (IntentReport, Issues) {
    shop_with(implicit_dns, |_| true)
}

/// The shop with the intents `keep` keeps.
fn shop_with(implicit_dns: bool, keep: impl Fn(&Intent) -> bool) -> (IntentReport, Issues) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/intent/shop");
    let cluster = load_paths(&[dir.join("inventory"), dir.join("policies")]);
    assert!(cluster.errors.is_empty(), "{:?}", cluster.errors);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&cluster.objects, &mut issues);
    let intents = load_paths(&[dir.join("intents")]);
    assert!(intents.errors.is_empty(), "{:?}", intents.errors);
    let mut declaration = Declaration::from_manifests(&intents.objects, &mut issues);
    assert_eq!(declaration.intents.len(), 3, "{declaration:#?}");
    declaration.intents.retain(|i| keep(i));
    declaration.implicit_dns = implicit_dns;
    let report = compare(&resolver, &declaration, &mut issues);
    (report, issues)
}

fn line(f: &PathFinding) -> String {
    let port = f
        .ports
        .as_ref()
        .map_or("*".to_owned(), |r| r.start().to_string());
    format!("{} -> {} {}/{port}", f.from, f.to, f.protocol)
}

/// Asserts that one line of the finding's explanation holds `text`.
fn explains(finding: &PathFinding, text: &str) {
    let lines: Vec<String> = finding.because.iter().map(ToString::to_string).collect();
    assert!(lines.iter().any(|l| l.contains(text)), "{text}: {lines:#?}");
}

#[test]
fn the_planted_paths_and_nothing_else() {
    let (report, issues) = shop(true);
    assert!(issues.is_empty(), "{issues:?}");
    let undeclared: Vec<String> = report.undeclared.iter().map(line).collect();
    let blocked: Vec<String> = report.blocked.iter().map(line).collect();
    assert_eq!(undeclared, ["shop/batch -> data/database TCP/5432"]);
    assert_eq!(blocked, ["shop/api -> data/database TCP/5432"]);
    // Each names the rule behind it.
    explains(
        &report.undeclared[0],
        "allowed by NetworkPolicy shop/batch spec.egress[0]",
    );
    explains(
        &report.blocked[0],
        "ingress: denied: isolated by NetworkPolicy data/database",
    );
    assert_eq!(report.blocked[0].protocol, Protocol::Tcp);
}

/// Without implicit DNS, every workload's DNS egress that the policies
/// allow is undeclared (and nothing is blocked for DNS).
#[test]
fn dns_is_declared_only_implicitly() {
    let (report, _) = shop(false);
    let dns: Vec<String> = report
        .undeclared
        .iter()
        .filter(|f| f.to == "kube-system/coredns")
        .map(line)
        .collect();
    let mut expected = Vec::new();
    for from in ["data/database", "shop/api", "shop/batch", "shop/frontend"] {
        for protocol in ["TCP", "UDP"] {
            expected.push(format!("{from} -> kube-system/coredns {protocol}/53"));
        }
    }
    assert_eq!(dns, expected);
    assert_eq!(report.blocked.len(), 1);
}

/// The API's declared address range is compared too: without that intent
/// the allowed egress to it is undeclared; with an intent for more ports
/// than the policy opens, the rest is blocked.
#[test]
fn internet_addresses_are_compared() {
    let (report, _) = shop_with(true, |i| !matches!(i.target, Target::Internet { .. }));
    let undeclared: Vec<String> = report.undeclared.iter().map(line).collect();
    assert!(
        undeclared.contains(&"shop/api -> 203.0.113.0/24 TCP/443".to_owned()),
        "{undeclared:#?}"
    );
    let (report, _) = shop_with(true, |_| true);
    assert!(report.undeclared.iter().all(|f| f.to != "203.0.113.0/24"));
}
