//! The tiered evaluation of one direction: admin (first match by priority),
//! namespaced (isolation, union of allows, deny wins), baseline (first
//! match), default allow — for one port (with reasons) or for every port at
//! once (as a port set).

use super::peer::PeerRef;
use super::verdict::{Condition, Reason, RuleRef};
use super::{CompiledRule, IdentityId, Resolver};
use crate::policy::{Action, Direction, Tier};
use crate::ports::{NamedPort, Ports, Protocol};

/// How a rule matches a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerMatch {
    /// It does not.
    No,
    /// It does.
    Yes,
    /// Only if the address is one of a `toFQDNs` name.
    IfFqdn,
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

/// A rule's data `check` reads first, inline in the per-identity list, so
/// that rules which cannot match are rejected without loading the rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hot {
    /// Index of the compiled rule.
    pub(crate) rule: u32,
    pub(crate) tier: Tier,
    /// No `from`/`to`: every peer.
    any_peer: bool,
    /// Only endpoint selectors (no IP blocks, entities or FQDNs).
    only_endpoints: bool,
    /// The selector-cache set of the endpoint peers (`u32::MAX`: none).
    peers: u32,
    /// Up to two port ranges, when the ports are that simple.
    ranges: Option<[(Protocol, u16, u16); 2]>,
}

impl Hot {
    pub(crate) fn new(index: u32, r: &CompiledRule) -> Hot {
        let ranges = r.fixed_ports.as_ref().and_then(|p| match p.ranges() {
            [a] => Some([(a.protocol, a.start, a.end), (a.protocol, a.start, a.end)]),
            [a, b] => Some([(a.protocol, a.start, a.end), (b.protocol, b.start, b.end)]),
            _ => None,
        });
        Hot {
            rule: index,
            tier: r.tier,
            any_peer: r.any_peer,
            only_endpoints: r.cidrs.is_empty() && r.entities.is_empty() && r.fqdns.is_empty(),
            peers: r
                .peers
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(u32::MAX),
            ranges,
        }
    }

    /// `false` when the rule surely does not match (a sound filter: `true`
    /// means "look at the rule").
    #[inline]
    fn may_match(
        &self,
        resolver: &Resolver,
        peer: PeerRef<'_>,
        protocol: Protocol,
        port: u16,
    ) -> bool {
        if let Some(ranges) = &self.ranges
            && !ranges
                .iter()
                .any(|&(p, lo, hi)| p == protocol && lo <= port && port <= hi)
        {
            return false;
        }
        if self.any_peer || !self.only_endpoints {
            return true;
        }
        match peer {
            PeerRef::Identity(id) => resolver
                .selectors
                .get(self.peers as usize)
                .is_some_and(|set| set.contains(id.index())),
            _ => false,
        }
    }
}

impl CompiledRule {
    /// Whether the rule matches `peer` for sure (FQDN conditions count as no).
    #[inline]
    pub(crate) fn matches_peer(&self, resolver: &Resolver, peer: PeerRef<'_>) -> bool {
        self.peer_match(resolver, peer) == PeerMatch::Yes
    }

