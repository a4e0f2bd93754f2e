//! `CiliumNetworkPolicy` and `CiliumClusterwideNetworkPolicy` (`cilium.io/v2`)
//! into the common model.
//!
//! - `spec` and `specs`: each rule becomes one [`Policy`] (its rules'
//!   paths say `specs[i]...`).
//! - Label keys may carry a source prefix (`k8s:`, `any:`), which is
//!   dropped; `reserved:<entity>` selects an entity.
//! - Namespace defaulting, as Cilium does: in a CiliumNetworkPolicy the
//!   `endpointSelector` always applies in the policy's namespace, and a
//!   `fromEndpoints`/`toEndpoints` selector that names no namespace
//!   (`io.kubernetes.pod.namespace`) and no namespace labels
//!   (`io.cilium.k8s.namespace.labels.*`) selects in the policy's namespace;
//!   in a clusterwide policy such selectors select in every namespace.
//! - Entities: `world` (`world-ipv4`, `world-ipv6`) is every address outside
//!   the cluster, `cluster` is every pod plus the reserved entities (`host`,
//!   `remote-node`, `kube-apiserver`, `health`, `init`, `ingress`,
//!   `unmanaged`), `all` is both.
//! - `ingressDeny`/`egressDeny` rules deny; a matching deny rule wins over
//!   every allow. `enableDefaultDeny` defaults to true in each direction
//!   that has (allow or deny) rules.
//! - A rule with no peer but with `toPorts` matches every peer; a rule
//!   with neither (`{}`) matches nothing (and still isolates).
//! - `toPorts` entries become one rule each, keeping their layer-7 `rules`
//!   (`http`, `dns`, `kafka`) as conditions; `toFQDNs` names and patterns
//!   are peers that addresses outside the cluster match on condition.

use palisade_core::Manifest;
use serde_json::Value as Json;

use super::{
    Action, CidrBlock, Direction, EndpointSelector, Entity, L7, NamespaceScope, Peer, Policy,
    PolicyKind, Rule, parse_cidr,
};
use crate::inventory::{DEFAULT_NAMESPACE, NAMESPACE_NAME_LABEL};
use crate::issues::{Issues, Origin, check_keys};
use crate::json;
use crate::labels::{Operator, Requirement, Selector, parse_selector};
use crate::ports::{PortRange, PortSpec, Protocol};

/// The label key Cilium gives a pod's namespace.
const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The prefix of namespace labels in Cilium selectors.
const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";

/// Reads a `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`: one
/// [`Policy`] per rule of `spec` / `specs`.
pub fn parse_cilium_policy(m: &Manifest, origin: &Origin, issues: &mut Issues) -> Vec<Policy> {
    let clusterwide = m.kind() == Some("CiliumClusterwideNetworkPolicy");
    let kind = if clusterwide {
        PolicyKind::CiliumClusterwideNetworkPolicy
    } else {
        PolicyKind::CiliumNetworkPolicy
    };
    let Some(name) = m.name() else {
        issues.invalid(origin, "metadata.name", &format!("a {kind} needs a name"));
        return Vec::new();
    };
    let namespace = (!clusterwide).then(|| m.namespace().unwrap_or(DEFAULT_NAMESPACE).to_owned());
    let Some(object) = m.object.as_object() else {
        return Vec::new();
    };
    let mut specs: Vec<(String, &Json)> = Vec::new();
    if let Some(spec) = object.get("spec").filter(|s| !s.is_null()) {
        specs.push(("spec".to_owned(), spec));
    }
    match object.get("specs") {
        None | Some(Json::Null) => {}
        Some(Json::Array(list)) => {
            specs.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, s)| (format!("specs[{i}]"), s)),
            );
        }
        Some(_) => issues.invalid(origin, "specs", "`specs` must be a sequence"),
    }
    if specs.is_empty() {
        issues.invalid(origin, "spec", &format!("a {kind} needs `spec` or `specs`"));
    }
    let context = Context {
        namespace: namespace.as_deref(),
        origin,
    };
    specs
        .into_iter()
        .filter_map(|(path, spec)| {
            let mut policy = context.rule(spec, &path, issues)?;
            policy.kind = kind;
            policy.name = name.to_owned();
            Some(policy)
        })
        .collect()
}

