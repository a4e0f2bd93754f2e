//! `check(flow)`: one flow, a verdict, and the reasons.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use palisade_core::{Finding, FlowRef, Layer, Location, NetworkVerdict, Subject};

use super::peer::PeerRef;
use super::{Catalog, Resolver};
use crate::inventory::EndpointId;
use crate::policy::{Action, Direction, Entity, L7};
use crate::ports::Protocol;

/// A rule: the policy's index in the [`PolicySet`](crate::policy::PolicySet)
/// and the rule's index in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    /// Index of the policy.
    pub policy: u32,
    /// Index of the rule in the policy.
    pub rule: u32,
}

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowEnd {
    /// An endpoint of the inventory.
    Endpoint(EndpointId),
    /// An address outside the cluster.
    Ip(IpAddr),
    /// A reserved Cilium entity: the host, a remote node, the API server...
    Entity(Entity),
}

/// A flow to check: source, destination, protocol and destination port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    /// Where it starts.
    pub src: FlowEnd,
    /// Where it goes.
    pub dst: FlowEnd,
    /// The protocol.
    pub protocol: Protocol,
    /// The destination port.
    pub port: u16,
}

/// Why a direction allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A rule matched and decided (`Allow`, `Deny`, or `Pass` to the next tier).
    Rule {
        /// The direction.
        direction: Direction,
        /// What the rule did.
        action: Action,
        /// The rule.
        rule: RuleRef,
    },
    /// Policies isolate the endpoint in this direction and none of their
    /// rules allows the flow.
    Isolated {
        /// The direction.
        direction: Direction,
        /// The isolating policies (indices).
        policies: Arc<[u32]>,
    },
    /// No policy selects the endpoint in this direction: allowed by default.
    NoPolicy {
        /// The direction.
        direction: Direction,
    },
    /// This side of the flow is outside the cluster (or a reserved entity);
    /// no policy applies there.
    External {
        /// The direction.
        direction: Direction,
    },
}

impl Reason {
    /// The direction the reason is about.
    pub fn direction(&self) -> Direction {
        match self {
            Reason::Rule { direction, .. }
            | Reason::Isolated { direction, .. }
            | Reason::NoPolicy { direction }
            | Reason::External { direction } => *direction,
        }
    }
}

/// A condition an allowed flow depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Allowed only for the layer-7 requests the rule lists.
    L7 {
        /// The rule.
        rule: RuleRef,
        /// What it allows.
        l7: L7,
    },
    /// Allowed only if the destination address is an address of one of the
    /// names (`toFQDNs`).
    Fqdn {
        /// The rule.
        rule: RuleRef,
        /// The names and patterns.
        names: Vec<String>,
    },
}

/// The verdict on one flow, with its reasons.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `true` when both ends allow the flow.
    pub allowed: bool,
    /// Whether the source's egress allowed it.
    pub egress_allowed: bool,
    /// Whether the destination's ingress allowed it.
    pub ingress_allowed: bool,
    /// The reasons: egress side first, then ingress side.
    pub because: Vec<Reason>,
    /// When allowed: the conditions it depends on (empty: unconditionally).
    pub conditions: Vec<Condition>,
    /// The flow.
    pub flow: Flow,
    catalog: Arc<Catalog>,
}

impl Verdict {
    /// The flow's ends and port, for people.
    pub fn flow_ref(&self) -> FlowRef {
        FlowRef {
            from: end_name(&self.catalog, self.flow.src),
            to: end_name(&self.catalog, self.flow.dst),
            port: Some(self.flow.port),
            protocol: Some(self.flow.protocol.as_str().to_owned()),
        }
    }

    /// The reasons, one sentence each, then the conditions, each with
    /// where the rules and policies it names are written
    /// (`file:line:column`, in parentheses).
    pub fn explanation(&self) -> Vec<String> {
        self.explained().iter().map(ToString::to_string).collect()
    }

