//! One model for every policy language: Kubernetes `NetworkPolicy`,
//! `AdminNetworkPolicy`, `BaselineAdminNetworkPolicy` (and, through the same
//! types, Cilium's policies).
//!
//! A [`Policy`] selects its *subject* endpoints and holds ordered [`Rule`]s,
//! each with a direction, an action, the peers it matches and the ports.
//! Policies sit in one of three [`Tier`]s, evaluated in order for each
//! direction and each port:
//!
//! 1. [`Tier::Admin`] (AdminNetworkPolicy, ClusterNetworkPolicy tier
//!    `Admin`): by ascending priority (the two kinds interleaved; equal
//!    priorities by name), rules in order, the first matching rule decides
//!    (`Allow`/`Accept`, `Deny`, or `Pass` to the next tier);
//! 2. [`Tier::Namespaced`] (NetworkPolicy, Cilium): an endpoint selected in a
//!    direction is *isolated*: only what some rule allows passes, and a
//!    matching `Deny` rule (Cilium) wins over every allow;
//! 3. [`Tier::Baseline`] (BaselineAdminNetworkPolicy, priority 0, and
//!    ClusterNetworkPolicy tier `Baseline`), only when no tier-2 policy
//!    isolates the endpoint: by ascending priority, the first matching rule
//!    decides (`Pass` skips the rest of the tier: allowed by default);
//!
//! and what nothing decided is allowed.

mod admin;
mod cilium;
mod kubernetes;

use std::fmt;

use ipnet::IpNet;
use palisade_core::Manifest;

use crate::issues::{Issues, Origin};
use crate::labels::Selector;
use crate::ports::{PortSpec, Protocol};

pub use admin::{parse_admin_policy, parse_cluster_network_policy};
pub use cilium::parse_cilium_policy;
pub use kubernetes::parse_network_policy;

/// The policy languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// `networking.k8s.io/v1` `NetworkPolicy`.
    NetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` `AdminNetworkPolicy`.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` `BaselineAdminNetworkPolicy`.
    BaselineAdminNetworkPolicy,
    /// `cilium.io/v2` `CiliumNetworkPolicy`.
    CiliumNetworkPolicy,
    /// `cilium.io/v2` `CiliumClusterwideNetworkPolicy`.
    CiliumClusterwideNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha2` `ClusterNetworkPolicy` of tier
    /// `Admin`.
    AdminClusterNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha2` `ClusterNetworkPolicy` of tier
    /// `Baseline`.
    BaselineClusterNetworkPolicy,
}

impl PolicyKind {
    /// The tier policies of this kind sit in.
    pub fn tier(self) -> Tier {
        match self {
            PolicyKind::AdminNetworkPolicy | PolicyKind::AdminClusterNetworkPolicy => Tier::Admin,
            PolicyKind::NetworkPolicy
            | PolicyKind::CiliumNetworkPolicy
            | PolicyKind::CiliumClusterwideNetworkPolicy => Tier::Namespaced,
            PolicyKind::BaselineAdminNetworkPolicy | PolicyKind::BaselineClusterNetworkPolicy => {
                Tier::Baseline
            }
        }
    }

    /// `true` for the two tiers of `ClusterNetworkPolicy`.
    pub fn is_cluster_network_policy(self) -> bool {
        matches!(
            self,
            PolicyKind::AdminClusterNetworkPolicy | PolicyKind::BaselineClusterNetworkPolicy
        )
    }
}

palisade_core::names! {
    /// The Kubernetes kind.
    PolicyKind {
        NetworkPolicy => "NetworkPolicy",
        AdminNetworkPolicy => "AdminNetworkPolicy",
        BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        CiliumNetworkPolicy => "CiliumNetworkPolicy",
        CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
        AdminClusterNetworkPolicy => "ClusterNetworkPolicy",
        BaselineClusterNetworkPolicy => "ClusterNetworkPolicy",
    }
}

