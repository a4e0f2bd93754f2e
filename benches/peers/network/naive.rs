//! The naive evaluator: no identities, no caches, every policy walked for
//! every decision. The same semantics as the differential test of
//! `palisade-network` (`tests/resolver_vs_naive.rs`), which checks the
//! resolver against it on random small clusters: admin tier in priority
//! order (Allow / Deny / Pass), then the namespaced tier (a matching deny
//! wins; an isolating policy needs a matching allow), then the baseline
//! tier. Peers are pods and IP blocks (what the generated clusters hold);
//! L7 rules allow at L4, as the resolver's verdict does (with a condition).

use std::net::IpAddr;

use palisade::network::Catalog;
use palisade::network::Endpoint;
use palisade::network::policy::{
    Action, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind, Rule, Tier,
};
use palisade::network::{NamedPort, Protocol};

/// One end of a flow, as the naive evaluator sees it.
pub enum End<'a> {
    /// A pod.
    Pod(&'a Endpoint),
    /// An address outside the cluster.
    Ip(IpAddr),
}

fn selects(c: &Catalog, sel: &EndpointSelector, e: &Endpoint) -> bool {
    let ns_ok = match &sel.namespaces {
        NamespaceScope::Named(n) => *n == e.namespace,
        NamespaceScope::Selector(s) => c
            .inventory
            .namespace(&e.namespace)
            .is_some_and(|ns| s.matches(&ns.labels)),
    };
    ns_ok && sel.pods.matches(&e.labels)
}

fn peer_matches(c: &Catalog, rule: &Rule, peer: &End<'_>) -> bool {
    let Some(peers) = &rule.peers else {
        return true;
    };
    peers.iter().any(|p| match (p, peer) {
        (Peer::Endpoints(sel), End::Pod(e)) => selects(c, sel, e),
        (Peer::Cidr(block), End::Ip(ip)) => block.contains(ip),
        _ => false,
    })
}

struct Query<'a> {
    direction: Direction,
    subject: &'a Endpoint,
    peer: &'a End<'a>,
    dst_ports: &'a [NamedPort],
    protocol: Protocol,
    port: u16,
}

fn direction_allows(c: &Catalog, q: &Query<'_>) -> bool {
    let policies = &c.policies.policies;
    let matching = |r: &Rule| {
        r.direction == q.direction
            && peer_matches(c, r, q.peer)
            && r.ports
                .iter()
                .any(|s| s.contains(q.protocol, q.port, q.dst_ports))
    };
    let mut admin: Vec<(usize, &Policy)> = policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.tier() == Tier::Admin && selects(c, &p.subject, q.subject))
        .collect();
    admin.sort_by(|a, b| (a.1.priority, &a.1.name, a.0).cmp(&(b.1.priority, &b.1.name, b.0)));
    'admin: for (_, p) in admin {
        for r in &p.rules {
            if matching(r) {
                match r.action {
                    Action::Allow => return true,
                    Action::Deny => return false,
                    Action::Pass => break 'admin,
                }
            }
        }
    }
    let namespaced: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.tier() == Tier::Namespaced && selects(c, &p.subject, q.subject))
        .collect();
    let counts = |p: &Policy| p.kind != PolicyKind::NetworkPolicy || p.isolates(q.direction);
    let any_rule = |action: Action| {
        namespaced
            .iter()
            .filter(|p| counts(p))
            .any(|p| p.rules.iter().any(|r| r.action == action && matching(r)))
    };
    if any_rule(Action::Deny) {
        return false;
    }
    if namespaced.iter().any(|p| p.isolates(q.direction)) {
        return any_rule(Action::Allow);
    }
    for p in policies
        .iter()
        .filter(|p| p.tier() == Tier::Baseline && selects(c, &p.subject, q.subject))
    {
        for r in &p.rules {
            if matching(r) {
                return r.action == Action::Allow;
            }
        }
    }
    true
}

/// Whether `src` may reach `dst` on `protocol`/`port`.
pub fn allowed(c: &Catalog, src: &End<'_>, dst: &End<'_>, protocol: Protocol, port: u16) -> bool {
    let dst_ports: &[NamedPort] = match dst {
        End::Pod(e) => &e.ports,
        End::Ip(_) => &[],
    };
    let egress = match src {
        End::Pod(s) => direction_allows(
            c,
            &Query {
                direction: Direction::Egress,
                subject: s,
                peer: dst,
                dst_ports,
                protocol,
                port,
            },
        ),
        End::Ip(_) => true,
    };
    egress
        && match dst {
            End::Pod(d) => direction_allows(
                c,
                &Query {
                    direction: Direction::Ingress,
                    subject: d,
                    peer: src,
                    dst_ports,
                    protocol,
                    port,
                },
            ),
            End::Ip(_) => true,
        }
}
