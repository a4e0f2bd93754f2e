//! What a change of policies opens and closes: the connectivity of two
//! clusters (the policies before and after, usually over one inventory)
//! compared per ordered pair of ends and per port.
//!
//! - Ends are the inventory's endpoints, matched by their full name
//!   (`ns/name[Kind]`), and IPv4 ranges outside the cluster
//!   (`first-last[External]`), as in connectivity lists. The address space
//!   is cut at every block either side's policies name, so that each piece
//!   is judged whole by both; adjacent pieces that changed alike are
//!   printed as one range.
//! - An opened path is explained by the rules that allow it after the
//!   change; a closed path by the rules that deny it after the change, or
//!   by nothing when one of its ends is gone (listed in
//!   [`PolicyDiff::workloads`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};

use crate::connlist::{self, Cuts, End};
use crate::inventory::EndpointId;
use crate::paths::{self, Explain, PathFinding, push_findings};
use crate::policy::Direction;
use crate::ports::Ports;
use crate::resolver::{FlowEnd, IdentityId, Resolver};

/// The ports one ordered pair of ends allowed before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The source, as connectivity lists name it.
    pub src: String,
    /// The destination, as connectivity lists name it.
    pub dst: String,
    /// What was allowed before the change (empty: nothing).
    pub before: Ports,
    /// What is allowed after the change (empty: nothing).
    pub after: Ports,
}

impl Change {
    /// The ports allowed after and not before.
    pub fn opened(&self) -> Ports {
        self.after.subtract(&self.before)
    }

    /// The ports allowed before and not after.
    pub fn closed(&self) -> Ports {
        self.before.subtract(&self.after)
    }
}

/// What a change of policies opens and closes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDiff {
    /// Every pair of ends whose allowed ports changed, sorted by source
    /// then destination.
    pub changes: Vec<Change>,
    /// The paths opened, one per pair, protocol and port range, with the
    /// rules that allow them after the change.
    pub opened: Vec<PathFinding>,
    /// The paths closed, one per pair, protocol and port range, with the
    /// rules that deny them after the change.
    pub closed: Vec<PathFinding>,
    /// The endpoints only one side holds (the topology changed too).
    pub workloads: Workloads,
}

impl PolicyDiff {
    /// `true` when the change opens and closes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The diff as JSON: `{"opened": [{from, to, protocol, port,
    /// allowed_by}], "closed": [{from, to, protocol, port, denied_by}],
    /// "workloads": {"added": [...], "removed": [...]}}`, `port` `null` for
    /// every port and `end_port` for a range.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "opened": paths::to_json(&self.opened, "allowed_by"),
            "closed": paths::to_json(&self.closed, "denied_by"),
            "workloads": self.workloads,
        })
    }
}

/// The endpoints (`ns/name[Kind]`) only one side of a diff holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Workloads {
    /// Only after the change: what they may reach, and what may reach
    /// them, is opened.
    pub added: Vec<String>,
    /// Only before the change: their paths are closed, without reasons.
    pub removed: Vec<String>,
}

/// Compares the connectivity `before` and `after` a change of policies.
/// Only what changed is kept: the two matrices are walked side by side.
pub fn diff(before: &Resolver, after: &Resolver) -> PolicyDiff {
    let cuts: Cuts = Direction::BOTH.map(|d| {
        let mut intervals = connlist::policy_intervals(before, d);
        intervals.extend(connlist::policy_intervals(after, d));
        connlist::pieces(&intervals)
    });
    let ends = endpoint_ends(before, after);
    let (was, is) = (before.matrix(), after.matrix());
    let none = Ports::none();
    let mut changed = Vec::new();
    for (a, a_was, a_is) in &ends {
        for (b, b_was, b_is) in &ends {
            if a == b {
                continue;
            }
            let old = a_was.zip(*b_was).map_or(&none, |(x, y)| was.ports(x, y));
            let new = a_is.zip(*b_is).map_or(&none, |(x, y)| is.ports(x, y));
            if old != new {
                let key = (End::Endpoint(a.clone()), End::Endpoint(b.clone()));
                changed.push((key, old.clone(), new.clone()));
            }
        }
    }
    // Addresses outside the cluster, piece by piece, once per pair of
    // identities (before, after).
    for (direction, pieces) in Direction::BOTH.into_iter().zip(&cuts) {
        for &(lo, hi) in pieces {
            let ports = |r: &Resolver, id: Option<IdentityId>| {
                id.map_or_else(Ports::none, |id| r.external_ports(direction, id, lo, hi))
            };
            let mut seen: HashMap<Sides, Option<(Ports, Ports)>> = HashMap::new();
            for (name, id_was, id_is) in &ends {
                let change = seen.entry((*id_was, *id_is)).or_insert_with(|| {
                    let (old, new) = (ports(before, *id_was), ports(after, *id_is));
                    (old != new).then_some((old, new))
                });
                let Some((old, new)) = change.clone() else {
                    continue;
                };
                let (outside, inside) = (End::External(lo, hi), End::Endpoint(name.clone()));
                changed.push(match direction {
                    Direction::Ingress => ((outside, inside), old, new),
                    Direction::Egress => ((inside, outside), old, new),
                });
            }
        }
    }
    let mut out = PolicyDiff {
        changes: merge_ranges(changed),
        ..PolicyDiff::default()
    };
    let names = |r: &Resolver| -> BTreeSet<String> {
        r.catalog()
            .inventory
            .endpoints
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let (old, new) = (names(before), names(after));
    out.workloads = Workloads {
        added: new.difference(&old).cloned().collect(),
        removed: old.difference(&new).cloned().collect(),
    };
    for change in &out.changes {
        let ends = (change.src.as_str(), change.dst.as_str());
        let explained = flow_in(after, change).map(|(src, dst)| paths::decisive(after, src, dst));
        let explain: Explain<'_> = match &explained {
            Some(explain) => explain,
            None => &paths::unexplained,
        };
        push_findings(&mut out.opened, ends, &change.opened(), explain);
        push_findings(&mut out.closed, ends, &change.closed(), explain);
    }
    paths::sort(&mut out.opened);
    paths::sort(&mut out.closed);
    out
}

