//! Differential test: the resolver (identities, selector cache, rule maps,
//! memoized matrix) agrees with a naive evaluator that walks every policy
//! for every pair and port, on random small clusters.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::net::IpAddr;

use ipnet::IpNet;
use palisade_network::inventory::{Endpoint, EndpointId, Inventory};
use palisade_network::issues::Origin;
use palisade_network::labels::{Labels, Operator, Requirement, Selector};
use palisade_network::naive::End;
use palisade_network::policy::{
    Action, CidrBlock, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind,
    PolicySet, Rule,
};
use palisade_network::ports::{NamedPort, PortRange, PortSpec, Protocol};
use palisade_network::resolver::{Flow, FlowEnd};
use palisade_network::{Catalog, Resolver};
use proptest::prelude::*;

const KEYS: [&str; 2] = ["app", "tier"];
const VALUES: [&str; 2] = ["a", "b"];
const NAMESPACES: [&str; 3] = ["ns0", "ns1", "ns2"];
const PORTS: [(Protocol, u16); 6] = [
    (Protocol::Tcp, 80),
    (Protocol::Tcp, 443),
    (Protocol::Udp, 53),
    (Protocol::Sctp, 80),
    (Protocol::Tcp, 8080),
    (Protocol::Udp, 5000),
];
const IPS: [&str; 3] = ["10.1.2.3", "10.9.0.1", "192.168.0.7"];

fn labels_strategy() -> impl Strategy<Value = Labels> {
    proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..3).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| (KEYS[k].to_owned(), VALUES[v].to_owned()))
            .collect()
    })
}

fn selector_strategy() -> impl Strategy<Value = Selector> {
    let req = (0..KEYS.len(), 0..4usize, 0..VALUES.len()).prop_map(|(k, op, v)| Requirement {
        key: KEYS[k].to_owned(),
        operator: [
            Operator::In,
            Operator::NotIn,
            Operator::Exists,
            Operator::DoesNotExist,
        ][op],
        values: vec![VALUES[v].to_owned()],
    });
    (
        proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..2),
        proptest::collection::vec(req, 0..2),
    )
        .prop_map(|(labels, match_expressions)| {
            let mut s =
                Selector::from_labels(labels.into_iter().map(|(k, v)| (KEYS[k], VALUES[v])));
            s.match_expressions = match_expressions;
            s
        })
}

fn port_spec_strategy() -> impl Strategy<Value = PortSpec> {
    prop_oneof![
        Just(PortSpec::Any),
        Just(PortSpec::Protocol(Protocol::Udp)),
        (0..PORTS.len()).prop_map(|i| PortSpec::Range(PortRange {
            protocol: PORTS[i].0,
            start: PORTS[i].1,
            end: PORTS[i].1
        })),
        Just(PortSpec::Range(PortRange {
            protocol: Protocol::Tcp,
            start: 400,
            end: 8080
        })),
        Just(PortSpec::Named {
            name: "http".into(),
            protocol: Some(Protocol::Tcp)
        }),
        Just(PortSpec::Named {
            name: "dns".into(),
            protocol: None
        }),
    ]
}

fn scope_strategy(own: Option<&'static str>) -> impl Strategy<Value = NamespaceScope> {
    let named = match own {
        Some(ns) => Just(NamespaceScope::Named(ns.to_owned())).boxed(),
        None => (0..NAMESPACES.len())
            .prop_map(|i| NamespaceScope::Named(NAMESPACES[i].to_owned()))
            .boxed(),
    };
    prop_oneof![
        named,
        selector_strategy().prop_map(NamespaceScope::Selector)
    ]
}