    #[inline]
    pub(crate) fn peer_match(&self, resolver: &Resolver, peer: PeerRef<'_>) -> PeerMatch {
        if self.any_peer {
            return PeerMatch::Yes;
        }
        let yes = match peer {
            PeerRef::Identity(id) => self
                .peers
                .and_then(|p| resolver.selectors.get(p))
                .is_some_and(|set| set.contains(id.index())),
            PeerRef::Ip(ip) => self.cidrs.iter().any(|c| c.contains(&ip)),
            PeerRef::Named(ip, names) => {
                self.cidrs.iter().any(|c| c.contains(&ip))
                    || self
                        .fqdns
                        .iter()
                        .any(|f| names.iter().any(|n| crate::domains::covers(f, n)))
            }
            PeerRef::V4Range(lo, hi) => self.v4.iter().any(|&(s, e)| s <= lo && hi <= e),
            PeerRef::Entity(e) => self.entities.contains(&e),
            PeerRef::Domain(name) => {
                self.v4.iter().any(|&(s, e)| s == 0 && e == u32::MAX)
                    || self.fqdns.iter().any(|f| crate::domains::covers(f, name))
            }
        };
        if yes {
            PeerMatch::Yes
        } else if matches!(peer, PeerRef::Ip(_)) && !self.fqdns.is_empty() {
            PeerMatch::IfFqdn
        } else {
            PeerMatch::No
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

/// One port's question to a tier.
struct Decide<'a> {
    direction: Direction,
    peer: PeerRef<'a>,
    protocol: Protocol,
    port: u16,
    /// The destination's named ports.
    named: &'a [NamedPort],
}

/// A first-match tier (admin, baseline) applied to a set of ports: each
/// port is decided by the first rule (in order) whose ports hold it.
struct FirstMatch {
    /// The ports `Allow` rules decided.
    allowed: Ports,
    /// The ports `Pass` rules passed to the next tier.
    passed: Ports,
    /// The ports no rule matched.
    rest: Ports,
    /// The rules that allowed some port.
    grants: Vec<Grant>,
}

impl FirstMatch {
    /// Applies `rules` (each already known to match the peer) to `open`.
    fn over(rules: &[&CompiledRule], named: &[NamedPort], open: Ports) -> FirstMatch {
        let mut out = FirstMatch {
            allowed: Ports::none(),
            passed: Ports::none(),
            rest: open,
            grants: Vec::new(),
        };
        for r in rules {
            if out.rest.is_empty() {
                break;
            }
            let hit = r.resolve_ports(named).intersect(&out.rest);
            if hit.is_empty() {
                continue;
            }
            out.rest = out.rest.subtract(&hit);
            match r.action {
                Action::Allow => {
                    out.allowed = out.allowed.union(&hit);
                    out.grants.push(Grant::Rule(r.id));
                }
                Action::Pass => out.passed = out.passed.union(&hit),
                Action::Deny => {}
            }
        }
        out
    }
}

impl Resolver {
    /// The destination's named ports for `subject` in `direction` toward `peer`.
    pub(crate) fn destination_ports(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef<'_>,
    ) -> &[NamedPort] {
        match (direction, peer) {
            (Direction::Ingress, _) => self.named_ports(subject),
            (Direction::Egress, PeerRef::Identity(id)) => self.named_ports(id),
            (Direction::Egress, _) => &[],
        }
    }

    /// Decides one port in one direction, appending the reasons and the
    /// conditions (L7 rules, FQDNs) an allow depends on.
    #[expect(
        clippy::too_many_arguments,
        reason = "the hot path passes the flow apart, without a struct"
    )]
    pub(crate) fn decide_port(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef<'_>,
        protocol: Protocol,
        port: u16,
        reasons: &mut Vec<Reason>,
        conditions: &mut Vec<Condition>,
    ) -> bool {
        let named = self.destination_ports(direction, subject, peer);
        let list = self.hot_list(subject, direction);
        let admin_end = list.partition_point(|h| h.tier == Tier::Admin);
        let namespaced_end = list.partition_point(|h| h.tier <= Tier::Namespaced);
        let rules = |range: std::ops::Range<usize>| {
            list.get(range)
                .unwrap_or_default()
                .iter()
                .filter(move |h| h.may_match(self, peer, protocol, port))
                .filter_map(|h| self.rules.get(h.rule as usize))
        };
        let decide = Decide {
            direction,
            peer,
            protocol,
            port,
            named,
        };
        // Tier 1: admin, first match.
        if let Some(allowed) =
            self.first_match_port(rules(0..admin_end), &decide, reasons, conditions)
        {
            return allowed;
        }
        // Tier 2: a matching deny wins; an isolated subject needs an allow.
        for r in rules(admin_end..namespaced_end) {
            if r.action == Action::Deny
                && r.peer_match(self, peer) == PeerMatch::Yes
                && r.matches_port(protocol, port, named)
            {
                reasons.push(Reason::Rule {
                    direction,
                    action: Action::Deny,
                    rule: r.id,
                });
                return false;
            }
        }
        if self.isolated(subject, direction) {
            let start = reasons.len();
            let mut unconditional = false;
            let mut conditional = Vec::new();
            for r in rules(admin_end..namespaced_end) {
                if r.action == Action::Deny || !r.matches_port(protocol, port, named) {
                    continue;
                }
                let how = r.peer_match(self, peer);
                if how == PeerMatch::No {
                    continue;
                }
                reasons.push(Reason::Rule {
                    direction,
                    action: Action::Allow,
                    rule: r.id,
                });
                match (how, &r.l7) {
                    (PeerMatch::Yes, None) => unconditional = true,
                    (PeerMatch::IfFqdn, _) => conditional.push(Condition::Fqdn {
                        rule: r.id,
                        names: r.fqdns.clone(),
                    }),
                    (_, Some(l7)) => conditional.push(Condition::L7 {
                        rule: r.id,
                        l7: l7.clone(),
                    }),
                    (PeerMatch::No, None) => {}
                }
            }
            if unconditional {
                return true;
            }
            if !conditional.is_empty() {
                conditions.extend(conditional);
                return true;
            }
            reasons.truncate(start);
            reasons.push(Reason::Isolated {
                direction,
                policies: self
                    .isolated_by
                    .get(direction.index())
                    .and_then(|v| v.get(subject.index()))
                    .cloned()
                    .unwrap_or_else(|| std::sync::Arc::from(Vec::new())),
            });
            return false;
        }
        // Tier 3: baseline, first match; `Pass` leaves it to the default.
        let baseline = rules(namespaced_end..list.len());
        if let Some(allowed) = self.first_match_port(baseline, &decide, reasons, conditions) {
            return allowed;
        }
        reasons.push(Reason::NoPolicy { direction });
        true
    }