/// Where a policy sits in the evaluation order (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// AdminNetworkPolicy and ClusterNetworkPolicy tier `Admin`: first
    /// match by priority.
    Admin,
    /// NetworkPolicy and Cilium: isolation, union of allows, deny wins.
    Namespaced,
    /// BaselineAdminNetworkPolicy and ClusterNetworkPolicy tier `Baseline`:
    /// first match by priority, when nothing isolates.
    Baseline,
}

/// The direction of traffic, seen from the policy's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Traffic into the subject.
    Ingress,
    /// Traffic out of the subject.
    Egress,
}

impl Direction {
    /// Both directions.
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// `0` for ingress, `1` for egress (array index).
    pub fn index(self) -> usize {
        match self {
            Direction::Ingress => 0,
            Direction::Egress => 1,
        }
    }
}

palisade_core::names! {
    /// `ingress` or `egress`.
    Direction {
        Ingress => "ingress",
        Egress => "egress",
    }
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// The traffic is allowed.
    Allow,
    /// The traffic is denied.
    Deny,
    /// (AdminNetworkPolicy) the decision is passed to the next tier.
    Pass,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        })
    }
}

/// Which namespaces an endpoint selector looks in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamespaceScope {
    /// One namespace, by name (a NetworkPolicy's own namespace).
    Named(String),
    /// Namespaces whose labels the selector selects.
    Selector(Selector),
}

/// Selects endpoints: a namespace scope and a pod label selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointSelector {
    /// The namespaces to look in.
    pub namespaces: NamespaceScope,
    /// The pods' labels.
    pub pods: Selector,
}

impl fmt::Display for EndpointSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespaces {
            NamespaceScope::Named(ns) => write!(f, "pods {} in namespace {ns}", self.pods),
            NamespaceScope::Selector(s) if s.is_everything() => {
                write!(f, "pods {} in every namespace", self.pods)
            }
            NamespaceScope::Selector(s) => {
                write!(f, "pods {} in namespaces {s}", self.pods)
            }
        }
    }
}

/// An IP block: a CIDR minus some CIDRs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CidrBlock {
    /// The block.
    pub cidr: IpNet,
    /// Parts of it that are left out.
    pub except: Vec<IpNet>,
}

impl CidrBlock {
    /// Whether the block holds `ip`.
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.cidr.contains(ip) && !self.except.iter().any(|e| e.contains(ip))
    }

    /// The IPv4 addresses of the block as sorted, disjoint, inclusive
    /// `u32` intervals (empty for IPv6 blocks).
    pub fn ipv4_intervals(&self) -> Vec<(u32, u32)> {
        let IpNet::V4(net) = self.cidr else {
            return Vec::new();
        };
        let mut pieces = vec![(u32::from(net.network()), u32::from(net.broadcast()))];
        for except in &self.except {
            let IpNet::V4(e) = except else { continue };
            let (es, ee) = (u32::from(e.network()), u32::from(e.broadcast()));
            let mut next = Vec::with_capacity(pieces.len() + 1);
            for (s, t) in pieces {
                if ee < s || es > t {
                    next.push((s, t));
                    continue;
                }
                if es > s {
                    next.push((s, es - 1));
                }
                if ee < t {
                    next.push((ee + 1, t));
                }
            }
            pieces = next;
        }
        pieces
    }

    /// Whether every address of the IPv4 interval `lo..=hi` is in the block.
    pub fn covers_v4(&self, lo: u32, hi: u32) -> bool {
        self.ipv4_intervals()
            .iter()
            .any(|&(s, e)| s <= lo && hi <= e)
    }
}

impl fmt::Display for CidrBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cidr)?;
        if !self.except.is_empty() {
            let except: Vec<String> = self.except.iter().map(ToString::to_string).collect();
            write!(f, " except {}", except.join(", "))?;
        }
        Ok(())
    }
}

/// A reserved Cilium identity that is not a pod: the peers `fromEntities`
/// / `toEntities` name besides `world`, `cluster` and `all` (which Palisade
/// expands into pods, IP blocks and these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// The local node (`host`).
    Host,
    /// Other nodes of the cluster (`remote-node`).
    RemoteNode,
    /// The Kubernetes API server (`kube-apiserver`).
    KubeApiserver,
    /// Cilium health endpoints (`health`).
    Health,
    /// Endpoints whose identity is not resolved yet (`init`).
    Init,
    /// Cilium's ingress proxy (`ingress`).
    Ingress,
    /// Pods not managed by Cilium (`unmanaged`).
    Unmanaged,
}

