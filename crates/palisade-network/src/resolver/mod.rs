//! The resolver: policies compiled against an inventory, ready to answer
//! "may A talk to B, and which rule says so" many times.
//!
//! Building it:
//!
//! 1. endpoints are grouped into **identities** by namespace + label set
//!    (as Cilium does) — and named-port table, since named ports resolve per
//!    destination;
//! 2. every distinct endpoint selector is evaluated **once** (the selector
//!    cache), namespace selectors once per namespace;
//! 3. every rule is compiled with the set of identities its peers select, and
//!    listed in the **per-identity rule maps** of the identities its policy
//!    applies to, in evaluation order (admin tier by priority, namespaced,
//!    baseline).
//!
//! Queries: [`Resolver::check`] (one flow, with reasons), [`Resolver::reachability`]
//! (one workload), [`Resolver::matrix`] (every identity pair) and
//! [`Resolver::graph`] (a `petgraph` graph whose edges carry the allowed
//! ports and the rules that allowed them).

mod evaluate;
mod matrix;
mod peer;
mod selectors;
mod verdict;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use palisade_core::Manifest;

use crate::inventory::{EndpointId, Inventory};
use crate::issues::Issues;
use crate::labels::Labels;
use crate::policy::{CidrBlock, Direction, Peer, Policy, PolicySet, Tier};
use crate::ports::{NamedPort, PortSpec, Ports};

pub use evaluate::{Grant, Outcome};
/// A set of identity ids, one bit each.
pub use fixedbitset::FixedBitSet as Bitset;
pub use matrix::{Edge, Matrix, Reachability};
pub use verdict::{Condition, Explained, Flow, FlowEnd, Named, Reason, RuleRef, Verdict};

use selectors::SelectorCache;

/// An inventory and the policies that apply to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// What runs.
    pub inventory: Inventory,
    /// The policies.
    pub policies: PolicySet,
}

impl Catalog {
    /// Reads inventory and policies from manifests; problems go to `issues`.
    pub fn from_manifests(manifests: &[Manifest], issues: &mut Issues) -> Catalog {
        let inventory = Inventory::from_manifests(manifests, issues);
        let policies = PolicySet::from_manifests(manifests, issues);
        Catalog {
            inventory,
            policies,
        }
    }

    /// The policy a rule reference points into.
    pub fn policy(&self, rule: RuleRef) -> Option<&Policy> {
        self.policies.policies.get(rule.policy as usize)
    }

    /// The rule a reference points to.
    pub fn rule(&self, rule: RuleRef) -> Option<&crate::policy::Rule> {
        self.policy(rule)?.rules.get(rule.rule as usize)
    }

    /// Where a rule is written: its field (`spec.ingress[0]`) in its
    /// policy's file, when the policy came from one.
    pub fn rule_location(&self, rule: RuleRef) -> Option<palisade_core::Location> {
        let policy = self.policy(rule)?;
        match self.rule(rule) {
            Some(r) => policy.origin.locate(&r.path),
            None => policy.origin.location.clone(),
        }
    }

    /// `Kind ns/name` of the policy and the rule's path or name, for people.
    pub fn describe_rule(&self, rule: RuleRef) -> String {
        match (self.policy(rule), self.rule(rule)) {
            (Some(p), Some(r)) => match &r.name {
                Some(name) => format!("{} rule `{name}` ({})", p.display_name(), r.path),
                None => format!("{} {}", p.display_name(), r.path),
            },
            _ => format!("rule {}:{}", rule.policy, rule.rule),
        }
    }
}

/// Index of an identity in [`Resolver::identities`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityId(pub u32);

impl IdentityId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Endpoints that no policy can tell apart: same namespace, same labels,
/// same named ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The namespace's name.
    pub namespace: String,
    /// The labels.
    pub labels: Labels,
    /// The named container ports.
    pub ports: Vec<NamedPort>,
    /// The endpoints with this identity.
    pub endpoints: Vec<EndpointId>,
}

