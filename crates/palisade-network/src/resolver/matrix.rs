//! Every identity pair at once: the connectivity matrix, the `petgraph`
//! graph of identities, and the reachability of one endpoint.
//!
//! Rows are computed per subject identity and direction. Identities whose
//! rule lists (and isolation, and for ingress the named ports) are equal
//! share a row. Within a row, the outcome toward a peer depends only on
//! which of the subject's rules match the peer (a bit mask) and, for egress
//! rules with named ports, on the peer's named ports: outcomes are memoized
//! by that key, so the port-set arithmetic runs once per distinct key, not
//! once per pair.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::evaluate::{Grant, Outcome};
use super::peer::PeerRef;
use super::{IdentityId, Resolver};
use crate::inventory::EndpointId;
use crate::policy::Direction;
use crate::ports::Ports;

/// Masks up to this many rules are memoized in a flat table.
const FLAT_MEMO_BITS: usize = 12;

/// The allowed connections between every pair of identities.
#[derive(Debug, Clone)]
pub struct Matrix {
    size: usize,
    /// Interned direction outcomes.
    outcomes: Vec<Outcome>,
    /// Interned port sets of cells; 0 is "nothing", 1 is "everything".
    port_sets: Vec<Ports>,
    /// Per source identity: the index of its egress row.
    egress_row: Vec<u32>,
    /// Per destination identity: the index of its ingress row.
    ingress_row: Vec<u32>,
    /// Distinct rows: per peer identity, an outcome index.
    rows: Vec<Vec<u32>>,
    /// `cells[src * size + dst]`: index into `port_sets`.
    cells: Vec<u32>,
}

/// One edge of the identity graph: what may flow and who allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The allowed ports.
    pub ports: Ports,
    /// Who allowed the source's egress.
    pub egress: Vec<Grant>,
    /// Who allowed the destination's ingress.
    pub ingress: Vec<Grant>,
}

impl Matrix {
    /// The number of identities.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The allowed ports from `src` to `dst`.
    pub fn ports(&self, src: IdentityId, dst: IdentityId) -> &Ports {
        static NONE: Ports = Ports::none();
        self.cells
            .get(src.index() * self.size + dst.index())
            .and_then(|&c| self.port_sets.get(c as usize))
            .unwrap_or(&NONE)
    }

    /// The egress outcome of `src` toward `dst`.
    pub fn egress(&self, src: IdentityId, dst: IdentityId) -> Option<&Outcome> {
        let row = self.rows.get(*self.egress_row.get(src.index())? as usize)?;
        self.outcomes.get(*row.get(dst.index())? as usize)
    }

    /// The ingress outcome of `dst` from `src`.
    pub fn ingress(&self, src: IdentityId, dst: IdentityId) -> Option<&Outcome> {
        let row = self
            .rows
            .get(*self.ingress_row.get(dst.index())? as usize)?;
        self.outcomes.get(*row.get(src.index())? as usize)
    }

    /// The edge from `src` to `dst`, when something is allowed.
    pub fn edge(&self, src: IdentityId, dst: IdentityId) -> Option<Edge> {
        let ports = self.ports(src, dst);
        if ports.is_empty() {
            return None;
        }
        Some(Edge {
            ports: ports.clone(),
            egress: self.egress(src, dst)?.grants.clone(),
            ingress: self.ingress(src, dst)?.grants.clone(),
        })
    }

    /// How many ordered pairs (self pairs included) allow something.
    pub fn allowed_pairs(&self) -> usize {
        self.cells.iter().filter(|&&c| c != 0).count()
    }

    /// How many distinct rows were computed (the rest were shared).
    pub fn distinct_rows(&self) -> usize {
        self.rows.len()
    }
}

/// Who can reach one endpoint, and what it can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachability {
    /// The endpoint.
    pub endpoint: EndpointId,
    /// Endpoints that may connect to it, with the ports.
    pub inbound: Vec<(EndpointId, Ports)>,
    /// Endpoints it may connect to, with the ports.
    pub outbound: Vec<(EndpointId, Ports)>,
}