fn peer_strategy(own: Option<&'static str>) -> impl Strategy<Value = Peer> {
    let cidr = (0..4usize, any::<bool>()).prop_map(|(i, except)| {
        let cidr: IpNet = ["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "192.168.0.0/24"][i]
            .parse()
            .unwrap();
        Peer::Cidr(CidrBlock {
            cidr,
            except: if except {
                vec!["10.1.2.0/24".parse().unwrap()]
            } else {
                Vec::new()
            },
        })
    });
    // ClusterNetworkPolicy `networks`: pods by IP (`POD_IPS`) and addresses.
    let network = (0..3usize).prop_map(|i| {
        Peer::Network(CidrBlock {
            cidr: ["10.1.7.1/32", "10.1.0.0/16", "0.0.0.0/0"][i]
                .parse()
                .unwrap(),
            except: Vec::new(),
        })
    });
    prop_oneof![
        3 => (scope_strategy(own), selector_strategy())
            .prop_map(|(namespaces, pods)| Peer::Endpoints(EndpointSelector { namespaces, pods })),
        1 => cidr,
        1 => network,
    ]
}

/// Pod IPs the generated endpoints may have.
const POD_IPS: [&str; 3] = ["10.1.7.1", "10.1.7.2", "10.2.0.9"];

fn rule_strategy(kind: PolicyKind, own: Option<&'static str>) -> impl Strategy<Value = Rule> {
    let actions: Vec<Action> = match kind {
        PolicyKind::NetworkPolicy => vec![Action::Allow],
        PolicyKind::AdminNetworkPolicy
        | PolicyKind::AdminClusterNetworkPolicy
        | PolicyKind::BaselineClusterNetworkPolicy => {
            vec![Action::Allow, Action::Deny, Action::Pass]
        }
        _ => vec![Action::Allow, Action::Deny],
    };
    let any_peer = kind == PolicyKind::NetworkPolicy;
    (
        any::<bool>(),
        proptest::sample::select(actions),
        proptest::option::weighted(
            if any_peer { 0.8 } else { 0.999 },
            proptest::collection::vec(peer_strategy(own), 0..3),
        ),
        proptest::collection::vec(port_spec_strategy(), 1..3),
    )
        .prop_map(|(ingress, action, peers, ports)| {
            let direction = if ingress {
                Direction::Ingress
            } else {
                Direction::Egress
            };
            Rule::new(direction, action, peers, ports)
        })
}

/// A namespaced policy of `kind` in one of the namespaces, named `{prefix}-{ns}`.
fn namespaced_policy_strategy(
    kind: PolicyKind,
    prefix: &'static str,
) -> impl Strategy<Value = Policy> {
    (0..NAMESPACES.len()).prop_flat_map(move |n| {
        let ns = NAMESPACES[n];
        (
            selector_strategy(),
            any::<(bool, bool)>(),
            proptest::collection::vec(rule_strategy(kind, Some(ns)), 0..3),
        )
            .prop_map(move |(pods, (i, e), rules)| Policy {
                kind,
                name: format!("{prefix}-{ns}"),
                namespace: Some(ns.to_owned()),
                priority: 0,
                subject: EndpointSelector {
                    namespaces: NamespaceScope::Named(ns.to_owned()),
                    pods,
                },
                isolates: [i, e],
                rules,
                origin: Origin::none(),
            })
    })
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        3 => namespaced_policy_strategy(PolicyKind::NetworkPolicy, "np"),
        2 => cluster_scoped_strategy(PolicyKind::AdminNetworkPolicy, "anp"),
        2 => namespaced_policy_strategy(PolicyKind::CiliumNetworkPolicy, "cnp"),
        2 => cluster_scoped_strategy(PolicyKind::AdminClusterNetworkPolicy, "ccnp"),
        1 => cluster_scoped_strategy(PolicyKind::BaselineClusterNetworkPolicy, "bcnp"),
        1 => (scope_strategy(None), selector_strategy(), proptest::collection::vec(rule_strategy(PolicyKind::BaselineAdminNetworkPolicy, None), 0..3))
            .prop_map(|(namespaces, pods, rules)| Policy {
                kind: PolicyKind::BaselineAdminNetworkPolicy,
                name: "default".into(),
                namespace: None,
                priority: 0,
                subject: EndpointSelector { namespaces, pods },
                isolates: [false, false],
                rules,
                origin: Origin::none(),
            }),
    ]
}

/// An AdminNetworkPolicy, or a ClusterNetworkPolicy of one tier, named
/// `{prefix}-{priority}`, with a priority that may tie with the others' (and
/// the BaselineAdminNetworkPolicy's 0).
fn cluster_scoped_strategy(
    kind: PolicyKind,
    prefix: &'static str,
) -> impl Strategy<Value = Policy> {
    (
        0..4i32,
        scope_strategy(None),
        selector_strategy(),
        proptest::collection::vec(rule_strategy(kind, None), 0..4),
    )
        .prop_map(move |(priority, namespaces, pods, rules)| Policy {
            kind,
            name: format!("{prefix}-{priority}"),
            namespace: None,
            priority,
            subject: EndpointSelector { namespaces, pods },
            isolates: [false, false],
            rules,
            origin: Origin::none(),
        })
}

