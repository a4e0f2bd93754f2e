//! `diff` on pairs of netpol-analyzer corpus directories (one topology with
//! two sets of policies, or two topologies): what it says opened and closed
//! equals the difference of netpol-analyzer's golden connectivity lists of
//! the two directories, address range by address range and port by port.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "the helpers read the goldens: a failing test is the point"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;

use palisade_network::diff::{PolicyDiff, diff};
use palisade_network::ports::{Ports, Protocol};
use palisade_network::{Issues, Resolver};

/// Before and after: the semanticDiff pairs netpol-analyzer's own diff
/// tests use, and policy changes of one topology (rules swapped, a Pass
/// sent to the baseline, a named port changed, IP blocks changed).
const PAIRS: [(&str, &str); 13] = [
    (
        "semanticDiff-same-topologies-new1",
        "semanticDiff-same-topologies-new1a",
    ),
    (
        "semanticDiff-same-topologies-new1a",
        "semanticDiff-same-topologies-new1",
    ),
    (
        "semanticDiff-different-topologies-policy-a-with-ipblock",
        "semanticDiff-different-topologies-policy-b-with-ipblock",
    ),
    (
        "semanticDiff-different-topologies-policy-b",
        "semanticDiff-different-topologies-policy-b-with-ipblock",
    ),
    (
        "semanticDiff-orig-topologies-policy-a",
        "semanticDiff-different-topologies-policy-a-with-ipblock",
    ),
    ("anp_test_6", "anp_test_6_swapping_rules"),
    ("anp_test_7", "anp_test_7_swapping_rules"),
    ("anp_test_10", "anp_test_10_swapping_rules"),
    ("anp_test_4", "anp_test_4_with_priority_chang_pass_to_banp"),
    (
        "banp_test_core_egress_tcp_rules",
        "banp_test_core_egress_tcp_swapping_rules",
    ),
    (
        "test_with_named_ports",
        "test_with_named_ports_changed_netpol",
    ),
    ("ipblockstest", "ipblockstest_2"),
    (
        "anp_and_banp_using_networks_test",
        "anp_and_banp_using_networks_and_nodes_test",
    ),
];

fn resolver(dir: &Path) -> Resolver {
    let report = palisade_core::manifest::load_paths(&[dir]);
    let mut issues = Issues::default();
    Resolver::from_manifests(&report.objects, &mut issues)
}

/// A connection string of a golden (`All Connections`, `TCP 80,UDP 53-60`).
fn parse_conn(text: &str) -> Ports {
    if text == "All Connections" {
        return Ports::all();
    }
    let mut ports = Ports::none();
    let mut protocol = None;
    for token in text.split(',') {
        let number = match token.split_once(' ') {
            Some((p, rest)) => {
                protocol = Protocol::parse(p);
                rest
            }
            None => token,
        };
        let protocol = protocol.unwrap_or_else(|| panic!("no protocol in `{text}`"));
        let (lo, hi) = number.split_once('-').unwrap_or((number, number));
        ports = ports.union(&Ports::range(
            protocol,
            lo.parse().unwrap(),
            hi.parse().unwrap(),
        ));
    }
    ports
}

/// An end: an endpoint's name, or an External range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Endpoint(String),
    External(u32, u32),
}

fn parse_end(name: &str) -> End {
    match name.strip_suffix("[External]") {
        Some(range) => {
            let (lo, hi) = range.split_once('-').unwrap();
            let ip = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap());
            End::External(ip(lo), ip(hi))
        }
        None => End::Endpoint(name.to_owned()),
    }
}

type Atoms = BTreeMap<(End, End), Ports>;

/// The pieces of `end` at `cuts` (an endpoint is one piece).
fn split(end: &End, cuts: &BTreeSet<u64>) -> Vec<End> {
    match end {
        End::Endpoint(_) => vec![end.clone()],
        End::External(lo, hi) => {
            let inner: Vec<u64> = if lo < hi {
                cuts.range(u64::from(*lo) + 1..=u64::from(*hi))
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
            let mut starts = vec![u64::from(*lo)];
            starts.extend(inner);
            let mut out = Vec::new();
            for (i, s) in starts.iter().enumerate() {
                let e = starts.get(i + 1).map_or(u64::from(*hi), |n| n - 1);
                out.push(End::External(
                    u32::try_from(*s).unwrap(),
                    u32::try_from(e).unwrap(),
                ));
            }
            out
        }
    }
}

fn atomize(lines: &[(End, End, Ports)], cuts: &BTreeSet<u64>) -> Atoms {
    let mut atoms = Atoms::new();
    for (src, dst, ports) in lines {
        for s in split(src, cuts) {
            for d in split(dst, cuts) {
                let cell = atoms.entry((s.clone(), d)).or_insert_with(Ports::none);
                *cell = cell.union(ports);
            }
        }
    }
    atoms
}

fn golden(root: &Path, dir: &str) -> Vec<(End, End, Ports)> {
    let path = root
        .join("test_outputs/connlist")
        .join(format!("{dir}_connlist_output.txt"));
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (ends, conn) = line.split_once(" : ").unwrap();
            let (src, dst) = ends.split_once(" => ").unwrap();
            (parse_end(src), parse_end(dst), parse_conn(conn))
        })
        .collect()
}