/// A rule compiled against the inventory.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) id: RuleRef,
    pub(crate) tier: Tier,
    pub(crate) action: crate::policy::Action,
    /// Every peer matches (no `from`/`to`).
    pub(crate) any_peer: bool,
    /// Identities the endpoint peers select (union over peers), as an
    /// index into the selector cache's sets.
    pub(crate) peers: Option<usize>,
    /// IP blocks.
    pub(crate) cidrs: Vec<CidrBlock>,
    /// IPv4 addresses of the IP blocks, as sorted inclusive intervals.
    pub(crate) v4: Vec<(u32, u32)>,
    /// Reserved entities the rule matches.
    pub(crate) entities: Vec<crate::policy::Entity>,
    /// `toFQDNs` names and patterns.
    pub(crate) fqdns: Vec<String>,
    /// Layer-7 conditions.
    pub(crate) l7: Option<crate::policy::L7>,
    pub(crate) ports: Vec<PortSpec>,
    /// The ports when they do not depend on the destination (no named port).
    pub(crate) fixed_ports: Option<Ports>,
}

/// Policies compiled against an inventory. Immutable, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Resolver {
    catalog: Arc<Catalog>,
    identities: Vec<Identity>,
    endpoint_identity: Vec<IdentityId>,
    /// Distinct named-port tables; `port_table[identity]` indexes it.
    port_table: Vec<u32>,
    selectors: SelectorCache,
    rules: Vec<CompiledRule>,
    /// Per direction, per identity: the rules that apply, in evaluation order.
    rule_map: [Vec<Vec<u32>>; 2],
    /// The same lists with each rule's hot data inline, for `check`.
    hot_map: [Vec<Vec<evaluate::Hot>>; 2],
    /// Per direction, per identity: the tier-2 policies that isolate it.
    isolated_by: [Vec<Arc<[u32]>>; 2],
    /// ClusterNetworkPolicy `networks` blocks and the selector-cache set of
    /// the identities in each.
    network_sets: Vec<(CidrBlock, usize)>,
}

impl Resolver {
    /// Compiles `catalog`.
    pub fn new(catalog: Catalog) -> Resolver {
        Resolver::from_arc(Arc::new(catalog))
    }

    /// Reads manifests and compiles them; problems go to `issues`.
    pub fn from_manifests(manifests: &[Manifest], issues: &mut Issues) -> Resolver {
        Resolver::new(Catalog::from_manifests(manifests, issues))
    }

