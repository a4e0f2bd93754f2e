//! The naive reference evaluator: no identities, no caches, every policy
//! walked for every decision. It is what the resolver is checked against
//! (`tests/resolver_vs_naive.rs` on random clusters) and what the
//! `benches/peers` network runner measures it against; one copy serves
//! both. Not part of the API (hidden from the docs).
//!
//! The semantics are the resolver's, written the plain way: the admin tier
//! in priority order (then name), each rule in order, the first match
//! decides (`Allow`, `Deny`, `Pass` to the next tier); then the namespaced
//! tier (a matching deny wins; an isolating policy needs a matching allow);
//! then, for endpoints nothing isolates, the baseline tier in priority order
//! (first match decides; `Pass` leaves it to the default); else allowed.
//! Peers are pods (by selector, and by IP for ClusterNetworkPolicy
//! `networks`), IP blocks, and node addresses; L7 rules and FQDN peers are
//! not evaluated (the generated clusters hold none).

use std::net::IpAddr;

use crate::inventory::Endpoint;
use crate::policy::{
    Action, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind,
};
use crate::policy::{Rule, Tier};
use crate::ports::{NamedPort, Protocol};
use crate::resolver::Catalog;

/// One end of a flow, as the naive evaluator sees it.
#[derive(Debug, Clone, Copy)]
pub enum End<'a> {
    /// A pod (an endpoint of the inventory).
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
        (Peer::Cidr(block) | Peer::Network(block), End::Ip(ip)) => block.contains(ip),
        (Peer::Network(block), End::Pod(e)) => e.ips.iter().any(|ip| block.contains(ip)),
        (Peer::Nodes(selector), End::Ip(ip)) => c
            .inventory
            .nodes
            .iter()
            .any(|n| selector.matches(&n.labels) && n.addresses.contains(ip)),
        _ => false,
    })
}

/// One direction's question.
struct Query<'a> {
    direction: Direction,
    subject: &'a Endpoint,
    peer: &'a End<'a>,
    dst_ports: &'a [NamedPort],
    protocol: Protocol,
    port: u16,
}

/// The policies of `tier` that select the subject, in evaluation order.
fn tier_policies<'c>(c: &'c Catalog, tier: Tier, subject: &Endpoint) -> Vec<&'c Policy> {
    let mut found: Vec<(usize, &Policy)> = c
        .policies
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.tier() == tier && selects(c, &p.subject, subject))
        .collect();
    found.sort_by(|a, b| (a.1.priority, &a.1.name, a.0).cmp(&(b.1.priority, &b.1.name, b.0)));
    found.into_iter().map(|(_, p)| p).collect()
}

/// The first matching rule of the ordered policies.
fn first_match(policies: &[&Policy], matching: impl Fn(&Rule) -> bool) -> Option<Action> {
    policies
        .iter()
        .flat_map(|p| &p.rules)
        .find(|r| matching(r))
        .map(|r| r.action)
}

fn direction_allows(c: &Catalog, q: &Query<'_>) -> bool {
    let matching = |r: &Rule| {
        r.direction == q.direction
            && peer_matches(c, r, q.peer)
            && r.ports
                .iter()
                .any(|s| s.contains(q.protocol, q.port, q.dst_ports))
    };
    match first_match(&tier_policies(c, Tier::Admin, q.subject), matching) {
        Some(Action::Allow) => return true,
        Some(Action::Deny) => return false,
        Some(Action::Pass) | None => {}
    }
    // NetworkPolicy rules count when their policy isolates the direction,
    // Cilium rules always; a matching deny wins.
    let namespaced = tier_policies(c, Tier::Namespaced, q.subject);
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
    first_match(&tier_policies(c, Tier::Baseline, q.subject), matching) != Some(Action::Deny)
}

/// Whether `src` may reach `dst` on `protocol`/`port`: the source's egress
/// and the destination's ingress both allow it.
pub fn allowed(c: &Catalog, src: &End<'_>, dst: &End<'_>, protocol: Protocol, port: u16) -> bool {
    let dst_ports: &[NamedPort] = match dst {
        End::Pod(e) => &e.ports,
        End::Ip(_) => &[],
    };
    let side = |direction: Direction, subject: &End<'_>, peer: &End<'_>| match subject {
        End::Pod(s) => direction_allows(
            c,
            &Query {
                direction,
                subject: s,
                peer,
                dst_ports,
                protocol,
                port,
            },
        ),
        End::Ip(_) => true,
    };
    side(Direction::Egress, src, dst) && side(Direction::Ingress, dst, src)
}