fn cuts_of<'a>(ends: impl Iterator<Item = &'a End>) -> BTreeSet<u64> {
    let mut cuts = BTreeSet::new();
    for end in ends {
        if let End::External(lo, hi) = end {
            cuts.insert(u64::from(*lo));
            cuts.insert(u64::from(*hi) + 1);
        }
    }
    cuts
}

/// The opened (or closed) findings of one pair, as a port set.
fn findings_ports(found: &[palisade_network::paths::PathFinding], src: &str, dst: &str) -> Ports {
    found
        .iter()
        .filter(|f| f.from == src && f.to == dst)
        .fold(Ports::none(), |acc, f| {
            let (lo, hi) = f
                .ports
                .clone()
                .map_or((1, u16::MAX), |r| (*r.start(), *r.end()));
            acc.union(&Ports::range(f.protocol, lo, hi))
        })
}

/// Checks one pair; returns how many pairs of ends changed.
fn check_pair(root: &Path, before: &str, after: &str) -> Result<usize, String> {
    let tests = root.join("tests");
    let found: PolicyDiff = diff(
        &resolver(&tests.join(before)),
        &resolver(&tests.join(after)),
    );
    let (was, is) = (golden(root, before), golden(root, after));
    let ours: Vec<(End, End, Ports, Ports)> = found
        .changes
        .iter()
        .map(|c| {
            (
                parse_end(&c.src),
                parse_end(&c.dst),
                c.before.clone(),
                c.after.clone(),
            )
        })
        .collect();
    let cuts = cuts_of(
        was.iter()
            .chain(&is)
            .flat_map(|(s, d, _)| [s, d])
            .chain(ours.iter().flat_map(|(s, d, _, _)| [s, d])),
    );
    let (was_atoms, is_atoms) = (atomize(&was, &cuts), atomize(&is, &cuts));
    let none = Ports::none();
    let mut expected = BTreeMap::new();
    for key in was_atoms.keys().chain(is_atoms.keys()) {
        let (b, a) = (
            was_atoms.get(key).unwrap_or(&none),
            is_atoms.get(key).unwrap_or(&none),
        );
        if b != a {
            expected.insert(key.clone(), (b.clone(), a.clone()));
        }
    }
    let mut actual = BTreeMap::new();
    for (src, dst, b, a) in &ours {
        for s in split(src, &cuts) {
            for d in split(dst, &cuts) {
                actual.insert((s.clone(), d), (b.clone(), a.clone()));
            }
        }
    }
    if actual != expected {
        let missing: Vec<_> = expected
            .iter()
            .filter(|(k, _)| !actual.contains_key(*k))
            .take(3)
            .collect();
        let wrong: Vec<_> = actual
            .iter()
            .filter(|(k, v)| expected.get(*k) != Some(*v))
            .take(3)
            .collect();
        return Err(format!(
            "{before} -> {after}: {} changes expected, {} found; missing {missing:?}; wrong or extra {wrong:?}",
            expected.len(),
            actual.len()
        ));
    }
    // The findings list exactly the opened and closed ports of each change.
    for c in &found.changes {
        let opened = findings_ports(&found.opened, &c.src, &c.dst);
        let closed = findings_ports(&found.closed, &c.src, &c.dst);
        if opened != c.opened() || closed != c.closed() {
            return Err(format!(
                "{before} -> {after}: {} => {}: findings open {opened} close {closed}, the change opens {} and closes {}",
                c.src,
                c.dst,
                c.opened(),
                c.closed()
            ));
        }
    }
    Ok(found.changes.len())
}

#[test]
fn diffs_equal_the_difference_of_the_goldens() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let mut failures = Vec::new();
    let mut unchanged = Vec::new();
    for (before, after) in PAIRS {
        match check_pair(&root, before, after) {
            Ok(0) => unchanged.push(before),
            Ok(_) => {}
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every pair changes something: an empty diff would pass vacuously.
    assert!(unchanged.is_empty(), "nothing changed from {unchanged:?}");
}

#[test]
fn other_policies_with_the_same_connectivity_change_nothing() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    // old3 and new3 differ in their policies, not in what they allow.
    let (before, after) = (
        "semanticDiff-same-topologies-old3",
        "semanticDiff-same-topologies-new3",
    );
    let tests = root.join("tests");
    let policies = |d: &str| {
        let file = format!("{}.yaml", d.rsplit('-').next().unwrap());
        std::fs::read_to_string(tests.join(d).join(file)).unwrap()
    };
    assert_ne!(policies(before), policies(after));
    assert_eq!(check_pair(&root, before, after), Ok(0));
}

#[test]
fn a_cluster_diffed_with_itself_changes_nothing() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let r = resolver(&root.join("tests/onlineboutique"));
    let found = diff(&r, &r);
    assert!(found.is_empty(), "{:?}", found.changes.first());
    assert!(found.opened.is_empty() && found.closed.is_empty());
}