    /// The reasons, then the conditions, each as a sentence without
    /// positions and the positions of the rules or policies it names
    /// apart (the form JSON output gives).
    pub fn explained(&self) -> Vec<Explained> {
        let mut lines: Vec<Explained> = self
            .because
            .iter()
            .map(|r| describe(&self.catalog, r))
            .collect();
        if self.allowed {
            for c in &self.conditions {
                let (text, rule) = match c {
                    Condition::L7 { rule, l7 } => (
                        format!(
                            "condition: allowed only for these {} requests: {}",
                            l7.protocol.to_uppercase(),
                            l7.allowed.join("; "),
                        ),
                        *rule,
                    ),
                    Condition::Fqdn { rule, names } => (
                        format!(
                            "condition: allowed only if the address is one of {}",
                            names
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        *rule,
                    ),
                };
                let named = self.catalog.describe_rule(rule);
                let location = self.catalog.rule_location(rule);
                lines.push(Explained::rule(
                    format!("{text} ({named})"),
                    named,
                    location,
                ));
            }
        }
        lines
    }

    /// `true` when allowed with no condition.
    pub fn unconditionally_allowed(&self) -> bool {
        self.allowed && self.conditions.is_empty()
    }
}

fn end_name(catalog: &Catalog, end: FlowEnd) -> String {
    match end {
        FlowEnd::Endpoint(id) => catalog
            .inventory
            .endpoint(id)
            .map_or_else(|| format!("endpoint {}", id.0), ToString::to_string),
        FlowEnd::Ip(ip) => ip.to_string(),
        FlowEnd::Entity(e) => format!("entity:{e}"),
    }
}

/// One reason or condition of a verdict: a sentence, and the rules or
/// policies it names with where each is written.
///
/// Serialized (the JSON of `palisade network check` and of the C ABI) as
/// `{"text": .., "names": [{"name": .., "file": .., "line": .., "column": ..}]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explained {
    /// The sentence, without positions.
    pub text: String,
    /// Each rule or policy the sentence names, and where it is written.
    pub names: Vec<Named>,
    /// The sentence for people, positions in parentheses.
    #[serde(skip)]
    display: String,
}

/// A rule or policy a reason names (as the sentence names it), and where
/// it is written when it came from a file: a rule at its field
/// (`spec.ingress[0]`), a policy at its start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Named {
    /// `NetworkPolicy data/db-from-api spec.ingress[0]`.
    pub name: String,
    /// Where (`file`, `line` and `column` in JSON).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Explained {
    /// A sentence naming nothing.
    fn plain(text: String) -> Explained {
        Explained {
            display: text.clone(),
            text,
            names: Vec::new(),
        }
    }

    /// A sentence naming one rule; its position goes after the sentence.
    fn rule(text: String, named: String, location: Option<Location>) -> Explained {
        Explained {
            display: format!("{text}{}", in_parentheses(location.as_ref())),
            text,
            names: vec![Named {
                name: named,
                location,
            }],
        }
    }
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// ` (file:line:column)`, or nothing.
fn in_parentheses(location: Option<&Location>) -> String {
    location.map(|l| format!(" ({l})")).unwrap_or_default()
}

