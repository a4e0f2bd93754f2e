//! Flows to addresses outside the cluster with the DNS names Hubble
//! recorded for them (`destination_names`, or `destinationNames`), judged
//! against a `toFQDNs` rule and a declared domain (`tests/flows/domains`
//! on the shop example): the rule decides by the names, one label deep for
//! Cilium's `*`; a declared domain covers the flows whose names it covers.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::path::Path;

use palisade_core::manifest::load_paths;
use palisade_network::flows::{FlowFinding, FlowJudge};
use palisade_network::intent::Declaration;
use palisade_network::{Issues, Resolver};

/// Line, destination, port, verdict, declared, finding.
type Judged<'a> = (
    usize,
    &'a str,
    u16,
    &'a str,
    Option<bool>,
    Option<FlowFinding>,
);

#[test]
fn names_decide_to_fqdns_rules_and_declared_domains() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let shop = root.join("intent/shop");
    let domains = root.join("flows/domains");
    let loaded = load_paths(&[
        shop.join("inventory"),
        shop.join("policies"),
        shop.join("intents"),
        domains.join("batch-reports.yaml"),
    ]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&loaded.objects, &mut issues);
    let declaration = Declaration::from_manifests(&loaded.objects, &mut issues);
    let judge = FlowJudge::new(&resolver, Some(&declaration), &mut issues);
    let problems: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let text = std::fs::read_to_string(domains.join("batch.jsonl")).unwrap();
    let report = judge.judge_export("batch.jsonl", &text);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let got: Vec<Judged<'_>> = report
        .flows
        .iter()
        .map(|f| {
            (
                f.line,
                f.to.as_str(),
                f.port,
                f.verdict,
                f.declared,
                f.finding,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // The declared name: the pattern covers it.
            (1, "203.0.113.7", 443, "allowed", Some(true), None),
            // Two labels below example.com: the rule does not reach it,
            // yet the cluster forwarded it.
            (
                2,
                "203.0.113.8",
                443,
                "denied",
                Some(false),
                Some(FlowFinding::Drift)
            ),
            // Allowed by the pattern, not declared.
            (
                3,
                "203.0.113.9",
                443,
                "allowed",
                Some(false),
                Some(FlowFinding::Undeclared)
            ),
            // A port nobody allows or declares, dropped.
            (4, "203.0.113.7", 8443, "denied", Some(false), None),
            // Another domain, dropped.
            (5, "198.51.100.4", 443, "denied", Some(false), None),
            // No names recorded: allowed on the condition of the names,
            // and no declared domain can be matched.
            (
                6,
                "203.0.113.7",
                443,
                "allowed",
                Some(false),
                Some(FlowFinding::Undeclared)
            ),
        ]
    );
    // The drift is explained by the egress side that denied it.
    let drift = &report.flows[1];
    let reasons: Vec<&str> = drift.decided_by.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    let reason = reasons[0];
    let by_the_rule = reason.contains("CiliumNetworkPolicy shop/batch-reports");
    assert!(
        reason.starts_with("egress: denied: isolated by") && by_the_rule,
        "{reason}"
    );
}
