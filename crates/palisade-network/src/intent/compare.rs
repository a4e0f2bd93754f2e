//! The declaration against the policies: per ordered pair of workloads
//! (and workload to address ranges and domain names the policies or the
//! intents speak of), the ports allowed but not declared (`undeclared`: the
//! policies are too open) and declared but denied (`blocked`: too tight),
//! each with the rules that allowed or denied it.
//!
//! - Workload pairs come from the resolver's matrix; a workload's traffic
//!   to itself is not compared (Otterize declares no such path).
//! - Addresses: the IPv4 space is cut at every block the egress policies
//!   and the intents name; each piece is compared whole.
//! - Domain names: a declared domain is blocked when a flow to an address
//!   outside the cluster (`192.0.2.1`, a documentation address) is denied,
//!   or allowed only for other names; an `Allow` rule with FQDN peers the
//!   workload did not declare is undeclared. A domain declared for every
//!   port is checked on TCP/443.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use super::{Declaration, Intent, Target, WorkloadRef, internet_ports};
use crate::domains::covers;
use crate::inventory::{EndpointId, Inventory, Service};
use crate::issues::Issues;
use crate::paths::{self, PathFinding, push_findings};
use crate::policy::{Action, Direction, Peer};
use crate::ports::{Ports, Protocol};
use crate::resolver::{FlowEnd, Resolver};

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntentReport {
    /// Allowed by the policies, not declared (too open).
    pub undeclared: Vec<PathFinding>,
    /// Declared, denied by the policies (too tight).
    pub blocked: Vec<PathFinding>,
}

impl IntentReport {
    /// The report as JSON: `{"undeclared": [{from, to, protocol, port,
    /// allowed_by}], "blocked": [{from, to, protocol, port, denied_by}]}`,
    /// `port` `null` for every port, `end_port` for a range.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "undeclared": paths::to_json(&self.undeclared, "allowed_by"),
            "blocked": paths::to_json(&self.blocked, "denied_by"),
        })
    }

    /// `true` when the policies allow exactly what is declared.
    pub fn is_clean(&self) -> bool {
        self.undeclared.is_empty() && self.blocked.is_empty()
    }
}

/// The declared paths resolved against the inventory.
#[derive(Default)]
pub(crate) struct Declared {
    /// (client, target) endpoint pairs and their ports.
    pub(super) pairs: BTreeMap<(u32, u32), Ports>,
    /// (client, block, ports).
    pub(super) networks: Vec<(u32, IpNet, Ports)>,
    /// (client, domain, listed ports).
    pub(super) domains: Vec<(u32, String, Vec<u16>)>,
}

impl Declared {
    /// Whether the path `src` -> `dst` on `protocol`/`port` is declared:
    /// workload to workload, or workload to a declared address or to a
    /// declared domain covering one of `names` (the DNS names the
    /// destination address was resolved from).
    pub(crate) fn holds(
        &self,
        (src, dst): (FlowEnd, FlowEnd),
        names: &[String],
        protocol: Protocol,
        port: u16,
    ) -> bool {
        let FlowEnd::Endpoint(a) = src else {
            return false;
        };
        match dst {
            FlowEnd::Endpoint(b) => self
                .pairs
                .get(&(a.0, b.0))
                .is_some_and(|p| p.contains(protocol, port)),
            FlowEnd::Ip(ip) => {
                self.networks.iter().any(|(c, net, ports)| {
                    *c == a.0 && net.contains(&ip) && ports.contains(protocol, port)
                }) || self.domains.iter().any(|(c, domain, ports)| {
                    *c == a.0
                        && internet_ports(ports).contains(protocol, port)
                        && names.iter().any(|n| covers(domain, n))
                })
            }
            FlowEnd::Entity(_) => false,
        }
    }

    fn add(&mut self, from: EndpointId, to: EndpointId, ports: &Ports) {
        let cell = self.pairs.entry((from.0, to.0)).or_default();
        *cell = cell.union(ports);
    }
}