impl Entity {
    /// Every reserved entity (what `cluster` holds besides the pods).
    pub const ALL: [Entity; 7] = [
        Entity::Host,
        Entity::RemoteNode,
        Entity::KubeApiserver,
        Entity::Health,
        Entity::Init,
        Entity::Ingress,
        Entity::Unmanaged,
    ];

    /// Parses Cilium's name of a reserved entity.
    pub fn parse(text: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

palisade_core::names! {
    /// Cilium's name.
    Entity {
        Host => "host",
        RemoteNode => "remote-node",
        KubeApiserver => "kube-apiserver",
        Health => "health",
        Init => "init",
        Ingress => "ingress",
        Unmanaged => "unmanaged",
    }
}

/// One peer of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    /// Endpoints in the cluster.
    Endpoints(EndpointSelector),
    /// Addresses outside the cluster (ipBlock, ANP `networks`, Cilium CIDR
    /// rules and `world`). In this model an IP block never selects pods
    /// (netpol-analyzer's model, and Cilium's for CIDR rules).
    Cidr(CidrBlock),
    /// ClusterNetworkPolicy `networks`: addresses outside the cluster *and*
    /// the pods (and nodes) whose IP falls in the block, as the v1alpha2 API
    /// says ("cluster-internal traffic will be checked against the rule as
    /// well"). A pod is in the block when one of the pod IPs its manifests
    /// give (`status.podIP`) is; endpoints without IPs are in no block.
    Network(CidrBlock),
    /// ClusterNetworkPolicy `nodes`: the addresses (`status.addresses`) of
    /// the inventory's nodes whose labels the selector selects.
    Nodes(Selector),
    /// A reserved Cilium entity (`host`, `remote-node`, ...).
    Entity(Entity),
    /// A DNS name (`matchName`) or pattern (`matchPattern`, `*` wildcards)
    /// of Cilium's `toFQDNs`: an address outside the cluster matches it only
    /// on the condition that it is an address of such a name.
    Fqdn(String),
    /// The backends of a Kubernetes service (Cilium `toServices`), resolved
    /// against the inventory's services when the resolver is built.
    Service {
        /// The service's namespace.
        namespace: String,
        /// The service's name.
        name: String,
    },
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Endpoints(e) => e.fmt(f),
            Peer::Cidr(c) => write!(f, "ipBlock {c}"),
            Peer::Network(c) => write!(f, "network {c}"),
            Peer::Nodes(s) => write!(f, "nodes {s}"),
            Peer::Entity(e) => write!(f, "entity {e}"),
            Peer::Fqdn(name) => write!(f, "FQDN `{name}`"),
            Peer::Service { namespace, name } => write!(f, "service {namespace}/{name}"),
        }
    }
}

/// Layer-7 conditions of a Cilium rule (`toPorts[].rules`): the ports are
/// open only for traffic that matches them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct L7 {
    /// The protocol: `http`, `dns` or `kafka`.
    pub protocol: String,
    /// The allowed requests, one description each (`GET /public/.*`).
    pub allowed: Vec<String>,
}

impl fmt::Display for L7 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.protocol, self.allowed.join("; "))
    }
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The direction, seen from the subject.
    pub direction: Direction,
    /// What the rule does when it matches.
    pub action: Action,
    /// The rule's name (ANP `name`), if any.
    pub name: Option<String>,
    /// The field path of the rule (`spec.ingress[0]`).
    pub path: String,
    /// The peers; `None` matches every peer (a NetworkPolicy rule without `from`/`to`).
    pub peers: Option<Vec<Peer>>,
    /// The ports; a rule without ports lists [`PortSpec::Any`].
    pub ports: Vec<PortSpec>,
    /// Layer-7 conditions (Cilium `rules`), if any.
    pub l7: Option<L7>,
}