/// The sentence and names of one reason.
pub(crate) fn describe(catalog: &Catalog, reason: &Reason) -> Explained {
    match reason {
        Reason::Rule {
            direction,
            action,
            rule,
        } => {
            let verb = match action {
                Action::Allow => "allowed by",
                Action::Deny => "denied by",
                Action::Pass => "passed on to NetworkPolicies by",
            };
            let named = catalog.describe_rule(*rule);
            Explained::rule(
                format!("{direction}: {verb} {named}"),
                named,
                catalog.rule_location(*rule),
            )
        }
        Reason::Isolated {
            direction,
            policies,
        } => {
            let names: Vec<Named> = policies
                .iter()
                .filter_map(|&p| catalog.policies.policies.get(p as usize))
                .map(|p| Named {
                    name: p.display_name(),
                    location: p.origin.location.clone(),
                })
                .collect();
            let sentence = |names: Vec<String>| {
                format!(
                    "{direction}: denied: isolated by {} and no rule allows it",
                    names.join(", ")
                )
            };
            Explained {
                text: sentence(names.iter().map(|n| n.name.clone()).collect()),
                display: sentence(
                    names
                        .iter()
                        .map(|n| format!("{}{}", n.name, in_parentheses(n.location.as_ref())))
                        .collect(),
                ),
                names,
            }
        }
        Reason::NoPolicy { direction } => Explained::plain(format!(
            "{direction}: allowed: no policy selects the endpoint in this direction"
        )),
        Reason::External { direction } => Explained::plain(format!(
            "{direction}: not applicable: that end is outside the cluster"
        )),
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.allowed { "allowed" } else { "denied" };
        write!(f, "{}: {word}", self.flow_ref())?;
        for line in self.explanation() {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

impl palisade_core::Verdict for Verdict {
    fn passed(&self) -> bool {
        self.allowed
    }

    fn findings(&self) -> Vec<Finding> {
        let verdict = if self.allowed {
            NetworkVerdict::Allowed
        } else {
            NetworkVerdict::Denied
        };
        let policy = self
            .because
            .iter()
            .find_map(|r| match r {
                Reason::Rule { rule, .. } => self.catalog.policy(*rule).map(|p| p.display_name()),
                Reason::Isolated { policies, .. } => policies
                    .first()
                    .and_then(|&p| self.catalog.policies.policies.get(p as usize))
                    .map(|p| p.display_name()),
                _ => None,
            })
            .unwrap_or_else(|| "default".to_owned());
        let word = if self.allowed { "allowed" } else { "denied" };
        vec![
            Finding::new(
                Layer::Network,
                policy,
                verdict.severity(),
                format!("flow {word}: {}", self.explanation().join("; ")),
            )
            .with_subject(Subject::Flow(self.flow_ref())),
        ]
    }
}

impl Resolver {
    /// Checks one flow: both ends must allow it (egress of the source,
    /// ingress of the destination); ends outside the cluster have no policy.
    pub fn check(&self, flow: &Flow) -> Verdict {
        self.check_peers(flow, self.peer_ref(flow.src), self.peer_ref(flow.dst))
    }

    /// [`Resolver::check`] for a flow to an address outside the cluster
    /// whose DNS names are known (`names`, as Hubble records them): a
    /// `toFQDNs` or `domainNames` peer decides by whether it covers one of
    /// the names, instead of allowing on that condition.
    pub fn check_named(&self, flow: &Flow, names: &[String]) -> Verdict {
        let dst = match flow.dst {
            FlowEnd::Ip(ip) if !names.is_empty() => Some(PeerRef::Named(ip, names)),
            end => self.peer_ref(end),
        };
        self.check_peers(flow, self.peer_ref(flow.src), dst)
    }

    fn check_peers(
        &self,
        flow: &Flow,
        src: Option<PeerRef<'_>>,
        dst: Option<PeerRef<'_>>,
    ) -> Verdict {
        let mut because = Vec::with_capacity(2);
        let mut conditions = Vec::new();
        // One direction is allowed when its subject end (`from`) is not a
        // workload (nothing here isolates it) or when the policies of that
        // workload let the other end (`to`) through.
        let mut allowed = |direction, from: Option<PeerRef<'_>>, to: Option<PeerRef<'_>>| match from
        {
            Some(PeerRef::Identity(subject)) => to.is_some_and(|peer| {
                self.decide_port(
                    direction,
                    subject,
                    peer,
                    flow.protocol,
                    flow.port,
                    &mut because,
                    &mut conditions,
                )
            }),
            _ => {
                because.push(Reason::External { direction });
                true
            }
        };
        let egress_allowed = allowed(Direction::Egress, src, dst);
        let ingress_allowed = allowed(Direction::Ingress, dst, src);
        Verdict {
            allowed: egress_allowed && ingress_allowed,
            egress_allowed,
            ingress_allowed,
            because,
            conditions,
            flow: *flow,
            catalog: Arc::clone(&self.catalog),
        }
    }

    pub(crate) fn peer_ref(&self, end: FlowEnd) -> Option<PeerRef<'static>> {
        match end {
            FlowEnd::Endpoint(e) => self.identity_of(e).map(PeerRef::Identity),
            FlowEnd::Ip(ip) => Some(PeerRef::Ip(ip)),
            FlowEnd::Entity(e) => Some(PeerRef::Entity(e)),
        }
    }
}