/// Compares `declaration` with what `resolver`'s policies allow. Intents
/// naming workloads or services the inventory does not hold are reported
/// in `issues` (as ignored) and not compared.
pub fn compare(
    resolver: &Resolver,
    declaration: &Declaration,
    issues: &mut Issues,
) -> IntentReport {
    let inventory = &resolver.catalog().inventory;
    let declared = resolve_declared(inventory, declaration, issues);
    let mut report = IntentReport::default();
    workload_pairs(resolver, &declared, &mut report);
    networks(resolver, &declared, &mut report);
    domains(resolver, &declared, &mut report);
    paths::sort(&mut report.undeclared);
    paths::sort(&mut report.blocked);
    report
}

fn find(inventory: &Inventory, workload: &WorkloadRef) -> Option<EndpointId> {
    inventory.find(&workload.reference())
}

/// The declaration's paths between the inventory's endpoints; what it names
/// and the inventory does not hold goes to `issues`.
pub(crate) fn resolve_declared(
    inventory: &Inventory,
    declaration: &Declaration,
    issues: &mut Issues,
) -> Declared {
    let mut declared = Declared::default();
    let mut unknown_clients = BTreeSet::new();
    for intent in &declaration.intents {
        let Some(client) = find(inventory, &intent.client) else {
            if unknown_clients.insert(intent.client.reference()) {
                let message = format!(
                    "client `{}` is not a workload of the inventory; its intents are not compared",
                    intent.client.reference()
                );
                issues.ignored(&intent.origin, &intent.path, &message);
            }
            continue;
        };
        resolve_target(inventory, intent, client, &mut declared, issues);
    }
    if declaration.implicit_dns {
        let dns = Ports::single(Protocol::Udp, 53).union(&Ports::single(Protocol::Tcp, 53));
        let servers = dns_servers(inventory);
        for e in 0..inventory.endpoints.len() {
            let Ok(e) = u32::try_from(e) else { break };
            for &server in &servers {
                if server.0 != e {
                    declared.add(EndpointId(e), server, &dns);
                }
            }
        }
    }
    declared
}

fn resolve_target(
    inventory: &Inventory,
    intent: &Intent,
    client: EndpointId,
    declared: &mut Declared,
    issues: &mut Issues,
) {
    match &intent.target {
        Target::Workload(workload) => match find(inventory, workload) {
            Some(target) => declared.add(client, target, &Ports::all()),
            None => {
                let message = format!(
                    "target `{}` is not a workload of the inventory; not compared",
                    workload.reference()
                );
                issues.ignored(&intent.origin, &intent.path, &message);
            }
        },
        Target::Service { namespace, name } => {
            let service = inventory
                .services
                .iter()
                .find(|s| &s.namespace == namespace && &s.name == name);
            let Some(service) = service else {
                let message =
                    format!("Service `{namespace}/{name}` is not in the inventory; not compared");
                issues.ignored(&intent.origin, &intent.path, &message);
                return;
            };
            for (backend, ports) in service_backends(inventory, service) {
                declared.add(client, backend, &ports);
            }
        }
        Target::Internet {
            networks,
            domains,
            ports,
        } => {
            let allowed = internet_ports(ports);
            for net in networks {
                if matches!(net, IpNet::V6(_)) {
                    let message =
                        format!("IPv6 `{net}` is not compared (addresses are compared as IPv4)");
                    issues.ignored(&intent.origin, &intent.path, &message);
                    continue;
                }
                declared.networks.push((client.0, *net, allowed.clone()));
            }
            for domain in domains {
                declared
                    .domains
                    .push((client.0, domain.clone(), ports.clone()));
            }
        }
    }
}

/// The pods a Service selects (in its namespace) and, per pod, the target
/// ports of its ports (a named target port resolved on that pod).
pub(crate) fn service_backends(
    inventory: &Inventory,
    service: &Service,
) -> Vec<(EndpointId, Ports)> {
    let Some(selector) = service.selector.as_ref().filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, e) in inventory.endpoints.iter().enumerate() {
        let selected = e.namespace == service.namespace
            && selector.iter().all(|(k, v)| e.labels.get(k) == Some(v));
        let Ok(id) = u32::try_from(i) else { break };
        if !selected {
            continue;
        }
        let mut ports = Ports::none();
        for p in &service.ports {
            let number = match &p.target {
                None => Some(p.port),
                Some(t) => t.parse::<u16>().ok().or_else(|| {
                    e.ports
                        .iter()
                        .find(|n| &n.name == t && n.protocol == p.protocol)
                        .map(|n| n.port)
                }),
            };
            if let Some(n) = number {
                ports = ports.union(&Ports::single(p.protocol, n));
            }
        }
        out.push((EndpointId(id), ports));
    }
    out
}