impl Rule {
    /// A rule built in code: no name, no field path, no L7 conditions.
    pub fn new(
        direction: Direction,
        action: Action,
        peers: Option<Vec<Peer>>,
        ports: Vec<PortSpec>,
    ) -> Rule {
        Rule {
            direction,
            action,
            name: None,
            path: String::new(),
            peers,
            ports,
            l7: None,
        }
    }

    /// `true` when some port spec is a named port.
    pub fn has_named_ports(&self) -> bool {
        self.ports.iter().any(PortSpec::is_named)
    }
}

/// One policy in the common model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The language.
    pub kind: PolicyKind,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` for namespaced policies.
    pub namespace: Option<String>,
    /// ANP priority (lower first); 0 for other kinds.
    pub priority: i32,
    /// The endpoints the policy applies to.
    pub subject: EndpointSelector,
    /// Per direction (see [`Direction::index`]): does selecting an endpoint
    /// isolate it (NetworkPolicy `policyTypes`)?
    pub isolates: [bool; 2],
    /// The rules, in the order written.
    pub rules: Vec<Rule>,
    /// Where it was defined.
    pub origin: Origin,
}

impl Policy {
    /// The tier the policy sits in.
    pub fn tier(&self) -> Tier {
        self.kind.tier()
    }

    /// `Kind ns/name` or `Kind name`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// Whether the policy isolates its subject in `direction`.
    pub fn isolates(&self, direction: Direction) -> bool {
        self.isolates
            .get(direction.index())
            .copied()
            .unwrap_or(false)
    }
}

/// Every policy read from a set of manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySet {
    /// The policies in the order read.
    pub policies: Vec<Policy>,
}

/// The policy kinds Palisade reads, with their API group (objects of
/// another group are not policies; an empty group takes every object of
/// the kind) and the one version read.
const KNOWN: [(&str, &str, &str); 6] = [
    (
        "NetworkPolicy",
        "networking.k8s.io/",
        "networking.k8s.io/v1",
    ),
    (
        "AdminNetworkPolicy",
        "policy.networking.k8s.io/",
        "policy.networking.k8s.io/v1alpha1",
    ),
    (
        "BaselineAdminNetworkPolicy",
        "policy.networking.k8s.io/",
        "policy.networking.k8s.io/v1alpha1",
    ),
    (
        "ClusterNetworkPolicy",
        "policy.networking.k8s.io/",
        "policy.networking.k8s.io/v1alpha2",
    ),
    ("CiliumNetworkPolicy", "", "cilium.io/v2"),
    ("CiliumClusterwideNetworkPolicy", "", "cilium.io/v2"),
];

/// Policy kinds that are recognized as network policies but not modelled
/// yet; they are reported rather than skipped.
const NOT_MODELLED: [&str; 4] = [
    "MultiNetworkPolicy",
    "CiliumCIDRGroup",
    "CiliumEgressGatewayPolicy",
    "CiliumLocalRedirectPolicy",
];

impl PolicySet {
    /// Reads every policy in `manifests`; other kinds are skipped. Fields
    /// that are not understood go to `issues` with the object's position.
    pub fn from_manifests(manifests: &[Manifest], issues: &mut Issues) -> PolicySet {
        let mut set = PolicySet::default();
        for m in manifests {
            let Some(kind) = m.kind() else { continue };
            let origin = Origin::of(m);
            if set.policies.len() >= crate::limits::MAX_POLICIES {
                let limit = crate::limits::MAX_POLICIES;
                let message =
                    format!("more than {limit} policies; this one and the rest are not applied");
                issues.invalid(&origin, "kind", &message);
                break;
            }
            let api = m.api_version().unwrap_or_default();
            if NOT_MODELLED.contains(&kind) {
                issues.unsupported(
                    &origin,
                    "kind",
                    &format!("`{kind}` is not modelled yet; its rules are not applied"),
                );
                continue;
            }
            let Some(&(_, group, version)) = KNOWN.iter().find(|(k, _, _)| *k == kind) else {
                continue;
            };
            if !api.starts_with(group) {
                continue;
            }
            if api != version {
                let message = format!("`{api}` is not supported (expected {version})");
                issues.unsupported(&origin, "apiVersion", &message);
                continue;
            }
            match kind {
                "NetworkPolicy" => set
                    .policies
                    .extend(parse_network_policy(m, &origin, issues)),
                "ClusterNetworkPolicy" => set
                    .policies
                    .extend(parse_cluster_network_policy(m, &origin, issues)),
                "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy" => {
                    let kind = if kind == "AdminNetworkPolicy" {
                        PolicyKind::AdminNetworkPolicy
                    } else {
                        PolicyKind::BaselineAdminNetworkPolicy
                    };
                    set.policies
                        .extend(parse_admin_policy(m, kind, &origin, issues));
                }
                _ => set.policies.extend(parse_cilium_policy(m, &origin, issues)),
            }
        }
        set
    }

    /// Adds a policy (for programs that build policies in code).
    pub fn push(&mut self, policy: Policy) {
        self.policies.push(policy);
    }
}

/// The port specs of the list under `key` (`ports`, `protocols`) of `rule` (at field path `path`):
/// [`PortSpec::Any`] when the list is absent, null or empty; otherwise
/// what `entry` reads from each entry (at its field path), whose keys must
/// be among `keys`; `entry` reports what it cannot read and gives `None`.
pub(crate) fn parse_port_list(
    rule: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    path: &str,
    keys: &[&str],
    entry: fn(
        &str,
        &serde_json::Map<String, serde_json::Value>,
        &Origin,
        &mut Issues,
    ) -> Option<PortSpec>,
    origin: &Origin,
    issues: &mut Issues,
) -> Vec<PortSpec> {
    let path = format!("{path}.{key}");
    let Some(entries) = port_entries(rule.get(key), &path, origin, issues) else {
        return vec![PortSpec::Any];
    };
    let mut out = Vec::new();
    for (at, object) in entries {
        crate::issues::check_keys(object, keys, &at, origin, issues);
        out.extend(entry(&at, object, origin, issues));
    }
    out
}

/// The entries of a rule's `ports` list, with each entry's field path.
/// `None` when the list is absent, null or empty (every port); a `ports`
/// that is not a sequence, or an entry that is not a mapping, is reported
/// and allows nothing.
fn port_entries<'a>(
    ports: Option<&'a serde_json::Value>,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Vec<(String, &'a serde_json::Map<String, serde_json::Value>)>> {
    use serde_json::Value as Json;
    let list = match ports {
        None | Some(Json::Null) => return None,
        Some(Json::Array(list)) if list.is_empty() => return None,
        Some(Json::Array(list)) => list,
        Some(_) => {
            let key = path.rsplit('.').next().unwrap_or(path);
            issues.invalid(origin, path, &format!("`{key}` must be a sequence"));
            return Some(Vec::new());
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match p.as_object() {
            Some(object) => out.push((at, object)),
            None => issues.invalid(origin, &at, "a port must be a mapping"),
        }
    }
    Some(out)
}

/// The `protocol` field (`value`) of the port entry at `at`: TCP when absent
/// or null; `None`, reported at `{at}.protocol`, when it is not TCP, UDP or
/// SCTP.
pub(crate) fn parse_protocol(
    value: Option<&serde_json::Value>,
    at: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Protocol> {
    use serde_json::Value as Json;
    match value {
        None | Some(Json::Null) => Some(Protocol::Tcp),
        Some(p) => {
            let parsed = p.as_str().and_then(Protocol::parse);
            if parsed.is_none() {
                issues.invalid(
                    origin,
                    &format!("{at}.protocol"),
                    "expected TCP, UDP or SCTP",
                );
            }
            parsed
        }
    }
}

/// A port number in 1-65535, if `value` is one.
pub(crate) fn port_number(value: Option<&serde_json::Value>) -> Option<u16> {
    value
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&n| n > 0)
}

/// Parses a CIDR (`10.0.0.0/8`); host bits are cleared.
pub(crate) fn parse_cidr(text: &str) -> Option<IpNet> {
    text.trim().parse::<IpNet>().ok().map(|n| n.trunc())
}
