//! Kubernetes `NetworkPolicy` (`networking.k8s.io/v1`) into the common model.

use palisade_core::Manifest;
use serde_json::Value as Json;

use super::{
    Action, CidrBlock, Direction, EndpointSelector, NamespaceScope, Peer, Policy, PolicyKind, Rule,
    parse_cidr,
};
use crate::inventory::DEFAULT_NAMESPACE;
use crate::issues::{Issues, Origin, check_keys};
use crate::json;
use crate::labels::parse_selector;
use crate::ports::{PortRange, PortSpec};

/// Reads one `NetworkPolicy`. Returns `None` only when the object cannot
/// be a policy at all (no name, `spec` not a mapping).
pub fn parse_network_policy(m: &Manifest, origin: &Origin, issues: &mut Issues) -> Option<Policy> {
    let Some(name) = m.name() else {
        issues.invalid(origin, "metadata.name", "a NetworkPolicy needs a name");
        return None;
    };
    let namespace = m.namespace().unwrap_or(DEFAULT_NAMESPACE).to_owned();
    let empty = serde_json::Map::new();
    let spec = match m.object.get("spec") {
        Some(Json::Object(spec)) => spec,
        None | Some(Json::Null) => &empty,
        Some(_) => {
            issues.invalid(origin, "spec", "`spec` must be a mapping");
            return None;
        }
    };
    check_keys(
        spec,
        &["podSelector", "policyTypes", "ingress", "egress"],
        "spec",
        origin,
        issues,
    );
    let pods = spec
        .get("podSelector")
        .map(|s| parse_selector(s, "spec.podSelector", origin, issues))
        .unwrap_or_default();
    let ingress = spec.get("ingress").and_then(Json::as_array);
    let egress = spec.get("egress").and_then(Json::as_array);
    let mut isolates = [true, egress.is_some_and(|e| !e.is_empty())];
    if let Some(types) = spec.get("policyTypes") {
        isolates = [false, false];
        match types.as_array() {
            Some(types) => {
                for (i, t) in types.iter().enumerate() {
                    match t.as_str() {
                        Some("Ingress") => isolates[0] = true,
                        Some("Egress") => isolates[1] = true,
                        _ => issues.invalid(
                            origin,
                            &format!("spec.policyTypes[{i}]"),
                            "expected `Ingress` or `Egress`",
                        ),
                    }
                }
            }
            None => issues.invalid(
                origin,
                "spec.policyTypes",
                "`policyTypes` must be a sequence",
            ),
        }
    }
    let mut rules = Vec::new();
    for (direction, list, key, peers_key) in [
        (Direction::Ingress, ingress, "ingress", "from"),
        (Direction::Egress, egress, "egress", "to"),
    ] {
        if spec.get(key).is_some_and(|v| !v.is_null() && !v.is_array()) {
            issues.invalid(origin, &format!("spec.{key}"), "must be a sequence");
        }
        for (i, item) in list.into_iter().flatten().enumerate() {
            let path = format!("spec.{key}[{i}]");
            let Some(item) = issues.mapping(item, origin, &path, "a rule") else {
                continue;
            };
            check_keys(item, &[peers_key, "ports"], &path, origin, issues);
            let peers = match item.get(peers_key) {
                None | Some(Json::Null) => None,
                Some(Json::Array(list)) if list.is_empty() => None,
                Some(Json::Array(list)) => Some(
                    list.iter()
                        .enumerate()
                        .filter_map(|(j, p)| {
                            parse_peer(
                                p,
                                &format!("{path}.{peers_key}[{j}]"),
                                &namespace,
                                origin,
                                issues,
                            )
                        })
                        .collect(),
                ),
                Some(_) => {
                    issues.invalid(origin, &format!("{path}.{peers_key}"), "must be a sequence");
                    continue;
                }
            };
            let ports =
                super::parse_port_list(item, "ports", &path, PORT_KEYS, port, origin, issues);
            rules.push(Rule {
                direction,
                action: Action::Allow,
                name: None,
                path,
                peers,
                ports,
                l7: None,
            });
        }
    }
    Some(Policy {
        kind: PolicyKind::NetworkPolicy,
        name: name.to_owned(),
        namespace: Some(namespace.clone()),
        priority: 0,
        subject: EndpointSelector {
            namespaces: NamespaceScope::Named(namespace),
            pods,
        },
        isolates,
        rules,
        origin: origin.clone(),
    })
}