/// The cluster DNS: the pods of Service kube-system/kube-dns, or else the
/// kube-system pods labelled `k8s-app: kube-dns`.
pub(super) fn dns_servers(inventory: &Inventory) -> Vec<EndpointId> {
    if let Some(service) = inventory
        .services
        .iter()
        .find(|s| s.namespace == "kube-system" && s.name == "kube-dns")
    {
        return service_backends(inventory, service)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
    }
    inventory
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.namespace == "kube-system"
                && e.labels.get("k8s-app").map(String::as_str) == Some("kube-dns")
        })
        .filter_map(|(i, _)| u32::try_from(i).ok().map(EndpointId))
        .collect()
}

fn name_of(inventory: &Inventory, e: u32) -> String {
    inventory
        .endpoint(EndpointId(e))
        .map_or_else(|| format!("endpoint {e}"), |e| e.qualified_name())
}

fn workload_pairs(resolver: &Resolver, declared: &Declared, report: &mut IntentReport) {
    let inventory = &resolver.catalog().inventory;
    let matrix = resolver.matrix();
    let ends = |a: u32, b: u32| {
        (
            FlowEnd::Endpoint(EndpointId(a)),
            FlowEnd::Endpoint(EndpointId(b)),
        )
    };
    for (&(a, b), ports) in &declared.pairs {
        let (Some(ia), Some(ib)) = (
            resolver.identity_of(EndpointId(a)),
            resolver.identity_of(EndpointId(b)),
        ) else {
            continue;
        };
        let blocked = ports.subtract(matrix.ports(ia, ib));
        let names = (name_of(inventory, a), name_of(inventory, b));
        let names = (names.0.as_str(), names.1.as_str());
        let (src, dst) = ends(a, b);
        let explain = paths::decisive(resolver, src, dst);
        push_findings(&mut report.blocked, names, &blocked, &explain);
    }
    let identities = resolver.identities();
    for (i, src) in identities.iter().enumerate() {
        for (j, dst) in identities.iter().enumerate() {
            let (Ok(i), Ok(j)) = (u32::try_from(i), u32::try_from(j)) else {
                continue;
            };
            let allowed = matrix.ports(
                crate::resolver::IdentityId(i),
                crate::resolver::IdentityId(j),
            );
            if allowed.is_empty() {
                continue;
            }
            for a in &src.endpoints {
                for b in dst.endpoints.iter().filter(|b| *b != a) {
                    let open = match declared.pairs.get(&(a.0, b.0)) {
                        Some(d) => allowed.subtract(d),
                        None => allowed.clone(),
                    };
                    let names = (name_of(inventory, a.0), name_of(inventory, b.0));
                    let names = (names.0.as_str(), names.1.as_str());
                    let (src, dst) = ends(a.0, b.0);
                    let explain = paths::decisive(resolver, src, dst);
                    push_findings(&mut report.undeclared, names, &open, &explain);
                }
            }
        }
    }
}

/// `a.b.c.d/n` when the range is one CIDR block, else `a.b.c.d-e.f.g.h`.
fn range_name(lo: u32, hi: u32) -> String {
    let size = u64::from(hi) - u64::from(lo) + 1;
    if size.is_power_of_two() && u64::from(lo) % size == 0 {
        let prefix = 32 - size.trailing_zeros();
        return format!("{}/{prefix}", Ipv4Addr::from(lo));
    }
    format!("{}-{}", Ipv4Addr::from(lo), Ipv4Addr::from(hi))
}

fn v4_interval(net: &IpNet) -> Option<(u32, u32)> {
    match net {
        IpNet::V4(v4) => Some((u32::from(v4.network()), u32::from(v4.broadcast()))),
        IpNet::V6(_) => None,
    }
}