/// An endpoint's identity before and after the change.
type Sides = (Option<IdentityId>, Option<IdentityId>);

/// Every endpoint of either side by name, with its identity before and
/// after (`None` where that side does not hold it).
fn endpoint_ends(
    before: &Resolver,
    after: &Resolver,
) -> Vec<(String, Option<IdentityId>, Option<IdentityId>)> {
    let mut ends: BTreeMap<String, Sides> = BTreeMap::new();
    for (side, resolver) in [before, after].into_iter().enumerate() {
        for (i, e) in resolver.catalog().inventory.endpoints.iter().enumerate() {
            let id = u32::try_from(i)
                .ok()
                .and_then(|i| resolver.identity_of(EndpointId(i)));
            let cell = ends.entry(e.to_string()).or_default();
            if side == 0 {
                cell.0 = id;
            } else {
                cell.1 = id;
            }
        }
    }
    ends.into_iter()
        .map(|(name, (b, a))| (name, b, a))
        .collect()
}

/// The change's ends in `resolver`, when it holds both.
fn flow_in(resolver: &Resolver, change: &Change) -> Option<(FlowEnd, FlowEnd)> {
    let end = |name: &str| match name.strip_suffix("[External]") {
        Some(range) => {
            let first = range.split_once('-').map_or(range, |(lo, _)| lo);
            first
                .parse::<Ipv4Addr>()
                .ok()
                .map(|ip| FlowEnd::Ip(IpAddr::V4(ip)))
        }
        None => resolver.flow_end(name),
    };
    Some((end(&change.src)?, end(&change.dst)?))
}

/// Names the changes, merging adjacent External ranges that changed alike
/// toward (or from) the same endpoint.
fn merge_ranges(changed: Vec<((End, End), Ports, Ports)>) -> Vec<Change> {
    // (endpoint, the range is the source, first, last, before, after)
    let mut ranges: Vec<(String, bool, u32, u32, Ports, Ports)> = Vec::new();
    let mut out = Vec::new();
    for ((src, dst), before, after) in changed {
        match (src, dst) {
            (End::External(lo, hi), End::Endpoint(e)) => {
                ranges.push((e, true, lo, hi, before, after));
            }
            (End::Endpoint(e), End::External(lo, hi)) => {
                ranges.push((e, false, lo, hi, before, after));
            }
            (src, dst) => out.push(Change {
                src: src.list_name(),
                dst: dst.list_name(),
                before,
                after,
            }),
        }
    }
    ranges.sort_by(|x, y| (&x.0, x.1, x.2).cmp(&(&y.0, y.1, y.2)));
    let mut merged: Vec<(String, bool, u32, u32, Ports, Ports)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last)
                if last.0 == r.0
                    && last.1 == r.1
                    && u64::from(last.3) + 1 == u64::from(r.2)
                    && last.4 == r.4
                    && last.5 == r.5 =>
            {
                last.3 = r.3;
            }
            _ => merged.push(r),
        }
    }
    for (endpoint, from_outside, lo, hi, before, after) in merged {
        let range = End::External(lo, hi).list_name();
        let (src, dst) = if from_outside {
            (range, endpoint)
        } else {
            (endpoint, range)
        };
        out.push(Change {
            src,
            dst,
            before,
            after,
        });
    }
    out.sort_by(|a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));
    out
}
