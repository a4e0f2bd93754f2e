//! A Hubble export of the shop example (`tests/flows/shop.jsonl`) judged
//! against its policies and ClientIntents: FORWARDED and DROPPED records,
//! declared and undeclared, land in each of the three findings and none;
//! replies are skipped, other verdicts counted, records without a port or
//! with an unknown pod reported with their line, a broken line located.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use std::path::Path;

use palisade_core::manifest::load_paths;
use palisade_network::flows::{FlowFinding, FlowJudge, FlowReport};
use palisade_network::intent::Declaration;
use palisade_network::{Issues, Resolver};

fn judge(with_intents: bool) -> FlowReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let shop = root.join("intent/shop");
    let cluster = load_paths(&[shop.join("inventory"), shop.join("policies")]);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&cluster.objects, &mut issues);
    let intents = load_paths(&[shop.join("intents")]);
    let declaration = Declaration::from_manifests(&intents.objects, &mut issues);
    let judge = FlowJudge::new(&resolver, with_intents.then_some(&declaration), &mut issues);
    assert!(issues.is_empty(), "{issues:?}");
    let text = std::fs::read_to_string(root.join("flows/shop.jsonl")).unwrap();
    judge.judge_export("shop.jsonl", &text)
}

#[test]
fn each_finding_and_none() {
    let report = judge(true);
    let got: Vec<(usize, String, String, &str, Option<FlowFinding>)> = report
        .flows
        .iter()
        .map(|f| (f.line, f.from.clone(), f.to.clone(), f.verdict, f.finding))
        .collect();
    let expected: Vec<(usize, String, String, &str, Option<FlowFinding>)> = vec![
        (
            1,
            "shop/frontend".into(),
            "shop/api".into(),
            "allowed",
            None,
        ),
        (
            3,
            "shop/batch".into(),
            "data/database".into(),
            "allowed",
            Some(FlowFinding::Undeclared),
        ),
        (
            4,
            "shop/api".into(),
            "data/database".into(),
            "denied",
            Some(FlowFinding::DeclaredButDropped),
        ),
        (
            5,
            "shop/frontend".into(),
            "data/database".into(),
            "denied",
            Some(FlowFinding::Drift),
        ),
        (10, "shop/api".into(), "203.0.113.7".into(), "allowed", None),
    ];
    assert_eq!(got, expected);
    let s = &report.summary;
    assert_eq!((s.records, s.judged, s.replies, s.malformed), (9, 5, 1, 1));
    assert_eq!(s.not_judged.get("AUDIT"), Some(&1));
    assert_eq!((s.missing_ports, s.unknown_endpoints), (1, 1));
    assert_eq!((s.drift, s.declared_but_dropped, s.undeclared), (1, 1, 1));
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems[0].starts_with("shop.jsonl:7:1: no TCP, UDP or SCTP"),
        "{problems:#?}"
    );
    assert!(
        problems[1].starts_with("shop.jsonl:8:1: the source (pod `shop/ghost-1`)"),
        "{problems:#?}"
    );
    assert!(problems[2].starts_with("shop.jsonl:9:"), "{problems:#?}");
    // The side observed decides: line 4 is judged by the database's ingress.
    let line4 = &report.flows[2];
    assert!(
        line4
            .decided_by
            .iter()
            .all(|e| e.text.starts_with("ingress:")),
        "{:#?}",
        line4.decided_by
    );
    let json = report.to_json();
    assert_eq!(json["flows"][1]["finding"], "undeclared");
    assert_eq!(json["flows"][2]["finding"], "declared-but-dropped");
    assert_eq!(json["flows"][0]["declared"], true);
}

#[test]
fn without_intents_only_drift() {
    let report = judge(false);
    let findings: Vec<Option<FlowFinding>> = report.flows.iter().map(|f| f.finding).collect();
    assert_eq!(findings, [None, None, None, Some(FlowFinding::Drift), None]);
    assert!(report.flows.iter().all(|f| f.declared.is_none()));
}