fn networks(resolver: &Resolver, declared: &Declared, report: &mut IntentReport) {
    let inventory = &resolver.catalog().inventory;
    let mut intervals = crate::connlist::policy_intervals(resolver, Direction::Egress);
    intervals.extend(
        declared
            .networks
            .iter()
            .filter_map(|(_, n, _)| v4_interval(n)),
    );
    let pieces = crate::connlist::pieces(&intervals);
    for (e, _) in inventory.endpoints.iter().enumerate() {
        let Ok(e) = u32::try_from(e) else { break };
        let Some(identity) = resolver.identity_of(EndpointId(e)) else {
            continue;
        };
        let from = name_of(inventory, e);
        for &(lo, hi) in &pieces {
            let allowed = resolver.external_ports(Direction::Egress, identity, lo, hi);
            let declared_ports = declared
                .networks
                .iter()
                .filter(|(c, net, _)| {
                    *c == e && v4_interval(net).is_some_and(|(s, t)| s <= lo && hi <= t)
                })
                .fold(Ports::none(), |acc, (_, _, p)| acc.union(p));
            let to = range_name(lo, hi);
            let explain = paths::decisive(
                resolver,
                FlowEnd::Endpoint(EndpointId(e)),
                FlowEnd::Ip(IpAddr::V4(Ipv4Addr::from(lo))),
            );
            let names = (from.as_str(), to.as_str());
            let open = allowed.subtract(&declared_ports);
            push_findings(&mut report.undeclared, names, &open, &explain);
            let tight = declared_ports.subtract(&allowed);
            push_findings(&mut report.blocked, names, &tight, &explain);
        }
    }
}

fn domains(resolver: &Resolver, declared: &Declared, report: &mut IntentReport) {
    let inventory = &resolver.catalog().inventory;
    let catalog = resolver.catalog();
    // Blocked: the declared ports the policies do not allow to the domain.
    for (client, domain, ports) in &declared.domains {
        let Some(identity) = resolver.identity_of(EndpointId(*client)) else {
            continue;
        };
        let tight = internet_ports(ports).subtract(&resolver.domain_ports(identity, domain));
        let from = name_of(inventory, *client);
        let explain = |protocol, port| resolver.check_domain(identity, domain, protocol, port).1;
        push_findings(&mut report.blocked, (&from, domain), &tight, &explain);
    }
    // Undeclared: what the names the egress rules speak of are allowed
    // beyond what every outside address is (reported with the ranges) and
    // what the workload declared for names covering them.
    for (e, _) in inventory.endpoints.iter().enumerate() {
        let Ok(e) = u32::try_from(e) else { break };
        let Some(identity) = resolver.identity_of(EndpointId(e)) else {
            continue;
        };
        let mut names = BTreeSet::new();
        for rule_ref in resolver.rules_of(identity, Direction::Egress) {
            let rule = catalog.rule(rule_ref).filter(|r| r.action == Action::Allow);
            for peer in rule.iter().flat_map(|r| r.peers.iter().flatten()) {
                if let Peer::Fqdn(name) = peer {
                    names.insert(name.as_str());
                }
            }
        }
        if names.is_empty() {
            continue;
        }
        let world = resolver.external_ports(Direction::Egress, identity, 0, u32::MAX);
        let from = name_of(inventory, e);
        for name in names {
            let mine = declared
                .domains
                .iter()
                .filter(|(c, d, _)| *c == e && covers(d, name))
                .fold(Ports::none(), |acc, (_, _, p)| {
                    acc.union(&internet_ports(p))
                });
            let open = resolver
                .domain_ports(identity, name)
                .subtract(&world)
                .subtract(&mine);
            let explain = |protocol, port| resolver.check_domain(identity, name, protocol, port).1;
            push_findings(&mut report.undeclared, (&from, name), &open, &explain);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_named_as_cidrs_when_they_are_one() {
        assert_eq!(range_name(0, u32::MAX), "0.0.0.0/0");
        assert_eq!(range_name(0x0A00_0000, 0x0AFF_FFFF), "10.0.0.0/8");
        assert_eq!(range_name(0, 0x09FF_FFFF), "0.0.0.0-9.255.255.255");
    }
}