fn parse_peer(
    peer: &Json,
    path: &str,
    namespace: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<Peer> {
    let object = issues.mapping(peer, origin, path, "a peer")?;
    check_keys(
        object,
        &["podSelector", "namespaceSelector", "ipBlock"],
        path,
        origin,
        issues,
    );
    if let Some(block) = object.get("ipBlock") {
        if object.contains_key("podSelector") || object.contains_key("namespaceSelector") {
            issues.invalid(
                origin,
                path,
                "`ipBlock` cannot be combined with `podSelector` or `namespaceSelector`",
            );
            return None;
        }
        return parse_ip_block(block, &format!("{path}.ipBlock"), origin, issues).map(Peer::Cidr);
    }
    let pods = object
        .get("podSelector")
        .map(|s| parse_selector(s, &format!("{path}.podSelector"), origin, issues))
        .unwrap_or_default();
    let namespaces = match object.get("namespaceSelector") {
        Some(s) => NamespaceScope::Selector(parse_selector(
            s,
            &format!("{path}.namespaceSelector"),
            origin,
            issues,
        )),
        None if object.contains_key("podSelector") => NamespaceScope::Named(namespace.to_owned()),
        None => {
            issues.invalid(
                origin,
                path,
                "a peer needs `podSelector`, `namespaceSelector` or `ipBlock`",
            );
            return None;
        }
    };
    Some(Peer::Endpoints(EndpointSelector { namespaces, pods }))
}

/// Reads `{cidr, except}`.
pub(super) fn parse_ip_block(
    block: &Json,
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) -> Option<CidrBlock> {
    let object = issues.mapping(block, origin, path, "`ipBlock`")?;
    check_keys(object, &["cidr", "except"], path, origin, issues);
    let Some(text) = object.get("cidr").and_then(Json::as_str) else {
        issues.invalid(origin, path, "`ipBlock` needs a string `cidr`");
        return None;
    };
    let Some(cidr) = parse_cidr(text) else {
        issues.invalid(
            origin,
            &format!("{path}.cidr"),
            &format!("`{text}` is not a CIDR"),
        );
        return None;
    };
    let mut except = Vec::new();
    for (i, e) in json::items(object.get("except")).enumerate() {
        match e.as_str().and_then(parse_cidr) {
            // Kubernetes: "must be a strict subset of `cidr`".
            Some(net) if !(cidr.contains(&net) && net.prefix_len() > cidr.prefix_len()) => {
                issues.invalid(
                    origin,
                    &format!("{path}.except[{i}]"),
                    &format!("`{net}` is not a strict subset of `cidr` `{cidr}`"),
                );
            }
            Some(net) => except.push(net),
            None => issues.invalid(origin, &format!("{path}.except[{i}]"), "not a CIDR"),
        }
    }
    Some(CidrBlock { cidr, except })
}

/// The keys of a `ports` entry.
const PORT_KEYS: &[&str] = &["protocol", "port", "endPort"];

/// One entry of a NetworkPolicy's `ports` list.
fn port(at: &str, object: &json::Object, origin: &Origin, issues: &mut Issues) -> Option<PortSpec> {
    let protocol = super::parse_protocol(object.get("protocol"), at, origin, issues)?;
    let end = object.get("endPort").and_then(Json::as_u64);
    match object.get("port") {
        None | Some(Json::Null) => Some(PortSpec::Protocol(protocol)),
        port @ Some(Json::Number(_)) => {
            let Some(start) = super::port_number(port) else {
                issues.invalid(
                    origin,
                    &format!("{at}.port"),
                    "a port number must be in 1-65535",
                );
                return None;
            };
            let end = match end.map(u16::try_from) {
                None => start,
                Some(Ok(end)) if end >= start => end,
                Some(_) => {
                    issues.invalid(
                        origin,
                        &format!("{at}.endPort"),
                        "`endPort` must be in `port`-65535",
                    );
                    return None;
                }
            };
            Some(PortSpec::Range(PortRange {
                protocol,
                start,
                end,
            }))
        }
        Some(Json::String(name)) => {
            if end.is_some() {
                issues.invalid(
                    origin,
                    &format!("{at}.endPort"),
                    "`endPort` cannot be used with a named port",
                );
                return None;
            }
            match name.parse::<u16>() {
                Ok(n) if n > 0 => Some(PortSpec::Range(PortRange {
                    protocol,
                    start: n,
                    end: n,
                })),
                _ => Some(PortSpec::Named {
                    name: name.clone(),
                    protocol: Some(protocol),
                }),
            }
        }
        Some(_) => {
            issues.invalid(
                origin,
                &format!("{at}.port"),
                "a port must be a number or a name",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicySet;
    use palisade_core::manifest::load_str;

    fn load(text: &str) -> (PolicySet, Issues) {
        let report = load_str("np.yaml", text);
        assert!(report.is_ok(), "{:?}", report.errors);
        let mut issues = Issues::default();
        let set = PolicySet::from_manifests(&report.objects, &mut issues);
        (set, issues)
    }

    #[test]
    fn policy_types_default_and_peers() {
        let (set, issues) = load(
            r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    - namespaceSelector: {}
      podSelector: {matchLabels: {app: db}}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 8000, endPort: 8080}
    - {port: http}
"#,
        );
        assert!(issues.is_empty(), "{issues:?}");
        let p = &set.policies[0];
        assert_eq!(p.isolates, [true, true]);
        let rule = &p.rules[0];
        assert_eq!(rule.direction, Direction::Egress);
        let peers = rule.peers.as_ref().unwrap();
        assert!(matches!(&peers[0], Peer::Cidr(c) if c.except.len() == 1));
        assert!(
            matches!(&peers[1], Peer::Endpoints(e) if matches!(e.namespaces, NamespaceScope::Selector(_)))
        );
        assert_eq!(rule.ports.len(), 3);
        assert_eq!(rule.ports[1].to_string(), "TCP 8000-8080");
        assert_eq!(rule.ports[2].to_string(), "TCP `http`");
    }

    #[test]
    fn unknown_fields_are_reported_with_position() {
        let (set, issues) = load(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingres: []\n  ingress:\n  - from: [{ipBlock: {cidr: nonsense}}]\n",
        );
        assert_eq!(set.policies.len(), 1);
        let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "np.yaml:6:3: NetworkPolicy p: `spec.ingres`: unknown field",
                "np.yaml:8:23: NetworkPolicy p: `spec.ingress[0].from[0].ipBlock.cidr`: `nonsense` is not a CIDR",
            ]
        );
    }
}