    /// A first-match tier for one port: `Some(allowed)` when a rule decided
    /// (an `Accept` of `domainNames` allows on that condition), `None` when
    /// a rule passed or none matched.
    fn first_match_port<'r>(
        &self,
        rules: impl Iterator<Item = &'r CompiledRule>,
        q: &Decide<'_>,
        reasons: &mut Vec<Reason>,
        conditions: &mut Vec<Condition>,
    ) -> Option<bool> {
        for r in rules {
            if !r.matches_port(q.protocol, q.port, q.named) {
                continue;
            }
            let how = r.peer_match(self, q.peer);
            let fqdn = how == PeerMatch::IfFqdn && r.action == Action::Allow;
            if how != PeerMatch::Yes && !fqdn {
                continue;
            }
            reasons.push(Reason::Rule {
                direction: q.direction,
                action: r.action,
                rule: r.id,
            });
            if fqdn {
                conditions.push(Condition::Fqdn {
                    rule: r.id,
                    names: r.fqdns.clone(),
                });
            }
            return match r.action {
                Action::Allow => Some(true),
                Action::Deny => Some(false),
                Action::Pass => None,
            };
        }
        None
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

    /// Like [`Resolver::external_ports`], with the rules that allowed them.
    pub fn external_outcome(
        &self,
        direction: Direction,
        identity: IdentityId,
        lo: u32,
        hi: u32,
    ) -> Outcome {
        self.direction_ports(direction, identity, PeerRef::V4Range(lo, hi))
    }

    /// Every port one direction allows toward `peer`, with who allowed them.
    pub(crate) fn direction_ports(
        &self,
        direction: Direction,
        subject: IdentityId,
        peer: PeerRef<'_>,
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
        peer: PeerRef<'_>,
        list: &[u32],
        mut matches: impl FnMut(usize, &CompiledRule) -> bool,
    ) -> Outcome {
        let named = self.destination_ports(direction, subject, peer);
        let rules = list
            .iter()
            .filter_map(|&i| self.rules.get(i as usize))
            .enumerate();
        let mut namespaced_allow = Ports::none();
        let mut namespaced_deny = Ports::none();
        let mut namespaced_grants = Vec::new();
        let mut admin = Vec::new();
        let mut baseline = Vec::new();
        for (position, r) in rules {
            if !matches(position, r) {
                continue;
            }
            match r.tier {
                Tier::Admin => admin.push(r),
                Tier::Namespaced => {
                    let ports = r.resolve_ports(named);
                    match r.action {
                        Action::Deny => namespaced_deny = namespaced_deny.union(&ports),
                        Action::Allow | Action::Pass => {
                            namespaced_allow = namespaced_allow.union(&ports);
                            namespaced_grants.push((r.id, ports));
                        }
                    }
                }
                Tier::Baseline => baseline.push(r),
            }
        }
        let FirstMatch {
            mut allowed,
            passed,
            rest,
            mut grants,
        } = FirstMatch::over(&admin, named, Ports::all());
        let lower = rest.union(&passed).subtract(&namespaced_deny);
        if !lower.is_empty() {
            if self.isolated(subject, direction) {
                let hit = lower.intersect(&namespaced_allow);
                if !hit.is_empty() {
                    allowed = allowed.union(&hit);
                    for (id, ports) in namespaced_grants {
                        if !ports.intersect(&hit).is_empty() {
                            grants.push(Grant::Rule(id));
                        }
                    }
                }
            } else {
                // Baseline: what it passes, and what it does not decide,
                // is allowed by default.
                let base = FirstMatch::over(&baseline, named, lower);
                allowed = allowed.union(&base.allowed);
                grants.extend(base.grants);
                let rest = base.rest.union(&base.passed);
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

impl Resolver {
    /// The ports `identity` may send to the domain `name` (or a Cilium
    /// `matchPattern`), whatever addresses it resolves to: what `toFQDNs`
    /// and `domainNames` peers covering it allow, and what rules holding
    /// every IPv4 address allow; narrower IP blocks are taken not to hold
    /// it. Every tier applies, as for any other peer.
    pub fn domain_ports(&self, identity: IdentityId, name: &str) -> Ports {
        self.direction_ports(Direction::Egress, identity, PeerRef::Domain(name))
            .ports
    }

    /// Whether `identity`'s egress allows one port to the domain `name`,
    /// with the reasons (see [`Resolver::domain_ports`]).
    pub fn check_domain(
        &self,
        identity: IdentityId,
        name: &str,
        protocol: Protocol,
        port: u16,
    ) -> (bool, Vec<super::Explained>) {
        let (mut reasons, mut conditions) = (Vec::new(), Vec::new());
        let peer = PeerRef::Domain(name);
        let allowed = self.decide_port(
            Direction::Egress,
            identity,
            peer,
            protocol,
            port,
            &mut reasons,
            &mut conditions,
        );
        let catalog = self.catalog();
        let explained = reasons
            .iter()
            .map(|r| super::verdict::describe(catalog, r))
            .collect();
        (allowed, explained)
    }
}
