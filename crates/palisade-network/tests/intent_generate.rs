//! Least-privilege policies from the shop's declaration, verified by the
//! resolver itself: the intent comparison on the generated set (with the
//! inventory) reports nothing, for both flavors; a domain name is an error
//! naming the intent for NetworkPolicy and a `toFQDNs` rule for Cilium.
#![allow(clippy::panic, reason = "a failing test is the point")]

use std::path::Path;

use palisade_core::manifest::{load_paths, load_str};
use palisade_core::yaml::to_yaml_string;
use palisade_network::intent::{Declaration, Flavor, compare, generate};
use palisade_network::{Issues, Resolver};

/// The shop's inventory and declaration (`tests/intent/shop`), with extra
/// intents appended as YAML.
fn shop(extra_intents: &str) -> (Vec<palisade_core::Manifest>, Declaration) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/intent/shop");
    let inventory = load_paths(&[dir.join("inventory")]);
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let mut intents = load_paths(&[dir.join("intents")]).objects;
    intents.extend(load_str("extra.yaml", extra_intents).objects);
    let mut issues = Issues::default();
    let declaration = Declaration::from_manifests(&intents, &mut issues);
    assert!(issues.is_empty(), "{issues:?}");
    (inventory.objects, declaration)
}

/// Generates `flavor`, reloads the YAML it writes with the inventory, and
/// compares the declaration with it.
fn round_trip(extra_intents: &str, flavor: Flavor) -> (String, Vec<String>) {
    let (inventory, declaration) = shop(extra_intents);
    let mut issues = Issues::default();
    let catalog = Resolver::from_manifests(&inventory, &mut issues);
    let generated = generate(
        &catalog.catalog().inventory,
        &declaration,
        flavor,
        &mut issues,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let text: Vec<String> = generated
        .iter()
        .map(|g| to_yaml_string(&g.object))
        .collect();
    let text = text.join("---\n");
    let mut all = inventory;
    let policies = load_str("generated.yaml", &text);
    assert!(policies.errors.is_empty(), "{:?}\n{text}", policies.errors);
    all.extend(policies.objects);
    let resolver = Resolver::from_manifests(&all, &mut issues);
    let problems: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:#?}\n{text}");
    let report = compare(&resolver, &declaration, &mut issues);
    let found: Vec<String> = report
        .undeclared
        .iter()
        .map(|f| {
            format!(
                "undeclared {} -> {} {} {:?}",
                f.from, f.to, f.protocol, f.ports
            )
        })
        .chain(report.blocked.iter().map(|f| {
            format!(
                "blocked {} -> {} {} {:?}",
                f.from, f.to, f.protocol, f.ports
            )
        }))
        .collect();
    (text, found)
}

#[test]
fn generated_network_policies_allow_exactly_the_declaration() {
    let (text, found) = round_trip("", Flavor::Kubernetes);
    assert!(found.is_empty(), "{found:#?}\n{text}");
    assert!(text.contains("kind: NetworkPolicy"), "{text}");
}

#[test]
fn generated_cilium_policies_allow_exactly_the_declaration() {
    let (text, found) = round_trip("", Flavor::Cilium);
    assert!(found.is_empty(), "{found:#?}\n{text}");
    assert!(text.contains("kind: CiliumNetworkPolicy"), "{text}");
}

const DOMAIN: &str = r#"
apiVersion: k8s.otterize.com/v2beta1
kind: ClientIntents
metadata: {name: batch, namespace: shop}
spec:
  workload: {name: batch}
  targets:
    - internet: {domains: [reports.example.com], ports: [443]}
"#;

#[test]
fn a_domain_is_an_error_for_network_policies() {
    let (inventory, declaration) = shop(DOMAIN);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&inventory, &mut issues);
    let inventory = &resolver.catalog().inventory;
    let errors = generate(inventory, &declaration, Flavor::Kubernetes, &mut issues).unwrap_err();
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "extra.yaml:2:1: ClientIntents shop/batch: `spec.targets[0]`: domain `reports.example.com` cannot be expressed in a NetworkPolicy (use --flavor cilium)"
        ]
    );
}

#[test]
fn a_domain_becomes_a_to_fqdns_rule_for_cilium() {
    let (text, found) = round_trip(DOMAIN, Flavor::Cilium);
    assert!(found.is_empty(), "{found:#?}\n{text}");
    assert!(text.contains("matchName: reports.example.com"), "{text}");
}
