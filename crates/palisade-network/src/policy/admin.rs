//! `AdminNetworkPolicy` and `BaselineAdminNetworkPolicy`
//! (`policy.networking.k8s.io/v1alpha1`), and their successor
//! `ClusterNetworkPolicy` (`policy.networking.k8s.io/v1alpha2`, tiers
//! `Admin` and `Baseline`), into the common model.
//!
//! The two API versions share subjects and pod/namespace peers; they differ
//! in the action names (`Allow` / `Accept`), the port lists (`ports` /
//! `protocols`), and the peers outside the cluster: v1alpha2 `networks`
//! also select pods whose IP falls in them ([`Peer::Network`]), `nodes`
//! select node addresses ([`Peer::Nodes`]) and `domainNames` are FQDN peers.

use palisade_core::Manifest;
use serde_json::Value as Json;

use super::{
    Action, CidrBlock, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind, Rule,
    parse_cidr,
};
use crate::issues::{Issues, Origin, check_keys};
use crate::json;
use crate::labels::{Selector, parse_selector, parse_selector_with};
use crate::ports::{PortRange, PortSpec, Protocol};

/// Reads one `ClusterNetworkPolicy` (`policy.networking.k8s.io/v1alpha2`).
pub fn parse_cluster_network_policy(
    m: &Manifest,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Policy> {
    let spec = m.object.get("spec").and_then(Json::as_object);
    let kind = match spec.and_then(|s| s.get("tier")).and_then(Json::as_str) {
        Some("Admin") => PolicyKind::AdminClusterNetworkPolicy,
        Some("Baseline") => PolicyKind::BaselineClusterNetworkPolicy,
        other => {
            let message = match other {
                Some(t) => format!("unknown tier `{t}` (expected Admin or Baseline)"),
                None => "a ClusterNetworkPolicy needs a `tier`: Admin or Baseline".to_owned(),
            };
            let field = if spec.is_some() { "spec.tier" } else { "spec" };
            issues.invalid(origin, field, &message);
            return None;
        }
    };
    parse_admin_policy(m, kind, origin, issues)
}

/// The lowest and highest `priority` of a ClusterNetworkPolicy.
const CNP_PRIORITY: std::ops::RangeInclusive<i64> = 0..=1000;

/// Reads one `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy` (a
/// singleton named `default`), as `kind` says; [`parse_cluster_network_policy`]
/// reads the v1alpha2 kind through the same code.
pub fn parse_admin_policy(
    m: &Manifest,
    kind: PolicyKind,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Policy> {
    let Some(name) = m.name() else {
        issues.invalid(origin, "metadata.name", &format!("a {kind} needs a name"));
        return None;
    };
    let Some(spec) = m.object.get("spec").and_then(Json::as_object) else {
        issues.invalid(origin, "spec", &format!("a {kind} needs a `spec` mapping"));
        return None;
    };
    let v2 = kind.is_cluster_network_policy();
    let admin = matches!(
        kind,
        PolicyKind::AdminNetworkPolicy | PolicyKind::AdminClusterNetworkPolicy
    );
    if v2 {
        check_keys(
            spec,
            &["tier", "priority", "subject", "ingress", "egress"],
            "spec",
            origin,
            issues,
        );
    } else if admin {
        check_keys(
            spec,
            &["priority", "subject", "ingress", "egress"],
            "spec",
            origin,
            issues,
        );
    } else {
        check_keys(
            spec,
            &["subject", "ingress", "egress"],
            "spec",
            origin,
            issues,
        );
        if name != "default" {
            issues.invalid(
                origin,
                "metadata.name",
                "a BaselineAdminNetworkPolicy must be named `default`; it is applied anyway",
            );
        }
    }
    let priority = if admin || v2 {
        match spec.get("priority").and_then(Json::as_i64) {
            Some(p) if v2 && !CNP_PRIORITY.contains(&p) => {
                issues.invalid(
                    origin,
                    "spec.priority",
                    &format!("priority {p} is outside 0-1000; the policy is not applied"),
                );
                return None;
            }
            Some(p) => i32::try_from(p).unwrap_or(i32::MAX),
            None => {
                issues.invalid(
                    origin,
                    "spec.priority",
                    if v2 {
                        "a ClusterNetworkPolicy needs an integer `priority` in 0-1000; the policy is not applied"
                    } else {
                        "an AdminNetworkPolicy needs an integer `priority`"
                    },
                );
                if v2 {
                    return None;
                }
                i32::MAX
            }
        }
    } else {
        0
    };
    let Some(subject) = spec
        .get("subject")
        .and_then(|s| parse_subject(s, "spec.subject", origin, issues))
    else {
        issues.invalid(
            origin,
            "spec.subject",
            "a `subject` with `namespaces` or `pods` is required",
        );
        return None;
    };
    let mut rules = Vec::new();
    for (direction, key, peers_key) in [
        (Direction::Ingress, "ingress", "from"),
        (Direction::Egress, "egress", "to"),
    ] {
        let list = match spec.get(key) {
            None | Some(Json::Null) => continue,
            Some(Json::Array(list)) => list,
            Some(_) => {
                issues.invalid(origin, &format!("spec.{key}"), "must be a sequence");
                continue;
            }
        };
        for (i, item) in list.iter().enumerate() {
            let path = format!("spec.{key}[{i}]");
            let Some(item) = issues.mapping(item, origin, &path, "a rule") else {
                continue;
            };
            let ports_key = if v2 { "protocols" } else { "ports" };
            check_keys(
                item,
                &["name", "action", peers_key, ports_key],
                &path,
                origin,
                issues,
            );
            let action = match (item.get("action").and_then(Json::as_str), v2) {
                (Some("Allow"), false) | (Some("Accept"), true) => Action::Allow,
                (Some("Deny"), _) => Action::Deny,
                (Some("Pass"), _) if admin || v2 => Action::Pass,
                (other, _) => {
                    issues.invalid(
                        origin,
                        &format!("{path}.action"),
                        &format!(
                            "unknown action `{}` (expected {})",
                            other.unwrap_or_default(),
                            match (v2, admin) {
                                (true, _) => "Accept, Deny or Pass",
                                (false, true) => "Allow, Deny or Pass",
                                (false, false) => "Allow or Deny",
                            }
                        ),
                    );
                    continue;
                }
            };
            let peer_list = item.get(peers_key);
            if v2 && !matches!(peer_list, Some(Json::Array(list)) if !list.is_empty()) {
                issues.invalid(
                    origin,
                    &format!("{path}.{peers_key}"),
                    &format!(
                        "a rule needs a non-empty `{peers_key}` list; the rule is not applied"
                    ),
                );
                continue;
            }
            let mut peers = Vec::new();
            for (j, p) in json::items(peer_list).enumerate() {
                let at = format!("{path}.{peers_key}[{j}]");
                let dialect = v2.then_some(action);
                peers.extend(parse_peer(p, &at, direction, dialect, origin, issues));
            }
            let ports = if v2 {
                parse_protocols(item, &path, origin, issues)
            } else {
                super::parse_port_list(item, "ports", &path, PORT_KEYS, port, origin, issues)
            };
            rules.push(Rule {
                direction,
                action,
                name: item.get("name").and_then(Json::as_str).map(str::to_owned),
                path,
                peers: Some(peers),
                ports,
                l7: None,
            });
        }
    }
    Some(Policy {
        kind,
        name: name.to_owned(),
        namespace: None,
        priority,
        subject,
        isolates: [false, false],
        rules,
        origin: origin.clone(),
    })
}

/// `{namespaces: sel}` or `{pods: {namespaceSelector, podSelector}}`.
fn parse_subject(
    value: &Json,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<EndpointSelector> {
    let object = value.as_object()?;
    check_keys(object, &["namespaces", "pods"], path, origin, issues);
    if let Some(ns) = object.get("namespaces") {
        return Some(EndpointSelector {
            namespaces: NamespaceScope::Selector(parse_selector(
                ns,
                &format!("{path}.namespaces"),
                origin,
                issues,
            )),
            pods: Selector::everything(),
        });
    }
    let pods = object.get("pods")?;
    Some(parse_pods(pods, &format!("{path}.pods"), origin, issues))
}

fn parse_pods(pods: &Json, path: &str, origin: &Origin, issues: &mut Issues) -> EndpointSelector {
    if let Some(object) = pods.as_object() {
        check_keys(
            object,
            &["namespaceSelector", "podSelector"],
            path,
            origin,
            issues,
        );
    }
    let namespaces = pods
        .get("namespaceSelector")
        .map(|s| parse_selector(s, &format!("{path}.namespaceSelector"), origin, issues))
        .unwrap_or_default();
    let selector = pods
        .get("podSelector")
        .map(|s| parse_selector(s, &format!("{path}.podSelector"), origin, issues))
        .unwrap_or_default();
    EndpointSelector {
        namespaces: NamespaceScope::Selector(namespaces),
        pods: selector,
    }
}

/// One peer of a rule. `v2` is the ClusterNetworkPolicy dialect, where
/// `action` is the rule's (`domainNames` only go with `Accept`).
fn parse_peer(
    peer: &Json,
    path: &str,
    direction: Direction,
    v2: Option<Action>,
    origin: &Origin,
    issues: &mut Issues,
) -> Vec<Peer> {
    let Some(object) = issues.mapping(peer, origin, path, "a peer") else {
        return Vec::new();
    };
    let allowed: &[&str] = match (direction, v2.is_some()) {
        (Direction::Ingress, _) => &["namespaces", "pods"],
        (Direction::Egress, false) => &["namespaces", "pods", "networks", "nodes"],
        (Direction::Egress, true) => &["namespaces", "pods", "networks", "nodes", "domainNames"],
    };
    check_keys(object, allowed, path, origin, issues);
    if v2.is_some()
        && object
            .keys()
            .filter(|k| allowed.contains(&k.as_str()))
            .count()
            != 1
    {
        let expected = allowed.join("`, `");
        issues.invalid(
            origin,
            path,
            &format!("a peer needs exactly one of `{expected}`; the peer is not applied"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(ns) = object.get("namespaces") {
        if let Some(map) = ns.as_object()
            && (map.contains_key("sameLabels") || map.contains_key("notSameLabels"))
        {
            issues.unsupported(
                origin,
                &format!("{path}.namespaces"),
                "`sameLabels`/`notSameLabels` (older ANP drafts) are not supported",
            );
        }
        out.push(Peer::Endpoints(EndpointSelector {
            namespaces: NamespaceScope::Selector(parse_selector_with(
                ns,
                &format!("{path}.namespaces"),
                origin,
                issues,
                &["sameLabels", "notSameLabels"],
            )),
            pods: Selector::everything(),
        }));
    }
    if let Some(pods) = object.get("pods") {
        out.push(Peer::Endpoints(parse_pods(
            pods,
            &format!("{path}.pods"),
            origin,
            issues,
        )));
    }
    if direction == Direction::Ingress {
        return out;
    }
    match (object.get("nodes"), v2) {
        (Some(nodes), Some(_)) => out.push(Peer::Nodes(parse_selector(
            nodes,
            &format!("{path}.nodes"),
            origin,
            issues,
        ))),
        (Some(_), None) => issues.ignored(
            origin,
            &format!("{path}.nodes"),
            "`nodes` peers are not modelled (nodes are not endpoints here); they match nothing",
        ),
        (None, _) => {}
    }
    for (i, n) in json::items(object.get("networks")).enumerate() {
        match n.as_str().and_then(parse_cidr) {
            Some(cidr) => {
                let block = CidrBlock {
                    cidr,
                    except: Vec::new(),
                };
                out.push(if v2.is_some() {
                    Peer::Network(block)
                } else {
                    Peer::Cidr(block)
                });
            }
            None => issues.invalid(origin, &format!("{path}.networks[{i}]"), "not a CIDR"),
        }
    }
    if let Some(names) = object.get("domainNames") {
        if v2 != Some(Action::Allow) {
            issues.invalid(
                origin,
                &format!("{path}.domainNames"),
                "`domainNames` peers are only allowed in `Accept` rules; the peer is not applied",
            );
            return out;
        }
        for (i, name) in json::items(Some(names)).enumerate() {
            match name.as_str().filter(|n| !n.is_empty()) {
                Some(n) => out.push(Peer::Fqdn(crate::domains::from_subdomain_wildcard(n))),
                None => issues.invalid(
                    origin,
                    &format!("{path}.domainNames[{i}]"),
                    "a domain name must be a non-empty string",
                ),
            }
        }
    }
    out
}

/// The `protocols` list of a ClusterNetworkPolicy rule: every port when
/// absent.
fn parse_protocols(
    rule: &json::Object,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Vec<PortSpec> {
    super::parse_port_list(
        rule,
        "protocols",
        path,
        &["tcp", "udp", "sctp", "destinationNamedPort"],
        protocol_entry,
        origin,
        issues,
    )
}

/// One entry of a ClusterNetworkPolicy rule's `protocols`: `{tcp|udp|sctp:
/// {destinationPort: {number | range}}}` or `{destinationNamedPort: name}`.
fn protocol_entry(
    at: &str,
    object: &json::Object,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<PortSpec> {
    if object.len() != 1 {
        issues.invalid(
            origin,
            at,
            "an entry needs exactly one of `tcp`, `udp`, `sctp`, `destinationNamedPort`",
        );
        return None;
    }
    if let Some(name) = object.get("destinationNamedPort") {
        return match name.as_str().filter(|n| !n.is_empty()) {
            Some(name) => Some(PortSpec::Named {
                name: name.to_owned(),
                protocol: None,
            }),
            None => {
                issues.invalid(
                    origin,
                    &format!("{at}.destinationNamedPort"),
                    "a named port must be a non-empty string",
                );
                None
            }
        };
    }
    let (key, body) = object.iter().next()?;
    let protocol = Protocol::parse(key)?;
    let at = format!("{at}.{key}");
    let body = match body {
        Json::Null => return Some(PortSpec::Protocol(protocol)),
        other => issues.mapping(other, origin, &at, "a protocol entry")?,
    };
    check_keys(body, &["destinationPort"], &at, origin, issues);
    let Some(port) = body.get("destinationPort").filter(|p| !p.is_null()) else {
        return Some(PortSpec::Protocol(protocol));
    };
    let at = format!("{at}.destinationPort");
    let port = issues.mapping(port, origin, &at, "a destination port")?;
    check_keys(port, &["number", "range"], &at, origin, issues);
    let (start, end, field) = match (port.get("number"), port.get("range")) {
        (Some(n), None) => (n, n, format!("{at}.number")),
        (None, Some(r)) => (
            r.get("start").unwrap_or(&Json::Null),
            r.get("end").unwrap_or(&Json::Null),
            format!("{at}.range"),
        ),
        _ => {
            issues.invalid(origin, &at, "needs exactly one of `number` and `range`");
            return None;
        }
    };
    let bounds = (Some(start), Some(end));
    let message = "ports must be in 1-65535 (a range needs `start` <= `end`)";
    checked_range(protocol, bounds, (&field, message), origin, issues)
}

/// The range `start..=end` of `protocol` when both are port numbers in
/// order; otherwise reports `message` at `field` and gives `None`.
fn checked_range(
    protocol: Protocol,
    (start, end): (Option<&Json>, Option<&Json>),
    (field, message): (&str, &str),
    origin: &Origin,
    issues: &mut Issues,
) -> Option<PortSpec> {
    match (super::port_number(start), super::port_number(end)) {
        (Some(start), Some(end)) if start <= end => Some(PortSpec::Range(PortRange {
            protocol,
            start,
            end,
        })),
        _ => {
            issues.invalid(origin, field, message);
            None
        }
    }
}

/// The keys of a `ports` entry.
const PORT_KEYS: &[&str] = &["portNumber", "portRange", "namedPort"];

/// One entry of an admin policy's `ports` list.
fn port(at: &str, object: &json::Object, origin: &Origin, issues: &mut Issues) -> Option<PortSpec> {
    if let Some(pn) = object.get("portNumber") {
        let protocol = super::parse_protocol(pn.get("protocol"), at, origin, issues)?;
        let port = super::port_number(pn.get("port"));
        if port.is_none() {
            issues.invalid(
                origin,
                &format!("{at}.portNumber.port"),
                "a port number must be in 1-65535",
            );
        }
        port.map(|port| {
            PortSpec::Range(PortRange {
                protocol,
                start: port,
                end: port,
            })
        })
    } else if let Some(pr) = object.get("portRange") {
        let protocol = super::parse_protocol(pr.get("protocol"), at, origin, issues)?;
        let field = format!("{at}.portRange");
        let message = "needs `start` <= `end`, both in 1-65535";
        checked_range(
            protocol,
            (pr.get("start"), pr.get("end")),
            (&field, message),
            origin,
            issues,
        )
    } else if let Some(name) = object.get("namedPort").and_then(Json::as_str) {
        Some(PortSpec::Named {
            name: name.to_owned(),
            protocol: None,
        })
    } else {
        issues.invalid(
            origin,
            at,
            "expected `portNumber`, `portRange` or `namedPort`",
        );
        None
    }
}
