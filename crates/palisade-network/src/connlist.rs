//! Connectivity lists in netpol-analyzer's format: one line per ordered pair
//! of peers with something allowed, `src => dst : conn`.
//!
//! Peers are the inventory's endpoints (`ns/name[Kind]`) and External IPv4
//! ranges (`first-last[External]`): the pieces into which the IP blocks of
//! the policies cut `0.0.0.0/0`, worked out separately for sources (ingress
//! `ipBlock`s) and destinations (egress `ipBlock`s and ANP/BANP `networks`).
//! There are no self lines and no External-to-External lines.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde::Serialize;

use crate::inventory::EndpointId;
use crate::policy::{Direction, Peer, PolicyKind};
use crate::ports::Ports;
use crate::resolver::{IdentityId, Resolver};

/// One line of a connectivity list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Connection {
    /// The source peer.
    pub src: String,
    /// The destination peer.
    pub dst: String,
    /// The allowed connections (`All Connections`, `TCP 8080,UDP 53`, ...).
    pub conn: String,
}

/// A node of the list, for the graph formats.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Node {
    /// The peer's full name.
    id: String,
    /// Its namespace (`None` for External peers).
    namespace: Option<String>,
    /// Its name without the namespace.
    label: String,
}

/// A connectivity list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnList {
    /// The lines, sorted by source then destination.
    pub connections: Vec<Connection>,
    /// What the list leaves out, for people (IPv6 blocks).
    pub warnings: Vec<String>,
    nodes: BTreeSet<Node>,
}

/// The output formats of a connectivity list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `src => dst : conn` lines.
    Txt,
    /// An array of `{src, dst, conn}` objects.
    Json,
    /// `src,dst,conn` with a header row.
    Csv,
    /// A markdown table.
    Md,
    /// A Graphviz digraph with namespaces as clusters.
    Dot,
}

impl Format {
    /// Parses `txt`, `json`, `csv`, `md` or `dot`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "txt" => Some(Format::Txt),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "md" => Some(Format::Md),
            "dot" => Some(Format::Dot),
            _ => None,
        }
    }
}

/// `first-last[External]`.
fn external_name(lo: u32, hi: u32) -> String {
    format!("{}-{}[External]", Ipv4Addr::from(lo), Ipv4Addr::from(hi))
}

/// Cuts `0.0.0.0-255.255.255.255` at every boundary of `intervals`.
pub(crate) fn pieces(intervals: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut cuts: BTreeSet<u64> = BTreeSet::new();
    cuts.insert(0);
    cuts.insert(1 << 32);
    for &(s, e) in intervals {
        cuts.insert(u64::from(s));
        cuts.insert(u64::from(e) + 1);
    }
    let cuts: Vec<u64> = cuts.into_iter().collect();
    cuts.windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((u32::try_from(*a).ok()?, u32::try_from(*b - 1).ok()?)),
            _ => None,
        })
        .collect()
}