fn endpoint_strategy() -> impl Strategy<Value = Endpoint> {
    (
        0..NAMESPACES.len(),
        labels_strategy(),
        any::<(bool, bool)>(),
        proptest::option::of(0..POD_IPS.len()),
    )
        .prop_map(|(n, labels, (http, dns), ip)| {
            let mut ports = Vec::new();
            if http {
                ports.push(NamedPort {
                    name: "http".into(),
                    protocol: Protocol::Tcp,
                    port: 8080,
                });
            }
            if dns {
                ports.push(NamedPort {
                    name: "dns".into(),
                    protocol: Protocol::Udp,
                    port: 53,
                });
            }
            Endpoint {
                namespace: NAMESPACES[n].to_owned(),
                name: String::new(),
                kind: "Pod".into(),
                labels,
                ports,
                ips: ip
                    .map(|i| POD_IPS[i].parse().unwrap())
                    .into_iter()
                    .collect(),
                pods: 1,
                origin: Origin::none(),
            }
        })
}

fn cluster_strategy() -> impl Strategy<Value = Catalog> {
    (
        proptest::collection::vec(labels_strategy(), NAMESPACES.len()),
        proptest::collection::vec(endpoint_strategy(), 1..7),
        proptest::collection::vec(policy_strategy(), 0..6),
    )
        .prop_map(|(ns_labels, endpoints, policies)| {
            let mut inventory = Inventory::default();
            for (name, labels) in NAMESPACES.iter().zip(ns_labels) {
                inventory.add_namespace(name, labels);
            }
            for (i, mut e) in endpoints.into_iter().enumerate() {
                e.name = format!("w{i}");
                inventory.add_endpoint(e);
            }
            // BaselineAdminNetworkPolicy is a singleton.
            let mut seen_banp = false;
            let policies = policies
                .into_iter()
                .filter(|p| {
                    let banp = p.kind == PolicyKind::BaselineAdminNetworkPolicy;
                    let keep = !(banp && seen_banp);
                    seen_banp |= banp;
                    keep
                })
                .collect();
            Catalog {
                inventory,
                policies: PolicySet { policies },
            }
        })
}

/// The naive reference's view of a flow end.
fn naive(c: &Catalog, src: &End, dst: &End, proto: Protocol, port: u16) -> bool {
    palisade_network::naive::allowed(c, src, dst, proto, port)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    #[test]
    fn resolver_agrees_with_the_naive_evaluator(catalog in cluster_strategy()) {
        let resolver = Resolver::new(catalog.clone());
        let matrix = resolver.matrix();
        let endpoints = &catalog.inventory.endpoints;
        let ips: Vec<IpAddr> = IPS.iter().map(|s| s.parse().unwrap()).collect();
        for (a, ea) in endpoints.iter().enumerate() {
            let ida = EndpointId(a as u32);
            for (b, eb) in endpoints.iter().enumerate() {
                let idb = EndpointId(b as u32);
                let cell = matrix.ports(resolver.identity_of(ida).unwrap(), resolver.identity_of(idb).unwrap());
                for &(proto, port) in &PORTS {
                    let expected = naive(&catalog, &End::Pod(ea), &End::Pod(eb), proto, port);
                    let flow = Flow { src: FlowEnd::Endpoint(ida), dst: FlowEnd::Endpoint(idb), protocol: proto, port };
                    let verdict = resolver.check(&flow);
                    prop_assert_eq!(verdict.allowed, expected, "check {} -> {} {}/{}: {}", ea, eb, proto, port, verdict);
                    prop_assert_eq!(cell.contains(proto, port), expected, "matrix {} -> {} {}/{}: {}", ea, eb, proto, port, cell);
                }
            }
            for ip in &ips {
                for &(proto, port) in &PORTS {
                    let out = resolver.check(&Flow { src: FlowEnd::Endpoint(ida), dst: FlowEnd::Ip(*ip), protocol: proto, port });
                    prop_assert_eq!(out.allowed, naive(&catalog, &End::Pod(ea), &End::Ip(*ip), proto, port), "{}", out);
                    let inn = resolver.check(&Flow { src: FlowEnd::Ip(*ip), dst: FlowEnd::Endpoint(ida), protocol: proto, port });
                    prop_assert_eq!(inn.allowed, naive(&catalog, &End::Ip(*ip), &End::Pod(ea), proto, port), "{}", inn);
                }
            }
        }
    }
}
