//! The tiered evaluation of one direction: admin (first match by priority),
//! namespaced (isolation, union of allows, deny wins), baseline (first
//! match), default allow — for one port (with reasons) or for every port at
//! once (as a port set).

use std::net::IpAddr;

use super::verdict::{Reason, RuleRef};
use super::{CompiledRule, IdentityId, Resolver};
use crate::policy::{Action, Direction, Tier};
use crate::ports::{NamedPort, Ports, Protocol};

/// The other end of the traffic, seen from the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerRef {
    /// An identity in the cluster.
    Identity(IdentityId),
    /// One address outside the cluster.
    Ip(IpAddr),
    /// An inclusive range of IPv4 addresses outside the cluster (each rule
    /// matches all of it or none of it).
    V4Range(u32, u32),
}

/// Who allowed a direction's ports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// A rule allowed (some of) the ports.
    Rule(RuleRef),
    /// Nothing isolates the endpoint in this direction and no admin or
    /// baseline rule decided: allowed by default.
    Default,
}

/// What one direction allows toward one peer: the ports and who allowed them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The allowed ports.
    pub ports: Ports,
    /// The rules (or the default) that allowed them.
    pub grants: Vec<Grant>,
}

impl CompiledRule {
    #[inline]
    pub(crate) fn matches_peer(&self, resolver: &Resolver, peer: PeerRef) -> bool {
        if self.any_peer {
            return true;
        }
        match peer {
            PeerRef::Identity(id) => self
                .peers
                .and_then(|p| resolver.selectors.get(p))
                .is_some_and(|set| set.contains(id.index())),
            PeerRef::Ip(ip) => self.cidrs.iter().any(|c| c.contains(&ip)),
            PeerRef::V4Range(lo, hi) => self.v4.iter().any(|&(s, e)| s <= lo && hi <= e),
        }
    }

    #[inline]
    fn matches_port(&self, protocol: Protocol, port: u16, named: &[NamedPort]) -> bool {
        self.ports.iter().any(|p| p.contains(protocol, port, named))
    }

    fn resolve_ports(&self, named: &[NamedPort]) -> Ports {
        match &self.fixed_ports {
            Some(p) => p.clone(),
            None => self
                .ports
                .iter()
                .fold(Ports::none(), |acc, p| acc.union(&p.resolve(named))),
        }
    }
}

impl Resolver {
    /// The destination's named ports for `subject` in `direction` toward `peer`.
    pub(crate) fn destination_ports(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef,
    ) -> &[NamedPort] {
        match (direction, peer) {
            (Direction::Ingress, _) => self.named_ports(subject),
            (Direction::Egress, PeerRef::Identity(id)) => self.named_ports(id),
            (Direction::Egress, _) => &[],
        }
    }

    /// Decides one port in one direction, appending the reasons.
    pub(crate) fn decide_port(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef,
        protocol: Protocol,
        port: u16,
        reasons: &mut Vec<Reason>,
    ) -> bool {
        let named = self.destination_ports(direction, subject, peer);
        let list = self.rule_list(subject, direction);
        let rule = |i: &u32| self.rules.get(*i as usize);
        let mut rest = list.iter().filter_map(rule).peekable();
        // Tier 1: admin, first match.
        while let Some(r) = rest.next_if(|r| r.tier == Tier::Admin) {
            if r.matches_peer(self, peer) && r.matches_port(protocol, port, named) {
                reasons.push(Reason::Rule {
                    direction,
                    action: r.action,
                    rule: r.id,
                });
                match r.action {
                    Action::Allow => return true,
                    Action::Deny => return false,
                    Action::Pass => {
                        while rest.next_if(|r| r.tier == Tier::Admin).is_some() {}
                        break;
                    }
                }
            }
        }
        // Tier 2: namespaced, when the subject is isolated.
        if self.isolated(subject, direction) {
            let start = reasons.len();
            let mut allowed = false;
            while let Some(r) = rest.next_if(|r| r.tier == Tier::Namespaced) {
                if r.matches_peer(self, peer) && r.matches_port(protocol, port, named) {
                    match r.action {
                        Action::Deny => {
                            reasons.truncate(start);
                            reasons.push(Reason::Rule {
                                direction,
                                action: Action::Deny,
                                rule: r.id,
                            });
                            return false;
                        }
                        Action::Allow | Action::Pass => {
                            allowed = true;
                            reasons.push(Reason::Rule {
                                direction,
                                action: Action::Allow,
                                rule: r.id,
                            });
                        }
                    }
                }
            }
            if !allowed {
                reasons.push(Reason::Isolated {
                    direction,
                    policies: self
                        .isolated_by
                        .get(direction.index())
                        .and_then(|v| v.get(subject.index()))
                        .cloned()
                        .unwrap_or_else(|| std::sync::Arc::from(Vec::new())),
                });
            }
            return allowed;
        }
        // Tier 3: baseline, first match.
        for r in rest.filter(|r| r.tier == Tier::Baseline) {
            if r.matches_peer(self, peer) && r.matches_port(protocol, port, named) {
                reasons.push(Reason::Rule {
                    direction,
                    action: r.action,
                    rule: r.id,
                });
                return r.action == Action::Allow;
            }
        }
        reasons.push(Reason::NoPolicy { direction });
        true
    }

