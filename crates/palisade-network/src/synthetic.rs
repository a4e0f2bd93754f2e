//! Generated clusters of any size, for benchmarks and load tests:
//! deterministic (same sizes, same cluster), with a realistic mix of
//! policies.
//!
//! Each namespace holds `apps` applications of `pods_per_app` standalone
//! pods (labels `app`, `tier`; named ports `http` 8080/TCP and `metrics`
//! 9090/TCP). The policies, in this order until `policies` are made:
//!
//! - one default-deny ingress NetworkPolicy per namespace;
//! - per namespace, "app-k accepts app-(k-1) on `http`" NetworkPolicies;
//! - egress NetworkPolicies toward other teams' namespaces and an IP block,
//!   every third one a CiliumNetworkPolicy instead (a deny from dev
//!   namespaces, an L7 allow to the world, no default deny);
//! - AdminNetworkPolicies (Deny / Pass / Allow on port ranges);
//! - one BaselineAdminNetworkPolicy.

use crate::inventory::{Endpoint, Inventory};
use crate::issues::Origin;
use crate::labels::{Labels, Operator, Requirement, Selector};
use crate::policy::{
    Action, CidrBlock, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind,
    PolicySet, Rule,
};
use crate::ports::{NamedPort, PortRange, PortSpec, Protocol};
use crate::resolver::Catalog;

/// The sizes of a generated cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Namespaces.
    pub namespaces: usize,
    /// Applications per namespace (one identity each).
    pub apps: usize,
    /// Pods per application.
    pub pods_per_app: usize,
    /// Policies in total.
    pub policies: usize,
}

impl Sizes {
    /// The benchmark cluster of the network issue: 10,000 pods in 500
    /// namespaces with 2,000 policies.
    pub const ISSUE: Sizes = Sizes {
        namespaces: 500,
        apps: 5,
        pods_per_app: 4,
        policies: 2000,
    };
}