/// The IPv4 addresses outside the cluster `peer` names, as inclusive
/// intervals: IP blocks, ClusterNetworkPolicy networks, and the addresses
/// of the nodes a `nodes` peer selects.
pub(crate) fn peer_intervals(
    peer: &Peer,
    inventory: &crate::inventory::Inventory,
) -> Vec<(u32, u32)> {
    match peer {
        Peer::Cidr(block) | Peer::Network(block) => block.ipv4_intervals(),
        Peer::Nodes(selector) => inventory
            .nodes
            .iter()
            .filter(|n| selector.matches(&n.labels))
            .flat_map(|n| &n.addresses)
            .filter_map(|ip| match ip {
                std::net::IpAddr::V4(v4) => Some((u32::from(*v4), u32::from(*v4))),
                std::net::IpAddr::V6(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The External pieces of one side: sources (`Ingress`) or destinations (`Egress`).
fn external_pieces(resolver: &Resolver, direction: Direction) -> Vec<(u32, u32)> {
    pieces(&policy_intervals(resolver, direction))
}

/// The IPv4 intervals outside the cluster the policies name on one side:
/// sources (`Ingress`) or destinations (`Egress`).
pub(crate) fn policy_intervals(resolver: &Resolver, direction: Direction) -> Vec<(u32, u32)> {
    let mut intervals = Vec::new();
    for policy in &resolver.catalog().policies.policies {
        let counts = match direction {
            Direction::Ingress => {
                policy.kind != PolicyKind::AdminNetworkPolicy
                    && policy.kind != PolicyKind::BaselineAdminNetworkPolicy
            }
            Direction::Egress => true,
        };
        if !counts {
            continue;
        }
        for rule in policy.rules.iter().filter(|r| r.direction == direction) {
            for peer in rule.peers.iter().flatten() {
                intervals.extend(peer_intervals(peer, &resolver.catalog().inventory));
            }
        }
    }
    intervals
}

/// One end of an allowed connection, before it is named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum End {
    /// An endpoint of the inventory, by its full name (`ns/name[Kind]`).
    Endpoint(String),
    /// An inclusive IPv4 range outside the cluster.
    External(u32, u32),
}

impl End {
    /// The name connectivity lists print.
    pub(crate) fn list_name(&self) -> String {
        match self {
            End::Endpoint(name) => name.clone(),
            End::External(lo, hi) => external_name(*lo, *hi),
        }
    }
}

/// The cuts of the address space outside the cluster: the source pieces
/// (ingress) and the destination pieces (egress), in [`Direction::BOTH`] order.
pub(crate) type Cuts = [Vec<(u32, u32)>; 2];

/// The resolver's own cuts: each side's space cut at the blocks its
/// policies name.
pub(crate) fn own_cuts(resolver: &Resolver) -> Cuts {
    Direction::BOTH.map(|d| external_pieces(resolver, d))
}

/// Every ordered pair of ends with something allowed, and the ports:
/// endpoint pairs (no self pairs), then, per piece of `cuts`, the pieces as
/// sources of ingress and as destinations of egress.
pub(crate) fn allowed_between(resolver: &Resolver, cuts: &Cuts) -> Vec<(End, End, Ports)> {
    let inventory = &resolver.catalog().inventory;
    let matrix = resolver.matrix();
    let endpoints: Vec<(IdentityId, String)> = (0..inventory.endpoints.len())
        .filter_map(|i| {
            let id = EndpointId(u32::try_from(i).ok()?);
            Some((
                resolver.identity_of(id)?,
                inventory.endpoint(id)?.to_string(),
            ))
        })
        .collect();
    let mut lines = Vec::new();
    for (ia, a_name) in &endpoints {
        for (ib, b_name) in &endpoints {
            if a_name == b_name {
                continue;
            }
            let ports = matrix.ports(*ia, *ib);
            if !ports.is_empty() {
                let ends = (End::Endpoint(a_name.clone()), End::Endpoint(b_name.clone()));
                lines.push((ends.0, ends.1, ports.clone()));
            }
        }
    }
    // Addresses outside the cluster: as sources of ingress, then as
    // destinations of egress.
    for (direction, pieces) in Direction::BOTH.into_iter().zip(cuts) {
        for &(lo, hi) in pieces {
            for (id, e_name) in &endpoints {
                let ports = resolver.external_ports(direction, *id, lo, hi);
                if ports.is_empty() {
                    continue;
                }
                let (outside, inside) = (End::External(lo, hi), End::Endpoint(e_name.clone()));
                lines.push(match direction {
                    Direction::Ingress => (outside, inside, ports),
                    Direction::Egress => (inside, outside, ports),
                });
            }
        }
    }
    lines
}

impl ConnList {
    /// The connectivity list of everything the resolver knows.
    pub fn new(resolver: &Resolver) -> ConnList {
        let inventory = &resolver.catalog().inventory;
        let mut list = ConnList::default();
        for e in &inventory.endpoints {
            list.nodes.insert(Node {
                id: e.to_string(),
                namespace: Some(e.namespace.clone()),
                label: format!("{}[{}]", e.name, e.kind),
            });
        }
        let mut lines = Vec::new();
        for (src, dst, ports) in allowed_between(resolver, &own_cuts(resolver)) {
            for end in [&src, &dst] {
                if let End::External(..) = end {
                    list.add_external(end.list_name());
                }
            }
            lines.push(Connection {
                src: src.list_name(),
                dst: dst.list_name(),
                conn: ports.to_string(),
            });
        }
        lines.sort();
        lines.dedup();
        list.connections = lines;
        for policy in &resolver.catalog().policies.policies {
            for rule in &policy.rules {
                for peer in rule.peers.iter().flatten() {
                    if let Peer::Cidr(block) = peer
                        && matches!(block.cidr, ipnet::IpNet::V6(_))
                        && block.cidr.prefix_len() > 0
                    {
                        list.warnings.push(format!(
                            "{}: {}: IPv6 block `{block}` is not shown (connectivity lists model IPv4 only)",
                            policy.origin,
                            rule.path
                        ));
                    }
                }
            }
        }
        list
    }

    fn add_external(&mut self, name: String) {
        self.nodes.insert(Node {
            label: name.clone(),
            id: name,
            namespace: None,
        });
    }

    /// The list in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Txt => self.txt(),
            Format::Json => self.json(),
            Format::Csv => self.csv(),
            Format::Md => self.md(),
            Format::Dot => self.dot(),
        }
    }

    fn txt(&self) -> String {
        let mut out = String::new();
        for c in &self.connections {
            let _ = writeln!(out, "{} => {} : {}", c.src, c.dst, c.conn);
        }
        out
    }

    fn json(&self) -> String {
        serde_json::to_string_pretty(&self.connections).unwrap_or_else(|_| "[]".to_owned())
    }

    fn csv(&self) -> String {
        let field = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut out = String::from("src,dst,conn\n");
        for c in &self.connections {
            let _ = writeln!(
                out,
                "{},{},{}",
                field(&c.src),
                field(&c.dst),
                field(&c.conn)
            );
        }
        out
    }

    fn md(&self) -> String {
        let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
        for c in &self.connections {
            let _ = writeln!(out, "| {} | {} | {} |", c.src, c.dst, c.conn);
        }
        out
    }

    fn dot(&self) -> String {
        let mut out = String::from("digraph {\n");
        let namespaces: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter_map(|n| n.namespace.as_deref())
            .collect();
        for ns in namespaces {
            let _ = writeln!(
                out,
                "\tsubgraph \"cluster_{}[namespace]\" {{",
                ns.replace('-', "_")
            );
            out.push_str("\t\tcolor=\"black\"\n\t\tfontcolor=\"black\"\n");
            for n in self
                .nodes
                .iter()
                .filter(|n| n.namespace.as_deref() == Some(ns))
            {
                let _ = writeln!(
                    out,
                    "\t\t\"{}\" [label=\"{}\" color=\"blue\" fontcolor=\"blue\"]",
                    n.id, n.label
                );
            }
            let _ = writeln!(out, "\t\tlabel=\"{ns}[namespace]\"\n\t}}");
        }
        for n in self.nodes.iter().filter(|n| n.namespace.is_none()) {
            let _ = writeln!(
                out,
                "\t\"{}\" [label=\"{}\" color=\"red2\" fontcolor=\"red2\"]",
                n.id, n.label
            );
        }
        for c in &self.connections {
            let weight = if c.src < c.dst { "0.5" } else { "1" };
            let _ = writeln!(
                out,
                "\t\"{}\" -> \"{}\" [label=\"{}\" color=\"gold2\" fontcolor=\"darkgreen\" weight={weight}]",
                c.src, c.dst, c.conn
            );
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cut_the_whole_space() {
        assert_eq!(pieces(&[]), [(0, u32::MAX)]);
        let ten = (0x0A00_0000, 0x0AFF_FFFF);
        assert_eq!(
            pieces(&[ten]),
            [(0, 0x09FF_FFFF), ten, (0x0B00_0000, u32::MAX)]
        );
        assert_eq!(
            external_name(0, u32::MAX),
            "0.0.0.0-255.255.255.255[External]"
        );
    }

    #[test]
    fn ipv6_blocks_are_left_out_with_a_warning() {
        let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: a}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  egress:
  - to: [{ipBlock: {cidr: "2001:db8::/32"}}, {ipBlock: {cidr: 10.0.0.0/8}}]
"#;
        let report = palisade_core::manifest::load_str("np.yaml", text);
        let mut issues = crate::Issues::default();
        let resolver = Resolver::from_manifests(&report.objects, &mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        let list = ConnList::new(&resolver);
        assert_eq!(list.warnings.len(), 1, "{:?}", list.warnings);
        assert!(list.warnings[0].contains("`2001:db8::/32`"));
        let txt = list.render(Format::Txt);
        assert!(
            txt.contains("default/a[Pod] => 10.0.0.0-10.255.255.255[External] : All Connections"),
            "{txt}"
        );
        assert!(
            !txt.contains("default/a[Pod] => 0.0.0.0-9.255.255.255[External]"),
            "{txt}"
        );
        // policyTypes defaults to [Ingress, Egress]: no ingress rule, no ingress.
        assert!(!txt.contains("[External] => default/a[Pod]"), "{txt}");
        assert_eq!(txt.lines().count(), 1, "{txt}");
    }
}