    /// Compiles a shared catalog.
    pub fn from_arc(catalog: Arc<Catalog>) -> Resolver {
        let inv = &catalog.inventory;
        // 1. Identities.
        let mut ns_index: HashMap<&str, usize> = HashMap::new();
        for (i, ns) in inv.namespaces.iter().enumerate() {
            ns_index.insert(ns.name.as_str(), i);
        }
        let mut tables: HashMap<&[NamedPort], u32> = HashMap::new();
        let mut port_tables: Vec<Vec<NamedPort>> = Vec::new();
        let mut by_key: HashMap<(&str, &Labels, u32, u32), IdentityId> = HashMap::new();
        let mut identities: Vec<Identity> = Vec::new();
        let mut port_table: Vec<u32> = Vec::new();
        let mut endpoint_identity = Vec::with_capacity(inv.endpoints.len());
        // ClusterNetworkPolicy `networks` select pods by IP: endpoints of one
        // label set in different blocks must be different identities.
        let networks = NetworkBlocks::new(&catalog);
        let mut identity_blocks: Vec<u32> = Vec::new();
        for (e, endpoint) in inv.endpoints.iter().enumerate() {
            let table = *tables.entry(endpoint.ports.as_slice()).or_insert_with(|| {
                port_tables.push(endpoint.ports.clone());
                u32::try_from(port_tables.len() - 1).unwrap_or(u32::MAX)
            });
            let blocks = networks.signature_of(e);
            let key = (endpoint.namespace.as_str(), &endpoint.labels, table, blocks);
            let id = *by_key.entry(key).or_insert_with(|| {
                identities.push(Identity {
                    namespace: endpoint.namespace.clone(),
                    labels: endpoint.labels.clone(),
                    ports: endpoint.ports.clone(),
                    endpoints: Vec::new(),
                });
                port_table.push(table);
                identity_blocks.push(blocks);
                IdentityId(u32::try_from(identities.len() - 1).unwrap_or(u32::MAX))
            });
            if let Some(identity) = identities.get_mut(id.index()) {
                identity
                    .endpoints
                    .push(EndpointId(u32::try_from(e).unwrap_or(u32::MAX)));
            }
            endpoint_identity.push(id);
        }
        // 2. Selector cache.
        let mut selectors = SelectorCache::new(inv, &identities);
        let network_sets = networks.identity_sets(&identity_blocks, &mut selectors);
        // 3. Rules, in evaluation order.
        let policies = &catalog.policies.policies;
        let mut keyed: Vec<(Tier, i32, &str, usize)> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.tier(), p.priority, p.name.as_str(), i))
            .collect();
        keyed.sort();
        let order: Vec<usize> = keyed.into_iter().map(|(_, _, _, i)| i).collect();
        let n = identities.len();
        let mut rules = Vec::new();
        let mut rule_map: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); n], vec![Vec::new(); n]];
        let mut isolated: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for &p in &order {
            let Some(policy) = policies.get(p) else {
                continue;
            };
            let subject = selectors.select(&policy.subject, &identities);
            let members: Vec<usize> = selectors.members(subject);
            let policy_id = u32::try_from(p).unwrap_or(u32::MAX);
            for direction in Direction::BOTH {
                if policy.tier() == Tier::Namespaced && policy.isolates(direction) {
                    for &m in &members {
                        if let Some(list) = isolated
                            .get_mut(direction.index())
                            .and_then(|v| v.get_mut(m))
                        {
                            list.push(policy_id);
                        }
                    }
                }
            }
            for (r, rule) in policy.rules.iter().enumerate() {
                // A NetworkPolicy rule of a direction the policy does not
                // isolate has no effect (Kubernetes ignores it). Cilium
                // rules still count when `enableDefaultDeny` is off.
                if policy.kind == crate::policy::PolicyKind::NetworkPolicy
                    && !policy.isolates(rule.direction)
                {
                    continue;
                }
                let compiled = compile_rule(
                    &mut selectors,
                    &identities,
                    &catalog.inventory,
                    &network_sets,
                    rule,
                    policy.tier(),
                    RuleRef {
                        policy: policy_id,
                        rule: u32::try_from(r).unwrap_or(u32::MAX),
                    },
                );
                let index = u32::try_from(rules.len()).unwrap_or(u32::MAX);
                rules.push(compiled);
                for &m in &members {
                    if let Some(list) = rule_map
                        .get_mut(rule.direction.index())
                        .and_then(|v| v.get_mut(m))
                    {
                        list.push(index);
                    }
                }
            }
        }
        let hot_map = [0, 1].map(|d| {
            rule_map
                .get(d)
                .map(|lists| {
                    lists
                        .iter()
                        .map(|list| {
                            list.iter()
                                .filter_map(|&i| {
                                    rules.get(i as usize).map(|r| evaluate::Hot::new(i, r))
                                })
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        let [iso_in, iso_out] = isolated;
        let to_arcs = |v: Vec<Vec<u32>>| v.into_iter().map(Arc::from).collect::<Vec<Arc<[u32]>>>();
        Resolver {
            catalog,
            identities,
            endpoint_identity,
            port_table,
            selectors,
            rules,
            rule_map,
            hot_map,
            isolated_by: [to_arcs(iso_in), to_arcs(iso_out)],
            network_sets,
        }
    }

    /// The inventory and policies.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The shared catalog.
    pub fn catalog_arc(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The identities.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The identity of an endpoint.
    pub fn identity_of(&self, endpoint: EndpointId) -> Option<IdentityId> {
        self.endpoint_identity.get(endpoint.index()).copied()
    }

    /// How many distinct selectors the selector cache evaluated.
    pub fn selector_count(&self) -> usize {
        self.selectors.len()
    }

    /// How many rules were compiled.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The rules that apply to `identity` in `direction`, in evaluation order.
    pub fn rules_of(&self, identity: IdentityId, direction: Direction) -> Vec<RuleRef> {
        self.rule_list(identity, direction)
            .iter()
            .filter_map(|&r| self.rules.get(r as usize).map(|c| c.id))
            .collect()
    }

    /// The NetworkPolicies that isolate `identity` in `direction` (their indices).
    pub fn isolating_policies(&self, identity: IdentityId, direction: Direction) -> &[u32] {
        self.isolated_by
            .get(direction.index())
            .and_then(|v| v.get(identity.index()))
            .map_or(&[], |a| a)
    }

    /// The identities a policy's subject selects.
    pub fn policy_subjects(&self, policy: &Policy) -> Vec<IdentityId> {
        self.selectors
            .evaluate(&self.identities, &policy.subject)
            .ones()
            .filter_map(|i| u32::try_from(i).ok().map(IdentityId))
            .collect()
    }

    /// The identities an endpoint peer selects.
    pub fn peer_identities(&self, peer: &Peer) -> Vec<IdentityId> {
        match peer {
            Peer::Endpoints(sel) => self
                .selectors
                .evaluate(&self.identities, sel)
                .ones()
                .filter_map(|i| u32::try_from(i).ok().map(IdentityId))
                .collect(),
            Peer::Network(block) => self
                .network_sets
                .iter()
                .find(|(b, _)| b == block)
                .and_then(|&(_, set)| self.selectors.get(set))
                .map(|set| {
                    set.ones()
                        .filter_map(|i| u32::try_from(i).ok().map(IdentityId))
                        .collect()
                })
                .unwrap_or_default(),
            Peer::Cidr(_)
            | Peer::Nodes(_)
            | Peer::Entity(_)
            | Peer::Fqdn(_)
            | Peer::Service { .. } => Vec::new(),
        }
    }

    /// Finds the flow end `text` names: `ns/name`, `ns/name[Kind]`, an IP
    /// address (an endpoint's pod IP finds the endpoint), or
    /// `entity:<name>` for a reserved Cilium entity (`entity:host`).
    pub fn flow_end(&self, text: &str) -> Option<FlowEnd> {
        if let Some(entity) = text.strip_prefix("entity:") {
            return crate::policy::Entity::parse(entity).map(FlowEnd::Entity);
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            let owner = self
                .catalog
                .inventory
                .endpoints
                .iter()
                .position(|e| e.ips.contains(&ip))
                .and_then(|i| u32::try_from(i).ok());
            return Some(match owner {
                Some(i) => FlowEnd::Endpoint(EndpointId(i)),
                None => FlowEnd::Ip(ip),
            });
        }
        self.catalog.inventory.find(text).map(FlowEnd::Endpoint)
    }

    /// The compiled rules.
    pub(crate) fn compiled(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The identity set with this selector-cache index.
    pub(crate) fn identity_set(&self, index: usize) -> Option<&Bitset> {
        self.selectors.get(index)
    }

    /// The identities a policy's subject selects, as a set.
    pub(crate) fn subject_set(&self, policy: &Policy) -> Bitset {
        self.selectors.evaluate(&self.identities, &policy.subject)
    }

    pub(crate) fn hot_list(&self, identity: IdentityId, direction: Direction) -> &[evaluate::Hot] {
        self.hot_map
            .get(direction.index())
            .and_then(|v| v.get(identity.index()))
            .map_or(&[], Vec::as_slice)
    }

    pub(crate) fn rule_list(&self, identity: IdentityId, direction: Direction) -> &[u32] {
        self.rule_map
            .get(direction.index())
            .and_then(|v| v.get(identity.index()))
            .map_or(&[], Vec::as_slice)
    }

    pub(crate) fn isolated(&self, identity: IdentityId, direction: Direction) -> bool {
        !self.isolating_policies(identity, direction).is_empty()
    }

    pub(crate) fn named_ports(&self, identity: IdentityId) -> &[NamedPort] {
        self.identities
            .get(identity.index())
            .map_or(&[], |i| i.ports.as_slice())
    }

    pub(crate) fn port_table_of(&self, identity: IdentityId) -> u32 {
        self.port_table.get(identity.index()).copied().unwrap_or(0)
    }
}

/// The distinct ClusterNetworkPolicy `networks` blocks of a catalog, and
/// which of them each endpoint's pod IPs fall in.
struct NetworkBlocks {
    blocks: Vec<CidrBlock>,
    /// Per endpoint: the index of its signature in `signatures`.
    endpoint_signature: Vec<u32>,
    /// Distinct sorted lists of block indices (`0`: no block).
    signatures: Vec<Vec<usize>>,
}

impl NetworkBlocks {
    fn new(catalog: &Catalog) -> NetworkBlocks {
        let mut blocks: Vec<CidrBlock> = Vec::new();
        let peers = catalog
            .policies
            .policies
            .iter()
            .flat_map(|p| &p.rules)
            .flat_map(|r| r.peers.iter().flatten());
        for peer in peers {
            if let Peer::Network(block) = peer
                && !blocks.contains(block)
            {
                blocks.push(block.clone());
            }
        }
        let mut signatures: Vec<Vec<usize>> = vec![Vec::new()];
        let mut index: HashMap<Vec<usize>, u32> = HashMap::from([(Vec::new(), 0)]);
        let endpoint_signature = catalog
            .inventory
            .endpoints
            .iter()
            .map(|e| {
                if blocks.is_empty() {
                    return 0;
                }
                let inside: Vec<usize> = (0..blocks.len())
                    .filter(|&b| {
                        blocks
                            .get(b)
                            .is_some_and(|block| e.ips.iter().any(|ip| block.contains(ip)))
                    })
                    .collect();
                *index.entry(inside.clone()).or_insert_with(|| {
                    signatures.push(inside);
                    u32::try_from(signatures.len() - 1).unwrap_or(u32::MAX)
                })
            })
            .collect();
        NetworkBlocks {
            blocks,
            endpoint_signature,
            signatures,
        }
    }

    /// The signature (which blocks hold its IPs) of endpoint `e`.
    fn signature_of(&self, e: usize) -> u32 {
        self.endpoint_signature.get(e).copied().unwrap_or(0)
    }

    /// Each block with the selector-cache set of the identities in it.
    fn identity_sets(
        &self,
        identity_blocks: &[u32],
        selectors: &mut SelectorCache,
    ) -> Vec<(CidrBlock, usize)> {
        self.blocks
            .iter()
            .enumerate()
            .map(|(b, block)| {
                let mut set = Bitset::with_capacity(identity_blocks.len());
                for (i, &sig) in identity_blocks.iter().enumerate() {
                    if self
                        .signatures
                        .get(sig as usize)
                        .is_some_and(|s| s.contains(&b))
                    {
                        set.insert(i);
                    }
                }
                (block.clone(), selectors.insert(set))
            })
            .collect()
    }
}

fn compile_rule(
    selectors: &mut SelectorCache,
    identities: &[Identity],
    inventory: &Inventory,
    network_sets: &[(CidrBlock, usize)],
    rule: &crate::policy::Rule,
    tier: Tier,
    id: RuleRef,
) -> CompiledRule {
    let mut cidrs = Vec::new();
    let mut endpoint_sets = Vec::new();
    let mut entities = Vec::new();
    let mut fqdns = Vec::new();
    for peer in rule.peers.iter().flatten() {
        match peer {
            Peer::Endpoints(sel) => endpoint_sets.push(selectors.select(sel, identities)),
            Peer::Cidr(block) => cidrs.push(block.clone()),
            Peer::Network(block) => {
                cidrs.push(block.clone());
                if let Some(&(_, set)) = network_sets.iter().find(|(b, _)| b == block) {
                    endpoint_sets.push(set);
                }
            }
            Peer::Nodes(selector) => {
                for node in inventory
                    .nodes
                    .iter()
                    .filter(|n| selector.matches(&n.labels))
                {
                    cidrs.extend(node.addresses.iter().map(|&ip| CidrBlock {
                        cidr: ipnet::IpNet::from(ip),
                        except: Vec::new(),
                    }));
                }
            }
            Peer::Entity(e) => entities.push(*e),
            Peer::Fqdn(name) => fqdns.push(name.clone()),
            Peer::Service { namespace, name } => {
                let backends = inventory
                    .services
                    .iter()
                    .find(|s| &s.namespace == namespace && &s.name == name)
                    .and_then(|s| s.selector.as_ref())
                    .filter(|sel| !sel.is_empty());
                if let Some(sel) = backends {
                    endpoint_sets.push(selectors.select(
                        &crate::policy::EndpointSelector {
                            namespaces: crate::policy::NamespaceScope::Named(namespace.clone()),
                            pods: crate::labels::Selector::from_labels(sel.clone()),
                        },
                        identities,
                    ));
                }
            }
        }
    }
    let peers = match endpoint_sets.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => Some(selectors.union(many)),
    };
    let mut v4: Vec<(u32, u32)> = cidrs.iter().flat_map(CidrBlock::ipv4_intervals).collect();
    v4.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(v4.len());
    for (s, e) in v4 {
        match merged.last_mut() {
            Some(last) if u64::from(s) <= u64::from(last.1) + 1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let fixed_ports = if rule.has_named_ports() {
        None
    } else {
        Some(
            rule.ports
                .iter()
                .fold(Ports::none(), |acc, p| acc.union(&p.resolve(&[]))),
        )
    };
    CompiledRule {
        id,
        tier,
        action: rule.action,
        any_peer: rule.peers.is_none(),
        peers,
        cidrs,
        v4: merged,
        entities,
        fqdns,
        l7: rule.l7.clone(),
        ports: rule.ports.clone(),
        fixed_ports,
    }
}