fn labels(pairs: &[(&str, String)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn net(text: &str) -> ipnet::IpNet {
    text.parse().unwrap_or_default()
}

fn ns_name(i: usize) -> String {
    format!("ns-{i:03}")
}

fn http() -> PortSpec {
    PortSpec::Named {
        name: "http".to_owned(),
        protocol: Some(Protocol::Tcp),
    }
}

/// TCP port `port` alone.
fn tcp(port: u16) -> PortSpec {
    PortSpec::Range(PortRange {
        protocol: Protocol::Tcp,
        start: port,
        end: port,
    })
}

/// Every IPv4 address.
fn world() -> Peer {
    Peer::Cidr(CidrBlock {
        cidr: net("0.0.0.0/0"),
        except: Vec::new(),
    })
}

/// An ingress rule for traffic from every pod of the `env=dev` namespaces
/// to TCP ports 1 to `end`.
fn from_dev_namespaces(action: Action, end: u16) -> Rule {
    Rule::new(
        Direction::Ingress,
        action,
        Some(vec![Peer::Endpoints(EndpointSelector {
            namespaces: NamespaceScope::Selector(Selector::from_labels([("env", "dev")])),
            pods: Selector::everything(),
        })]),
        vec![PortSpec::Range(PortRange {
            protocol: Protocol::Tcp,
            start: 1,
            end,
        })],
    )
}

/// Generates a cluster of `sizes`.
pub fn cluster(sizes: Sizes) -> Catalog {
    let mut inventory = Inventory::default();
    let teams = 20usize;
    for n in 0..sizes.namespaces {
        let ns = ns_name(n);
        inventory.add_namespace(
            &ns,
            labels(&[
                ("team", format!("t{}", n % teams)),
                ("env", if n % 3 == 0 { "dev" } else { "prod" }.to_owned()),
            ]),
        );
        for a in 0..sizes.apps {
            for p in 0..sizes.pods_per_app {
                inventory.add_endpoint(Endpoint {
                    namespace: ns.clone(),
                    name: format!("app-{a}-{p}"),
                    kind: "Pod".to_owned(),
                    labels: labels(&[
                        ("app", format!("app-{a}")),
                        (
                            "tier",
                            if a == 0 { "frontend" } else { "backend" }.to_owned(),
                        ),
                    ]),
                    ports: vec![
                        NamedPort {
                            name: "http".to_owned(),
                            protocol: Protocol::Tcp,
                            port: 8080,
                        },
                        NamedPort {
                            name: "metrics".to_owned(),
                            protocol: Protocol::Tcp,
                            port: 9090,
                        },
                    ],
                    ips: Vec::new(),
                    pods: 1,
                    origin: Origin::none(),
                });
            }
        }
    }
    let mut policies = Vec::with_capacity(sizes.policies);
    let np =
        |ns: &str, name: String, pods: Selector, isolates: [bool; 2], rules: Vec<Rule>| Policy {
            kind: PolicyKind::NetworkPolicy,
            name,
            namespace: Some(ns.to_owned()),
            priority: 0,
            subject: EndpointSelector {
                namespaces: NamespaceScope::Named(ns.to_owned()),
                pods,
            },
            isolates,
            rules,
            origin: Origin::none(),
        };
    let budget = sizes.policies.saturating_sub(1);
    // Default deny ingress, one per namespace.
    for n in 0..sizes.namespaces {
        if policies.len() >= budget / 4 {
            break;
        }
        let ns = ns_name(n);
        policies.push(np(
            &ns,
            "default-deny".into(),
            Selector::everything(),
            [true, false],
            Vec::new(),
        ));
    }
    // Chains: app-k accepts app-(k-1) on http; app-0 accepts other
    // namespaces of its team on 443 and a partner network.
    'chains: for n in 0..sizes.namespaces {
        let ns = ns_name(n);
        for a in 0..sizes.apps.min(3) {
            if policies.len() >= budget * 3 / 4 {
                break 'chains;
            }
            let subject = Selector::from_labels([("app", format!("app-{a}"))]);
            let rules = if a == 0 {
                vec![Rule::new(
                    Direction::Ingress,
                    Action::Allow,
                    Some(vec![
                        Peer::Endpoints(EndpointSelector {
                            namespaces: NamespaceScope::Selector(Selector::from_labels([(
                                "team",
                                format!("t{}", n % teams),
                            )])),
                            pods: Selector::everything(),
                        }),
                        Peer::Cidr(CidrBlock {
                            cidr: net("198.51.100.0/24"),
                            except: Vec::new(),
                        }),
                    ]),
                    vec![tcp(443)],
                )]
            } else {
                vec![Rule::new(
                    Direction::Ingress,
                    Action::Allow,
                    Some(vec![Peer::Endpoints(EndpointSelector {
                        namespaces: NamespaceScope::Named(ns.clone()),
                        pods: Selector::from_labels([("app", format!("app-{}", a - 1))]),
                    })]),
                    vec![http()],
                )]
            };
            policies.push(np(
                &ns,
                format!("allow-app-{a}"),
                subject,
                [true, false],
                rules,
            ));
        }
    }
    // Egress: backends may reach prod namespaces' backends and 10.0.0.0/8.
    let mut n = 0;
    while policies.len() < budget * 9 / 10 && sizes.namespaces > 0 {
        let ns = ns_name(n % sizes.namespaces);
        if n % 3 == 2 {
            // A Cilium policy: no default deny, a deny from dev namespaces
            // on low ports, an L7 allow to the world.
            policies.push(Policy {
                kind: PolicyKind::CiliumNetworkPolicy,
                name: format!("cilium-{n}"),
                namespace: Some(ns.clone()),
                priority: 0,
                subject: EndpointSelector {
                    namespaces: NamespaceScope::Named(ns.clone()),
                    pods: Selector::from_labels([(
                        "app",
                        format!("app-{}", n % sizes.apps.max(1)),
                    )]),
                },
                isolates: [false, false],
                rules: vec![
                    from_dev_namespaces(Action::Deny, 1024),
                    Rule {
                        l7: Some(crate::policy::L7 {
                            protocol: "http".to_owned(),
                            allowed: vec!["GET /".to_owned()],
                        }),
                        ..Rule::new(
                            Direction::Egress,
                            Action::Allow,
                            Some(vec![world()]),
                            vec![tcp(443)],
                        )
                    },
                ],
                origin: Origin::none(),
            });
            n += 1;
            continue;
        }
        let mut tier = Selector::from_labels([("tier", "backend")]);
        tier.match_expressions.push(Requirement {
            key: "app".to_owned(),
            operator: Operator::NotIn,
            values: vec![format!("app-{}", n % sizes.apps.max(1))],
        });
        policies.push(np(
            &ns,
            format!("egress-{n}"),
            tier,
            [false, true],
            vec![
                Rule::new(
                    Direction::Egress,
                    Action::Allow,
                    Some(vec![Peer::Endpoints(EndpointSelector {
                        namespaces: NamespaceScope::Selector(Selector::from_labels([(
                            "env", "prod",
                        )])),
                        pods: Selector::from_labels([("tier", "backend")]),
                    })]),
                    vec![
                        http(),
                        PortSpec::Range(PortRange {
                            protocol: Protocol::Tcp,
                            start: 9000,
                            end: 9100,
                        }),
                    ],
                ),
                Rule::new(
                    Direction::Egress,
                    Action::Allow,
                    Some(vec![Peer::Cidr(CidrBlock {
                        cidr: net("10.0.0.0/8"),
                        except: vec![net("10.96.0.0/12")],
                    })]),
                    vec![PortSpec::Protocol(Protocol::Udp)],
                ),
            ],
        ));
        n += 1;
    }
    // Admin policies.
    let mut k = 0usize;
    while policies.len() < budget {
        let team = format!("t{}", k % teams);
        let action = match k % 3 {
            0 => Action::Deny,
            1 => Action::Pass,
            _ => Action::Allow,
        };
        policies.push(Policy {
            kind: PolicyKind::AdminNetworkPolicy,
            name: format!("anp-{k}"),
            namespace: None,
            priority: i32::try_from(k % 1000).unwrap_or(0),
            subject: EndpointSelector {
                namespaces: NamespaceScope::Selector(Selector::from_labels([("team", team)])),
                pods: Selector::from_labels([("tier", "backend")]),
            },
            isolates: [false, false],
            rules: vec![
                from_dev_namespaces(action, u16::try_from(1000 + k % 9000).unwrap_or(1000)),
                Rule::new(
                    Direction::Egress,
                    Action::Allow,
                    Some(vec![Peer::Endpoints(EndpointSelector {
                        namespaces: NamespaceScope::Selector(Selector::from_labels([(
                            "team",
                            format!("t{}", (k + 1) % teams),
                        )])),
                        pods: Selector::from_labels([("app", "app-0")]),
                    })]),
                    vec![PortSpec::Any],
                ),
            ],
            origin: Origin::none(),
        });
        k += 1;
    }
    if sizes.policies > 0 {
        policies.push(Policy {
            kind: PolicyKind::BaselineAdminNetworkPolicy,
            name: "default".to_owned(),
            namespace: None,
            priority: 0,
            subject: EndpointSelector {
                namespaces: NamespaceScope::Selector(Selector::everything()),
                pods: Selector::everything(),
            },
            isolates: [false, false],
            rules: vec![Rule::new(
                Direction::Egress,
                Action::Deny,
                Some(vec![world()]),
                vec![tcp(25)],
            )],
            origin: Origin::none(),
        });
    }
    Catalog {
        inventory,
        policies: PolicySet { policies },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resolver;

    #[test]
    fn generated_sizes() {
        let sizes = Sizes {
            namespaces: 10,
            apps: 5,
            pods_per_app: 4,
            policies: 40,
        };
        let catalog = cluster(sizes);
        assert_eq!(catalog.inventory.endpoints.len(), 200);
        assert_eq!(catalog.inventory.namespaces.len(), 10);
        assert_eq!(catalog.policies.policies.len(), 40);
        let resolver = Resolver::new(catalog);
        assert_eq!(resolver.identities().len(), 50);
        let matrix = resolver.matrix();
        assert!(matrix.allowed_pairs() > 0);
        assert!(matrix.allowed_pairs() < 50 * 50);
    }
}