struct Context<'a> {
    /// The policy's namespace; `None` for clusterwide policies.
    namespace: Option<&'a str>,
    origin: &'a Origin,
}

impl Context<'_> {
    fn rule(&self, spec: &Json, path: &str, issues: &mut Issues) -> Option<Policy> {
        let origin = self.origin;
        let object = issues.mapping(spec, origin, path, "a rule")?;
        check_keys(
            object,
            &[
                "endpointSelector",
                "nodeSelector",
                "ingress",
                "ingressDeny",
                "egress",
                "egressDeny",
                "labels",
                "description",
                "enableDefaultDeny",
                "log",
            ],
            path,
            origin,
            issues,
        );
        if object.contains_key("nodeSelector") {
            issues.ignored(
                origin,
                &format!("{path}.nodeSelector"),
                "host policies (`nodeSelector`) are not modelled: nodes are not endpoints here; the rule is not applied",
            );
            return None;
        }
        let Some(selector) = object.get("endpointSelector") else {
            issues.invalid(
                origin,
                path,
                "a rule needs `endpointSelector` or `nodeSelector`",
            );
            return None;
        };
        let subject = match self.selector(
            selector,
            &format!("{path}.endpointSelector"),
            true,
            issues,
        ) {
            Some(Peer::Endpoints(sel)) => sel,
            Some(_) => {
                issues.ignored(
                    origin,
                    &format!("{path}.endpointSelector"),
                    "a rule selecting a reserved entity is a host policy, not modelled; it is not applied",
                );
                return None;
            }
            None => return None,
        };
        let mut rules = Vec::new();
        let mut has = [false, false];
        for (key, direction, action) in [
            ("ingress", Direction::Ingress, Action::Allow),
            ("ingressDeny", Direction::Ingress, Action::Deny),
            ("egress", Direction::Egress, Action::Allow),
            ("egressDeny", Direction::Egress, Action::Deny),
        ] {
            match object.get(key) {
                None | Some(Json::Null) => {}
                Some(Json::Array(list)) => {
                    if !list.is_empty()
                        && let Some(h) = has.get_mut(direction.index())
                    {
                        *h = true;
                    }
                    for (i, item) in list.iter().enumerate() {
                        self.direction_rule(
                            item,
                            &format!("{path}.{key}[{i}]"),
                            direction,
                            action,
                            &mut rules,
                            issues,
                        );
                    }
                }
                Some(_) => issues.invalid(origin, &format!("{path}.{key}"), "must be a sequence"),
            }
        }
        let mut isolates = has;
        if let Some(dd) = object.get("enableDefaultDeny") {
            let at = format!("{path}.enableDefaultDeny");
            match dd.as_object() {
                Some(map) => {
                    check_keys(map, &["ingress", "egress"], &at, origin, issues);
                    for (key, i) in [("ingress", 0), ("egress", 1)] {
                        match map.get(key) {
                            None | Some(Json::Null) => {}
                            Some(Json::Bool(b)) => {
                                if let Some(slot) = isolates.get_mut(i) {
                                    *slot = *b;
                                }
                            }
                            Some(_) => issues.invalid(
                                origin,
                                &format!("{at}.{key}"),
                                "must be true or false",
                            ),
                        }
                    }
                }
                None => issues.invalid(origin, &at, "must be a mapping"),
            }
        }
        Some(Policy {
            kind: PolicyKind::CiliumNetworkPolicy,
            name: String::new(),
            namespace: self.namespace.map(str::to_owned),
            priority: 0,
            subject,
            isolates,
            rules,
            origin: origin.clone(),
        })
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one match arm per Cilium peer field, read in one place"
    )]
    fn direction_rule(
        &self,
        item: &Json,
        path: &str,
        direction: Direction,
        action: Action,
        rules: &mut Vec<Rule>,
        issues: &mut Issues,
    ) {
        let origin = self.origin;
        let Some(object) = issues.mapping(item, origin, path, "a rule") else {
            return;
        };
        let (endpoints, requires, cidr, cidr_set, entities, groups, nodes) = match direction {
            Direction::Ingress => (
                "fromEndpoints",
                "fromRequires",
                "fromCIDR",
                "fromCIDRSet",
                "fromEntities",
                "fromGroups",
                "fromNodes",
            ),
            Direction::Egress => (
                "toEndpoints",
                "toRequires",
                "toCIDR",
                "toCIDRSet",
                "toEntities",
                "toGroups",
                "toNodes",
            ),
        };
        let mut allowed = vec![
            endpoints, requires, cidr, cidr_set, entities, groups, nodes, "toPorts", "icmps",
        ];
        if action == Action::Allow {
            allowed.push("authentication");
        }
        if direction == Direction::Egress {
            allowed.extend(["toServices"]);
            if action == Action::Allow {
                allowed.push("toFQDNs");
            }
        }
        check_keys(object, &allowed, path, origin, issues);
        let mut peers: Vec<Peer> = Vec::new();
        let mut any_peer_field = false;
        let list = |key: &str, issues: &mut Issues| -> Vec<(String, Json)> {
            match object.get(key) {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{path}.{key}[{i}]"), v.clone()))
                    .collect(),
                Some(_) => {
                    issues.invalid(origin, &format!("{path}.{key}"), "must be a sequence");
                    Vec::new()
                }
            }
        };
        if object.contains_key(endpoints) {
            any_peer_field = true;
            for (at, sel) in list(endpoints, issues) {
                peers.extend(self.selector(&sel, &at, false, issues));
            }
        }
        if object.contains_key(cidr) {
            any_peer_field = true;
            for (at, c) in list(cidr, issues) {
                match c.as_str().and_then(parse_cidr) {
                    Some(net) => peers.push(Peer::Cidr(CidrBlock {
                        cidr: net,
                        except: Vec::new(),
                    })),
                    None => issues.invalid(origin, &at, "not a CIDR"),
                }
            }
        }
        if object.contains_key(cidr_set) {
            any_peer_field = true;
            for (at, set) in list(cidr_set, issues) {
                let Some(map) = issues.mapping(&set, origin, &at, "a CIDR rule") else {
                    continue;
                };
                check_keys(
                    map,
                    &["cidr", "except", "cidrGroupRef", "cidrGroupSelector"],
                    &at,
                    origin,
                    issues,
                );
                if map.contains_key("cidrGroupRef") || map.contains_key("cidrGroupSelector") {
                    issues.unsupported(
                        origin,
                        &at,
                        "CiliumCIDRGroup references are not resolved; this peer matches nothing",
                    );
                    continue;
                }
                let Some(net) = map.get("cidr").and_then(Json::as_str).and_then(parse_cidr) else {
                    issues.invalid(origin, &format!("{at}.cidr"), "not a CIDR");
                    continue;
                };
                let mut except = Vec::new();
                for (i, e) in json::items(map.get("except")).enumerate() {
                    match e.as_str().and_then(parse_cidr) {
                        // Cilium: "allow CIDR prefix .. does not contain exclude CIDR prefix".
                        Some(n) if !net.contains(&n.network()) => issues.invalid(
                            origin,
                            &format!("{at}.except[{i}]"),
                            &format!("`{n}` is not inside `cidr` `{net}`"),
                        ),
                        Some(n) => except.push(n),
                        None => issues.invalid(origin, &format!("{at}.except[{i}]"), "not a CIDR"),
                    }
                }
                peers.push(Peer::Cidr(CidrBlock { cidr: net, except }));
            }
        }
        if object.contains_key(entities) {
            any_peer_field = true;
            for (at, e) in list(entities, issues) {
                match e.as_str() {
                    Some(name) => match expand_entity(name) {
                        Some(expanded) => peers.extend(expanded),
                        None => issues.invalid(origin, &at, &format!("unknown entity `{name}`")),
                    },
                    None => issues.invalid(origin, &at, "an entity must be a string"),
                }
            }
        }
        if object.contains_key("toServices") {
            any_peer_field = true;
            for (at, svc) in list("toServices", issues) {
                peers.extend(self.service(&svc, &at, issues));
            }
        }
        if object.contains_key("toFQDNs") {
            any_peer_field = true;
            for (at, f) in list("toFQDNs", issues) {
                let Some(map) = issues.mapping(&f, origin, &at, "an FQDN selector") else {
                    continue;
                };
                check_keys(map, &["matchName", "matchPattern"], &at, origin, issues);
                for key in ["matchName", "matchPattern"] {
                    if let Some(name) = map.get(key).and_then(Json::as_str) {
                        peers.push(Peer::Fqdn(crate::domains::normalize(name)));
                    }
                }
            }
        }
        for (key, message) in [
            (
                requires,
                "requirements (deprecated in Cilium) are not modelled; the rule is applied without them",
            ),
            (
                groups,
                "cloud provider groups are not modelled; they match nothing",
            ),
            (nodes, "node selectors are not modelled; they match nothing"),
        ] {
            if object.contains_key(key) {
                any_peer_field |= key != requires;
                issues.unsupported(origin, &format!("{path}.{key}"), message);
            }
        }
        if object.contains_key("icmps") {
            issues.ignored(
                origin,
                &format!("{path}.icmps"),
                "ICMP is not modelled; only TCP, UDP and SCTP are checked",
            );
        }
        if object.contains_key("authentication") {
            issues.ignored(
                origin,
                &format!("{path}.authentication"),
                "mutual authentication is not modelled",
            );
        }
        let to_ports = object.get("toPorts");
        // No peer field: with ports, every peer (an L4-only rule); without, nothing.
        let peers = match (any_peer_field, to_ports.is_some()) {
            (false, true) => None,
            _ => Some(peers),
        };
        let mut push = |ports: Vec<PortSpec>, l7: Option<L7>, at: &str| {
            rules.push(Rule {
                direction,
                action,
                name: None,
                path: at.to_owned(),
                peers: peers.clone(),
                ports,
                l7,
            });
        };
        match to_ports {
            None | Some(Json::Null) => push(vec![PortSpec::Any], None, path),
            Some(Json::Array(list)) => {
                if list.is_empty() {
                    push(vec![PortSpec::Any], None, path);
                }
                for (i, port_rule) in list.iter().enumerate() {
                    let at = format!("{path}.toPorts[{i}]");
                    let (ports, l7) = self.port_rule(port_rule, &at, action, issues);
                    push(ports, l7, &at);
                }
            }
            Some(_) => issues.invalid(origin, &format!("{path}.toPorts"), "must be a sequence"),
        }
    }

    fn port_rule(
        &self,
        value: &Json,
        at: &str,
        action: Action,
        issues: &mut Issues,
    ) -> (Vec<PortSpec>, Option<L7>) {
        let origin = self.origin;
        let Some(map) = issues.mapping(value, origin, at, "a port rule") else {
            return (Vec::new(), None);
        };
        let keys: &[&str] = if action == Action::Deny {
            &["ports"]
        } else {
            &[
                "ports",
                "rules",
                "terminatingTLS",
                "originatingTLS",
                "serverNames",
                "listener",
            ]
        };
        check_keys(map, keys, at, origin, issues);
        for key in [
            "terminatingTLS",
            "originatingTLS",
            "serverNames",
            "listener",
        ] {
            if map.contains_key(key) {
                issues.unsupported(
                    origin,
                    &format!("{at}.{key}"),
                    "TLS interception and listeners are not modelled",
                );
            }
        }
        let mut ports = Vec::new();
        match map.get("ports") {
            None | Some(Json::Null) => ports.push(PortSpec::Any),
            Some(Json::Array(list)) if list.is_empty() => ports.push(PortSpec::Any),
            Some(Json::Array(list)) => {
                for (i, p) in list.iter().enumerate() {
                    ports.extend(self.port(p, &format!("{at}.ports[{i}]"), issues));
                }
            }
            Some(_) => issues.invalid(origin, &format!("{at}.ports"), "must be a sequence"),
        }
        let l7 = map
            .get("rules")
            .filter(|r| !r.is_null())
            .and_then(|r| self.l7(r, &format!("{at}.rules"), issues));
        (ports, l7)
    }

    fn port(&self, value: &Json, at: &str, issues: &mut Issues) -> Vec<PortSpec> {
        let origin = self.origin;
        let Some(map) = issues.mapping(value, origin, at, "a port") else {
            return Vec::new();
        };
        check_keys(map, &["port", "endPort", "protocol"], at, origin, issues);
        let protocols: Vec<Protocol> = match map.get("protocol").and_then(Json::as_str) {
            None | Some("ANY") => Protocol::ALL.to_vec(),
            Some(p) => match Protocol::parse(p) {
                Some(p) => vec![p],
                None => {
                    issues.unsupported(
                        origin,
                        &format!("{at}.protocol"),
                        &format!("protocol `{p}` is not modelled (only TCP, UDP, SCTP, ANY)"),
                    );
                    return Vec::new();
                }
            },
        };
        let any_protocol = protocols.len() == Protocol::ALL.len();
        let text = match map.get("port") {
            None | Some(Json::Null) => "0".to_owned(),
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            Some(_) => {
                issues.invalid(
                    origin,
                    &format!("{at}.port"),
                    "a port must be a number or a name",
                );
                return Vec::new();
            }
        };
        let end = map
            .get("endPort")
            .and_then(Json::as_u64)
            .and_then(|e| u16::try_from(e).ok());
        match text.parse::<u16>() {
            Ok(0) => protocols.into_iter().map(PortSpec::Protocol).collect(),
            Ok(start) => {
                let end = end.unwrap_or(start).max(start);
                protocols
                    .into_iter()
                    .map(|protocol| {
                        PortSpec::Range(PortRange {
                            protocol,
                            start,
                            end,
                        })
                    })
                    .collect()
            }
            Err(_) => {
                if text.is_empty() {
                    issues.invalid(origin, &format!("{at}.port"), "empty port");
                    return Vec::new();
                }
                // Cilium reads a port that is not an IANA service name as a
                // number ("Unable to parse port" past 65535).
                if !is_service_name(&text) {
                    let reason = if text.bytes().all(|b| b.is_ascii_digit()) {
                        format!("port `{text}` is out of range (0-65535)")
                    } else {
                        format!("`{text}` is neither a port number nor a port name")
                    };
                    issues.invalid(origin, &format!("{at}.port"), &reason);
                    return Vec::new();
                }
                if any_protocol {
                    vec![PortSpec::Named {
                        name: text,
                        protocol: None,
                    }]
                } else {
                    protocols
                        .into_iter()
                        .map(|p| PortSpec::Named {
                            name: text.clone(),
                            protocol: Some(p),
                        })
                        .collect()
                }
            }
        }
    }

    fn l7(&self, value: &Json, at: &str, issues: &mut Issues) -> Option<L7> {
        let origin = self.origin;
        let map = value.as_object()?;
        check_keys(
            map,
            &["http", "dns", "kafka", "l7proto", "l7"],
            at,
            origin,
            issues,
        );
        let entries = |key: &str| {
            map.get(key)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let text = |v: &Json, key: &str| v.get(key).and_then(Json::as_str).map(str::to_owned);
        let http = |r: &Json| {
            let mut d = format!(
                "{} {}",
                text(r, "method").unwrap_or_else(|| "any method".to_owned()),
                text(r, "path").unwrap_or_else(|| "any path".to_owned())
            );
            if let Some(host) = text(r, "host") {
                d.push_str(&format!(" host {host}"));
            }
            let headers: Vec<String> = json::items(r.get("headers"))
                .filter_map(|h| h.as_str().map(str::to_owned))
                .collect();
            if !headers.is_empty() {
                d.push_str(&format!(" with headers {}", headers.join(", ")));
            }
            if r.get("headerMatches").is_some() {
                d.push_str(" with header matches");
            }
            Some(d)
        };
        let dns = |r: &Json| {
            text(r, "matchName")
                .or_else(|| text(r, "matchPattern"))
                .map(|n| format!("DNS queries for `{n}`"))
        };
        let kafka = |r: &Json| {
            let role = text(r, "role").or_else(|| text(r, "apiKey"));
            let topic = text(r, "topic").unwrap_or_else(|| "any".to_owned());
            Some(format!(
                "{} topic {topic}",
                role.unwrap_or_else(|| "any request".to_owned())
            ))
        };
        type Describe<'a> = &'a dyn Fn(&Json) -> Option<String>;
        let known: [(&str, Describe<'_>); 3] = [("http", &http), ("dns", &dns), ("kafka", &kafka)];
        if let Some((protocol, describe)) = known.iter().find(|(k, _)| map.contains_key(*k)) {
            return Some(L7 {
                protocol: (*protocol).to_owned(),
                allowed: entries(protocol).iter().filter_map(describe).collect(),
            });
        }
        let protocol = map
            .get("l7proto")
            .and_then(Json::as_str)
            .unwrap_or("l7")
            .to_owned();
        issues.ignored(
            origin,
            at,
            &format!("generic layer-7 rules (`{protocol}`) are kept as an opaque condition"),
        );
        Some(L7 {
            protocol,
            allowed: vec!["the rules of the layer-7 parser".to_owned()],
        })
    }

    fn service(&self, value: &Json, at: &str, issues: &mut Issues) -> Option<Peer> {
        let origin = self.origin;
        let map = value.as_object()?;
        check_keys(
            map,
            &["k8sService", "k8sServiceSelector"],
            at,
            origin,
            issues,
        );
        if map.contains_key("k8sServiceSelector") {
            issues.unsupported(
                origin,
                &format!("{at}.k8sServiceSelector"),
                "service selectors are not resolved; use `k8sService`",
            );
            return None;
        }
        let svc = map.get("k8sService")?;
        let name = svc.get("serviceName").and_then(Json::as_str)?;
        let namespace = svc
            .get("namespace")
            .and_then(Json::as_str)
            .or(self.namespace)
            .unwrap_or(DEFAULT_NAMESPACE);
        Some(Peer::Service {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    /// A Cilium endpoint selector as a peer (an entity for `reserved:` labels).
    fn selector(&self, value: &Json, at: &str, subject: bool, issues: &mut Issues) -> Option<Peer> {
        let origin = self.origin;
        let raw = parse_selector(value, at, origin, issues);
        let mut pods = Selector::default();
        let mut namespaces = Selector::default();
        let mut names_namespace = false;
        let mut names_namespace_labels = false;
        let mut reserved = None;
        let strip = |key: &str| -> Result<String, String> {
            let (prefix, rest) = match key.split_once(':') {
                Some((p, r)) => (Some(p), r),
                None => (None, key),
            };
            match prefix {
                None | Some("k8s" | "any") => Ok(rest.to_owned()),
                Some("reserved") => Err(rest.to_owned()),
                Some(other) => Err(format!("\u{0}{other}")),
            }
        };
        let mut add = |key: &str, operator: Operator, values: Vec<String>, issues: &mut Issues| {
            match strip(key) {
                Ok(k) if k == POD_NAMESPACE => {
                    names_namespace = true;
                    namespaces.match_expressions.push(Requirement {
                        key: NAMESPACE_NAME_LABEL.to_owned(),
                        operator,
                        values,
                    });
                }
                Ok(k) if k.starts_with(NAMESPACE_LABELS) => {
                    names_namespace_labels = true;
                    let label = k.trim_start_matches(NAMESPACE_LABELS).to_owned();
                    namespaces.match_expressions.push(Requirement {
                        key: label,
                        operator,
                        values,
                    });
                }
                Ok(k) if k.starts_with("io.cilium.k8s.policy.") => {
                    issues.unsupported(origin, at, &format!("`{k}` (service accounts, clusters) is not modelled; the requirement is dropped"));
                }
                Ok(k) => pods.match_expressions.push(Requirement {
                    key: k,
                    operator,
                    values,
                }),
                Err(r) if !r.starts_with('\u{0}') => reserved = Some(r),
                Err(r) => issues.unsupported(
                    origin,
                    at,
                    &format!(
                        "label source `{}` is not modelled",
                        r.trim_start_matches('\u{0}')
                    ),
                ),
            }
        };
        for (k, v) in &raw.match_labels {
            add(k, Operator::In, vec![v.clone()], issues);
        }
        for r in &raw.match_expressions {
            add(&r.key, r.operator, r.values.clone(), issues);
        }
        if let Some(name) = reserved {
            return match Entity::parse(&name) {
                Some(e) => Some(Peer::Entity(e)),
                None => {
                    issues.unsupported(
                        origin,
                        at,
                        &format!("reserved identity `{name}` is not modelled"),
                    );
                    None
                }
            };
        }
        let scope = match self.namespace {
            // A CiliumNetworkPolicy's subject is always in its namespace.
            Some(ns) if subject => NamespaceScope::Named(ns.to_owned()),
            Some(ns) if !names_namespace && !names_namespace_labels => {
                NamespaceScope::Named(ns.to_owned())
            }
            _ => NamespaceScope::Selector(namespaces),
        };
        Some(Peer::Endpoints(EndpointSelector {
            namespaces: scope,
            pods,
        }))
    }
}

/// `world`, `cluster`, `all` and the reserved entities as peers.
fn expand_entity(name: &str) -> Option<Vec<Peer>> {
    let v4 = || {
        Peer::Cidr(CidrBlock {
            cidr: parse_cidr("0.0.0.0/0").unwrap_or_default(),
            except: Vec::new(),
        })
    };
    let v6 = || {
        Peer::Cidr(CidrBlock {
            cidr: parse_cidr("::/0").unwrap_or_default(),
            except: Vec::new(),
        })
    };
    let pods = || {
        Peer::Endpoints(EndpointSelector {
            namespaces: NamespaceScope::Selector(Selector::everything()),
            pods: Selector::everything(),
        })
    };
    let cluster = || {
        let mut peers = vec![pods()];
        peers.extend(Entity::ALL.into_iter().map(Peer::Entity));
        peers
    };
    Some(match name {
        "world" => vec![v4(), v6()],
        "world-ipv4" => vec![v4()],
        "world-ipv6" => vec![v6()],
        "cluster" => cluster(),
        "all" => {
            let mut peers = cluster();
            peers.extend([v4(), v6()]);
            peers
        }
        other => vec![Peer::Entity(Entity::parse(other)?)],
    })
}

/// Whether `text` is an IANA service name (RFC 6335, as Cilium and
/// Kubernetes check named ports): 1 to 15 letters, digits and inner single
/// hyphens, with at least one letter.
fn is_service_name(text: &str) -> bool {
    (1..=15).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
}