    /// The ports `identity` allows in `direction` with the IPv4 addresses
    /// `lo..=hi` outside the cluster (as `u32`s), when every IP block of the
    /// policies holds all of the range or none of it.
    pub fn external_ports(
        &self,
        direction: Direction,
        identity: IdentityId,
        lo: u32,
        hi: u32,
    ) -> Ports {
        self.direction_ports(direction, identity, PeerRef::V4Range(lo, hi))
            .ports
    }

    /// Every port one direction allows toward `peer`, with who allowed them.
    pub(crate) fn direction_ports(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef,
    ) -> Outcome {
        let list = self.rule_list(subject, direction);
        self.direction_ports_masked(direction, subject, peer, list, |_, r| {
            r.matches_peer(self, peer)
        })
    }

    /// [`Resolver::direction_ports`] with the peer test given (the matrix
    /// passes a precomputed match mask).
    pub(crate) fn direction_ports_masked(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef,
        list: &[u32],
        mut matches: impl FnMut(usize, &CompiledRule) -> bool,
    ) -> Outcome {
        let named = self.destination_ports(direction, subject, peer);
        let mut remaining = Ports::all();
        let mut allowed = Ports::none();
        let mut passed = Ports::none();
        let mut grants = Vec::new();
        let rules = list
            .iter()
            .filter_map(|&i| self.rules.get(i as usize))
            .enumerate();
        let mut namespaced_allow = Ports::none();
        let mut namespaced_deny = Ports::none();
        let mut namespaced_grants = Vec::new();
        let mut baseline = Vec::new();
        for (position, r) in rules {
            match r.tier {
                Tier::Admin => {
                    if remaining.is_empty() || !matches(position, r) {
                        continue;
                    }
                    let hit = r.resolve_ports(named).intersect(&remaining);
                    if hit.is_empty() {
                        continue;
                    }
                    remaining = remaining.subtract(&hit);
                    match r.action {
                        Action::Allow => {
                            allowed = allowed.union(&hit);
                            grants.push(Grant::Rule(r.id));
                        }
                        Action::Pass => passed = passed.union(&hit),
                        Action::Deny => {}
                    }
                }
                Tier::Namespaced => {
                    if !matches(position, r) {
                        continue;
                    }
                    let ports = r.resolve_ports(named);
                    match r.action {
                        Action::Deny => namespaced_deny = namespaced_deny.union(&ports),
                        Action::Allow | Action::Pass => {
                            namespaced_allow = namespaced_allow.union(&ports);
                            namespaced_grants.push((r.id, ports));
                        }
                    }
                }
                Tier::Baseline => {
                    if matches(position, r) {
                        baseline.push(r);
                    }
                }
            }
        }
        let lower = remaining.union(&passed);
        if !lower.is_empty() {
            if self.isolated(subject, direction) {
                let effective = namespaced_allow.subtract(&namespaced_deny);
                let hit = lower.intersect(&effective);
                if !hit.is_empty() {
                    allowed = allowed.union(&hit);
                    for (id, ports) in namespaced_grants {
                        if !ports.intersect(&hit).is_empty() {
                            grants.push(Grant::Rule(id));
                        }
                    }
                }
            } else {
                let mut rest = lower;
                for r in baseline {
                    if rest.is_empty() {
                        break;
                    }
                    let hit = r.resolve_ports(named).intersect(&rest);
                    if hit.is_empty() {
                        continue;
                    }
                    rest = rest.subtract(&hit);
                    if r.action == Action::Allow {
                        allowed = allowed.union(&hit);
                        grants.push(Grant::Rule(r.id));
                    }
                }
                if !rest.is_empty() {
                    allowed = allowed.union(&rest);
                    grants.push(Grant::Default);
                }
            }
        }
        Outcome {
            ports: allowed,
            grants,
        }
    }
}
