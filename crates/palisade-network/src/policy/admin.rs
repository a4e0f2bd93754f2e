//! `AdminNetworkPolicy` and `BaselineAdminNetworkPolicy`
//! (`policy.networking.k8s.io/v1alpha1`) into the common model.

use palisade_core::Manifest;
use serde_json::Value as Json;

use super::{
    Action, CidrBlock, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind, Rule,
    parse_cidr,
};
use crate::issues::{Issues, Origin, check_keys};
use crate::labels::{Selector, parse_selector, parse_selector_with};
use crate::ports::{PortRange, PortSpec, Protocol};

/// Reads one `AdminNetworkPolicy`.
pub fn parse_admin_network_policy(
    m: &Manifest,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Policy> {
    parse(m, PolicyKind::AdminNetworkPolicy, origin, issues)
}

/// Reads one `BaselineAdminNetworkPolicy` (a singleton named `default`).
pub fn parse_baseline_admin_network_policy(
    m: &Manifest,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Policy> {
    parse(m, PolicyKind::BaselineAdminNetworkPolicy, origin, issues)
}

fn parse(m: &Manifest, kind: PolicyKind, origin: &Origin, issues: &mut Issues) -> Option<Policy> {
    let Some(name) = m.name() else {
        issues.invalid(origin, "metadata.name", &format!("a {kind} needs a name"));
        return None;
    };
    let Some(spec) = m.object.get("spec").and_then(Json::as_object) else {
        issues.invalid(origin, "spec", &format!("a {kind} needs a `spec` mapping"));
        return None;
    };
    let admin = kind == PolicyKind::AdminNetworkPolicy;
    if admin {
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
    let priority = if admin {
        match spec.get("priority").and_then(Json::as_i64) {
            Some(p) => i32::try_from(p).unwrap_or(i32::MAX),
            None => {
                issues.invalid(
                    origin,
                    "spec.priority",
                    "an AdminNetworkPolicy needs an integer `priority`",
                );
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
            let Some(item) = item.as_object() else {
                issues.invalid(origin, &path, "a rule must be a mapping");
                continue;
            };
            check_keys(
                item,
                &["name", "action", peers_key, "ports"],
                &path,
                origin,
                issues,
            );
            let action = match item.get("action").and_then(Json::as_str) {
                Some("Allow") => Action::Allow,
                Some("Deny") => Action::Deny,
                Some("Pass") if admin => Action::Pass,
                other => {
                    issues.invalid(
                        origin,
                        &format!("{path}.action"),
                        &format!(
                            "unknown action `{}` (expected {})",
                            other.unwrap_or_default(),
                            if admin {
                                "Allow, Deny or Pass"
                            } else {
                                "Allow or Deny"
                            }
                        ),
                    );
                    continue;
                }
            };
            let mut peers = Vec::new();
            for (j, p) in item
                .get(peers_key)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                peers.extend(parse_peer(
                    p,
                    &format!("{path}.{peers_key}[{j}]"),
                    direction,
                    origin,
                    issues,
                ));
            }
            let ports = parse_ports(item.get("ports"), &format!("{path}.ports"), origin, issues);
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

fn parse_peer(
    peer: &Json,
    path: &str,
    direction: Direction,
    origin: &Origin,
    issues: &mut Issues,
) -> Vec<Peer> {
    let Some(object) = peer.as_object() else {
        issues.invalid(origin, path, "a peer must be a mapping");
        return Vec::new();
    };
    let allowed: &[&str] = match direction {
        Direction::Ingress => &["namespaces", "pods"],
        Direction::Egress => &["namespaces", "pods", "networks", "nodes"],
    };
    check_keys(object, allowed, path, origin, issues);
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
    if direction == Direction::Egress {
        if object.contains_key("nodes") {
            issues.ignored(
                origin,
                &format!("{path}.nodes"),
                "`nodes` peers are not modelled (nodes are not endpoints here); they match nothing",
            );
        }
        for (i, n) in object
            .get("networks")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            match n.as_str().and_then(parse_cidr) {
                Some(cidr) => out.push(Peer::Cidr(CidrBlock {
                    cidr,
                    except: Vec::new(),
                })),
                None => issues.invalid(origin, &format!("{path}.networks[{i}]"), "not a CIDR"),
            }
        }
    }
    out
}

fn parse_ports(
    ports: Option<&Json>,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Vec<PortSpec> {
    let Some(entries) = super::port_entries(ports, path, origin, issues) else {
        return vec![PortSpec::Any];
    };
    let mut out = Vec::new();
    for (at, object) in entries {
        check_keys(
            object,
            &["portNumber", "portRange", "namedPort"],
            &at,
            origin,
            issues,
        );
        let protocol = |v: &Json, issues: &mut Issues| -> Option<Protocol> {
            match v.get("protocol") {
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
        };
        let number = |v: Option<&Json>| {
            v.and_then(Json::as_u64)
                .and_then(|n| u16::try_from(n).ok())
                .filter(|&n| n > 0)
        };
        if let Some(pn) = object.get("portNumber") {
            let Some(protocol) = protocol(pn, issues) else {
                continue;
            };
            match number(pn.get("port")) {
                Some(port) => out.push(PortSpec::Range(PortRange {
                    protocol,
                    start: port,
                    end: port,
                })),
                None => issues.invalid(
                    origin,
                    &format!("{at}.portNumber.port"),
                    "a port number must be in 1-65535",
                ),
            }
        } else if let Some(pr) = object.get("portRange") {
            let Some(protocol) = protocol(pr, issues) else {
                continue;
            };
            match (number(pr.get("start")), number(pr.get("end"))) {
                (Some(start), Some(end)) if start <= end => {
                    out.push(PortSpec::Range(PortRange {
                        protocol,
                        start,
                        end,
                    }));
                }
                _ => issues.invalid(
                    origin,
                    &format!("{at}.portRange"),
                    "needs `start` <= `end`, both in 1-65535",
                ),
            }
        } else if let Some(name) = object.get("namedPort").and_then(Json::as_str) {
            out.push(PortSpec::Named {
                name: name.to_owned(),
                protocol: None,
            });
        } else {
            issues.invalid(
                origin,
                &at,
                "expected `portNumber`, `portRange` or `namedPort`",
            );
        }
    }
    out
}
