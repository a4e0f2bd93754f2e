//! The resolver's queries on the example cluster: the `Engine` trait,
//! reachability of one workload, the matrix and its `petgraph` graph.
#![allow(clippy::unwrap_used, reason = "a failing test is the point")]

use palisade_core::manifest::load_str;
use palisade_core::{Engine, Layer, Subject, Verdict as _};
use palisade_network::ports::{Ports, Protocol};
use palisade_network::resolver::{Flow, FlowEnd, Grant};
use palisade_network::{Issues, Resolver};

fn resolver() -> Resolver {
    let text = include_str!("../../../examples/data/cluster.yaml");
    let report = load_str("cluster.yaml", text);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    assert!(issues.is_empty(), "{issues:?}");
    resolver
}

fn end(r: &Resolver, name: &str) -> FlowEnd {
    r.flow_end(name).unwrap()
}

#[test]
#[expect(
    clippy::let_unit_value,
    reason = "the Engine API hands out a scratch, here `()`"
)]
fn engine_trait_gives_network_findings() {
    let r = resolver();
    let mut scratch = r.scratch();
    assert_eq!(r.layer(), Layer::Network);
    let flow = Flow {
        src: end(&r, "shop/web"),
        dst: end(&r, "data/db"),
        protocol: Protocol::Tcp,
        port: 5432,
    };
    let verdict = r.evaluate(&mut scratch, &flow);
    assert!(!verdict.passed());
    let findings = verdict.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].layer, Layer::Network);
    assert_eq!(findings[0].policy, "NetworkPolicy data/db-from-api");
    assert!(
        matches!(&findings[0].subject, Some(Subject::Flow(f)) if f.from == "shop/web[Deployment]" && f.port == Some(5432))
    );
    let allowed = r.evaluate(
        &mut scratch,
        &Flow {
            src: end(&r, "shop/api"),
            ..flow
        },
    );
    assert!(allowed.passed());
    assert!(allowed.egress_allowed && allowed.ingress_allowed);
}

#[test]
fn reachability_of_the_database() {
    let r = resolver();
    let db = r.catalog().inventory.find("data/db").unwrap();
    let api = r.catalog().inventory.find("shop/api").unwrap();
    let reach = r.reachability(db).unwrap();
    assert_eq!(
        reach.inbound,
        vec![(api, Ports::single(Protocol::Tcp, 5432))]
    );
    assert!(
        reach.outbound.is_empty(),
        "the default-deny isolates the database's egress"
    );
    let web = r.catalog().inventory.find("shop/web").unwrap();
    let web_reach = r.reachability(web).unwrap();
    assert_eq!(
        web_reach.inbound.len(),
        1,
        "only shop/api reaches shop/web: {web_reach:?}"
    );
    assert!(
        web_reach
            .outbound
            .iter()
            .any(|(e, p)| *e == api && p.is_all())
    );
}

#[test]
fn matrix_and_graph_carry_ports_and_rules() {
    let r = resolver();
    let matrix = r.matrix();
    let id = |name: &str| {
        r.identity_of(r.catalog().inventory.find(name).unwrap())
            .unwrap()
    };
    let (web, api, db) = (id("shop/web"), id("shop/api"), id("data/db"));
    assert_eq!(matrix.size(), 3);
    assert!(matrix.ports(web, db).is_empty());
    assert_eq!(matrix.ports(api, db).to_string(), "TCP 5432");
    assert!(matrix.ports(web, api).is_all());
    let graph = r.graph(&matrix);
    assert_eq!(graph.node_count(), 3);
    assert_eq!(graph.edge_count(), matrix.allowed_pairs());
    let edge = graph
        .edge_indices()
        .map(|e| (graph.edge_endpoints(e).unwrap(), &graph[e]))
        .find(|((a, b), _)| graph[*a] == api && graph[*b] == db)
        .map(|(_, w)| w.clone())
        .unwrap();
    assert_eq!(edge.egress, vec![Grant::Default]);
    assert_eq!(edge.ingress.len(), 1);
    let Grant::Rule(rule) = edge.ingress[0] else {
        panic!("{edge:?}")
    };
    assert_eq!(
        r.catalog().describe_rule(rule),
        "NetworkPolicy data/db-from-api spec.ingress[0]"
    );
}