struct Interner<T: std::hash::Hash + Eq + Clone> {
    items: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn new() -> Self {
        Interner {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn intern(&mut self, item: T) -> u32 {
        if let Some(&i) = self.index.get(&item) {
            return i;
        }
        let i = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.index.insert(item.clone(), i);
        self.items.push(item);
        i
    }
}

impl Resolver {
    /// The full identity matrix.
    pub fn matrix(&self) -> Matrix {
        let n = self.identities.len();
        let mut outcomes: Interner<Outcome> = Interner::new();
        let mut rows: Vec<Vec<u32>> = Vec::new();
        let mut row_keys: HashMap<(Direction, Vec<u32>, bool, u32), u32> = HashMap::new();
        let mut rows_of = [vec![0u32; n], vec![0u32; n]];
        for direction in Direction::BOTH {
            for s in 0..n {
                let subject = IdentityId(u32::try_from(s).unwrap_or(u32::MAX));
                let list = self.rule_list(subject, direction);
                let table = match direction {
                    Direction::Ingress => self.port_table_of(subject),
                    Direction::Egress => u32::MAX,
                };
                let key = (
                    direction,
                    list.to_vec(),
                    self.isolated(subject, direction),
                    table,
                );
                let row = match row_keys.get(&key) {
                    Some(&r) => r,
                    None => {
                        let row = self.row(direction, subject, &mut outcomes);
                        rows.push(row);
                        let r = u32::try_from(rows.len() - 1).unwrap_or(u32::MAX);
                        row_keys.insert(key, r);
                        r
                    }
                };
                if let Some(slot) = rows_of
                    .get_mut(direction.index())
                    .and_then(|v| v.get_mut(s))
                {
                    *slot = row;
                }
            }
        }
        let [ingress_row, egress_row] = rows_of;
        // Combine: cell = egress(src -> dst) ∩ ingress(dst <- src).
        let mut port_sets: Interner<Ports> = Interner::new();
        port_sets.intern(Ports::none());
        port_sets.intern(Ports::all());
        let outcome_ports: Vec<u32> = outcomes
            .items
            .iter()
            .map(|o| port_sets.intern(o.ports.clone()))
            .collect();
        let mut pair_memo: HashMap<(u32, u32), u32> = HashMap::new();
        let mut cells = vec![0u32; n * n];
        let empty = Vec::new();
        for (s, chunk) in cells.chunks_mut(n.max(1)).enumerate().take(n) {
            let erow = egress_row
                .get(s)
                .and_then(|&r| rows.get(r as usize))
                .unwrap_or(&empty);
            for (d, cell) in chunk.iter_mut().enumerate() {
                let irow = ingress_row
                    .get(d)
                    .and_then(|&r| rows.get(r as usize))
                    .unwrap_or(&empty);
                let e = erow
                    .get(d)
                    .and_then(|&o| outcome_ports.get(o as usize))
                    .copied()
                    .unwrap_or(0);
                let i = irow
                    .get(s)
                    .and_then(|&o| outcome_ports.get(o as usize))
                    .copied()
                    .unwrap_or(0);
                *cell = match (e, i) {
                    (0, _) | (_, 0) => 0,
                    (1, x) | (x, 1) => x,
                    (a, b) if a == b => a,
                    (a, b) => *pair_memo.entry((a, b)).or_insert_with(|| {
                        let pa = port_sets.items.get(a as usize).cloned().unwrap_or_default();
                        let pb = port_sets.items.get(b as usize).cloned().unwrap_or_default();
                        port_sets.intern(pa.intersect(&pb))
                    }),
                };
            }
        }
        Matrix {
            size: n,
            outcomes: outcomes.items,
            port_sets: port_sets.items,
            egress_row,
            ingress_row,
            rows,
            cells,
        }
    }

    /// One row: the outcome of `subject`'s `direction` toward every identity.
    fn row(
        &self,
        direction: Direction,
        subject: IdentityId,
        outcomes: &mut Interner<Outcome>,
    ) -> Vec<u32> {
        let n = self.identities.len();
        let list = self.rule_list(subject, direction);
        let rules: Vec<&super::CompiledRule> = list
            .iter()
            .filter_map(|&i| self.rules.get(i as usize))
            .collect();
        let named_dependent =
            direction == Direction::Egress && rules.iter().any(|r| r.fixed_ports.is_none());
        let flat = rules.len() <= FLAT_MEMO_BITS && !named_dependent;
        let mut flat_memo = if flat {
            vec![u32::MAX; 1 << rules.len()]
        } else {
            Vec::new()
        };
        let mut memo: HashMap<(Vec<u64>, u32), u32> = HashMap::new();
        let mut row = Vec::with_capacity(n);
        let mut mask = vec![0u64; rules.len().div_ceil(64)];
        for p in 0..n {
            let peer_id = IdentityId(u32::try_from(p).unwrap_or(u32::MAX));
            let peer = PeerRef::Identity(peer_id);
            mask.iter_mut().for_each(|w| *w = 0);
            let mut named_hit = false;
            for (i, r) in rules.iter().enumerate() {
                if r.matches_peer(self, peer) {
                    if let Some(w) = mask.get_mut(i / 64) {
                        *w |= 1 << (i % 64);
                    }
                    named_hit |= r.fixed_ports.is_none();
                }
            }
            let compute = |outcomes: &mut Interner<Outcome>| {
                let outcome =
                    self.direction_ports_masked(direction, subject, peer, list, |i, _| {
                        mask.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
                    });
                outcomes.intern(outcome)
            };
            let id = if flat {
                let key = mask.first().copied().unwrap_or(0) as usize;
                match flat_memo.get(key) {
                    Some(&v) if v != u32::MAX => v,
                    _ => {
                        let v = compute(outcomes);
                        if let Some(slot) = flat_memo.get_mut(key) {
                            *slot = v;
                        }
                        v
                    }
                }
            } else {
                let table = if named_hit {
                    self.port_table_of(peer_id)
                } else {
                    u32::MAX
                };
                let key = (mask.clone(), table);
                match memo.get(&key) {
                    Some(&v) => v,
                    None => {
                        let v = compute(outcomes);
                        memo.insert(key, v);
                        v
                    }
                }
            };
            row.push(id);
        }
        row
    }

    /// The graph of identities: an edge wherever something is allowed,
    /// carrying the ports and the rules that allowed them.
    pub fn graph(&self, matrix: &Matrix) -> DiGraph<IdentityId, Edge> {
        let n = matrix.size();
        let mut graph = DiGraph::with_capacity(n, matrix.allowed_pairs());
        let nodes: Vec<NodeIndex> = (0..n)
            .map(|i| graph.add_node(IdentityId(u32::try_from(i).unwrap_or(u32::MAX))))
            .collect();
        for (s, &sn) in nodes.iter().enumerate() {
            for (d, &dn) in nodes.iter().enumerate() {
                let (si, di) = (
                    IdentityId(u32::try_from(s).unwrap_or(u32::MAX)),
                    IdentityId(u32::try_from(d).unwrap_or(u32::MAX)),
                );
                if let Some(edge) = matrix.edge(si, di) {
                    graph.add_edge(sn, dn, edge);
                }
            }
        }
        graph
    }

    /// The allowed ports from `src` to `dst` (both ends' policies).
    pub fn allowed_ports(&self, src: IdentityId, dst: IdentityId) -> Ports {
        let egress = self.direction_ports(Direction::Egress, src, PeerRef::Identity(dst));
        if egress.ports.is_empty() {
            return egress.ports;
        }
        let ingress = self.direction_ports(Direction::Ingress, dst, PeerRef::Identity(src));
        egress.ports.intersect(&ingress.ports)
    }

    /// Who can reach `endpoint` and what it can reach.
    pub fn reachability(&self, endpoint: EndpointId) -> Option<Reachability> {
        let me = self.identity_of(endpoint)?;
        let mut inbound = Vec::new();
        let mut outbound = Vec::new();
        for (i, _) in self.catalog.inventory.endpoints.iter().enumerate() {
            let other = EndpointId(u32::try_from(i).ok()?);
            if other == endpoint {
                continue;
            }
            let them = self.identity_of(other)?;
            let to_me = self.allowed_ports(them, me);
            if !to_me.is_empty() {
                inbound.push((other, to_me));
            }
            let from_me = self.allowed_ports(me, them);
            if !from_me.is_empty() {
                outbound.push((other, from_me));
            }
        }
        Some(Reachability {
            endpoint,
            inbound,
            outbound,
        })
    }
}
