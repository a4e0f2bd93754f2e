//! Least-privilege policies from the declaration: per namespace a default
//! deny (both directions), DNS egress to the cluster DNS (when implicit)
//! and the DNS pods' ingress from every namespace, and per workload exactly
//! its declared paths — egress on the client's side, ingress on the
//! target's — as Kubernetes `NetworkPolicy` or `CiliumNetworkPolicy`.
//!
//! Workloads are selected by their full label set, with `DoesNotExist`
//! requirements for the keys that set other workloads of the namespace
//! apart when their labels include it. A target the flavor cannot express
//! (a domain name for NetworkPolicy) is an error naming the intent.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::Declaration;
use super::compare::{dns_servers, resolve_declared};
use crate::inventory::{EndpointId, Inventory, NAMESPACE_NAME_LABEL};
use crate::issues::Issues;
use crate::labels::Labels;
use crate::ports::{PortRange, Ports, Protocol};

/// The policy language to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `networking.k8s.io/v1` `NetworkPolicy`.
    Kubernetes,
    /// `cilium.io/v2` `CiliumNetworkPolicy`.
    Cilium,
}

impl Flavor {
    /// Parses `kubernetes` or `cilium`.
    pub fn parse(text: &str) -> Option<Flavor> {
        match text {
            "kubernetes" => Some(Flavor::Kubernetes),
            "cilium" => Some(Flavor::Cilium),
            _ => None,
        }
    }
}

/// A declared path the flavor cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: `{field}`: {message}")]
pub struct GenerateError {
    /// The `ClientIntents` and its position.
    pub origin: String,
    /// The target's field path.
    pub field: String,
    /// What cannot be expressed.
    pub message: String,
}

/// One generated policy: its namespace and the object.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The namespace it goes in.
    pub namespace: String,
    /// The policy object.
    pub object: Json,
}

impl Generated {
    /// The policy as one YAML document (without the `---` marker).
    pub fn to_yaml(&self) -> String {
        palisade_core::yaml::to_yaml_string(&self.object)
    }
}

/// The rules of one workload, per direction: peer -> ports.
#[derive(Default)]
struct Paths {
    egress: BTreeMap<Peer, Ports>,
    ingress: BTreeMap<Peer, Ports>,
}

/// The other end of a generated rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Endpoint(u32),
    Network(String),
    Domain(String),
}

/// Writes the least-privilege policies of `declaration` for `inventory`.
/// Intents naming what the inventory does not hold go to `issues` (as in
/// [`super::compare`]); targets `flavor` cannot express are errors.
pub fn generate(
    inventory: &Inventory,
    declaration: &Declaration,
    flavor: Flavor,
    issues: &mut Issues,
) -> Result<Vec<Generated>, Vec<GenerateError>> {
    let declared = resolve_declared(inventory, declaration, issues);
    let mut errors = Vec::new();
    if flavor == Flavor::Kubernetes {
        for intent in &declaration.intents {
            if let super::Target::Internet { domains, .. } = &intent.target
                && let Some(domain) = domains.first()
            {
                errors.push(GenerateError {
                    origin: intent.origin.to_string(),
                    field: intent.path.clone(),
                    message: format!(
                        "domain `{domain}` cannot be expressed in a NetworkPolicy (use --flavor cilium)"
                    ),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let dns = dns_servers(inventory);
    let mut paths: BTreeMap<u32, Paths> = BTreeMap::new();
    for (&(a, b), ports) in &declared.pairs {
        if declaration.implicit_dns && dns.contains(&EndpointId(b)) && is_dns(ports) {
            continue; // written once per namespace below
        }
        add(
            &mut paths.entry(a).or_default().egress,
            Peer::Endpoint(b),
            ports,
        );
        add(
            &mut paths.entry(b).or_default().ingress,
            Peer::Endpoint(a),
            ports,
        );
    }
    for (client, net, ports) in &declared.networks {
        let peer = Peer::Network(net.to_string());
        add(&mut paths.entry(*client).or_default().egress, peer, ports);
    }
    for (client, domain, listed) in &declared.domains {
        let ports = super::internet_ports(listed);
        let peer = Peer::Domain(domain.clone());
        add(&mut paths.entry(*client).or_default().egress, peer, &ports);
    }
    let writer = Writer { inventory, flavor };
    let mut out = Vec::new();
    for ns in &inventory.namespaces {
        if !inventory.endpoints.iter().any(|e| e.namespace == ns.name) {
            continue;
        }
        out.push(writer.default_deny(&ns.name));
        if declaration.implicit_dns && !dns.is_empty() {
            out.push(writer.dns_egress(&ns.name, &dns));
        }
    }
    if declaration.implicit_dns {
        for &server in &dns {
            out.extend(writer.dns_ingress(server));
        }
    }
    for (&e, p) in &paths {
        out.extend(writer.workload(e, p));
    }
    Ok(out)
}

fn add(map: &mut BTreeMap<Peer, Ports>, peer: Peer, ports: &Ports) {
    let cell = map.entry(peer).or_default();
    *cell = cell.union(ports);
}

fn dns_ports() -> Ports {
    Ports::single(Protocol::Udp, 53).union(&Ports::single(Protocol::Tcp, 53))
}

fn is_dns(ports: &Ports) -> bool {
    ports.subtract(&dns_ports()).is_empty()
}

/// Sets `key` of the mapping `object`.
fn set(object: &mut Json, key: &str, value: Json) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

struct Writer<'a> {
    inventory: &'a Inventory,
    flavor: Flavor,
}

impl Writer<'_> {
    fn labels(&self, e: u32) -> (String, Labels) {
        self.inventory
            .endpoint(EndpointId(e))
            .map(|e| (e.namespace.clone(), e.labels.clone()))
            .unwrap_or_default()
    }

    /// A selector of exactly endpoint `e` among its namespace's endpoints
    /// (by label set).
    fn selector(&self, e: u32) -> Json {
        self.selector_with(e, None)
    }

    /// [`Writer::selector`] with one more label required (Cilium's
    /// namespace label).
    fn selector_with(&self, e: u32, extra: Option<(&str, &str)>) -> Json {
        let (ns, labels) = self.labels(e);
        let mut absent: Vec<String> = Vec::new();
        for other in self
            .inventory
            .endpoints
            .iter()
            .filter(|o| o.namespace == ns)
        {
            let superset = other.labels.len() > labels.len()
                && labels.iter().all(|(k, v)| other.labels.get(k) == Some(v));
            if let Some(k) = other
                .labels
                .keys()
                .find(|k| superset && !labels.contains_key(*k))
                && !absent.contains(k)
            {
                absent.push(k.clone());
            }
        }
        let mut required = labels.clone();
        if let Some((k, v)) = extra {
            required.insert(k.to_owned(), v.to_owned());
        }
        let mut sel = json!({"matchLabels": required});
        if !absent.is_empty() {
            let exprs: Vec<Json> = absent
                .iter()
                .map(|k| json!({"key": k, "operator": "DoesNotExist"}))
                .collect();
            set(&mut sel, "matchExpressions", Json::Array(exprs));
        }
        sel
    }

    fn name(&self, e: u32, suffix: &str) -> String {
        let name = self
            .inventory
            .endpoint(EndpointId(e))
            .map(|e| e.name.clone())
            .unwrap_or_default();
        format!("{name}-{suffix}")
    }

    fn policy(&self, namespace: &str, name: &str, spec: Json) -> Generated {
        let (api, kind) = match self.flavor {
            Flavor::Kubernetes => ("networking.k8s.io/v1", "NetworkPolicy"),
            Flavor::Cilium => ("cilium.io/v2", "CiliumNetworkPolicy"),
        };
        Generated {
            namespace: namespace.to_owned(),
            object: json!({
                "apiVersion": api,
                "kind": kind,
                "metadata": {"name": name, "namespace": namespace},
                "spec": spec,
            }),
        }
    }

    fn default_deny(&self, namespace: &str) -> Generated {
        let spec = match self.flavor {
            Flavor::Kubernetes => {
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
            }
            Flavor::Cilium => json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]}),
        };
        self.policy(namespace, "default-deny", spec)
    }

    /// A peer selector for endpoint `e` seen from `from_ns`.
    fn endpoint_peer(&self, e: u32) -> Json {
        let (ns, _) = self.labels(e);
        match self.flavor {
            Flavor::Kubernetes => json!({
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}},
                "podSelector": self.selector(e),
            }),
            Flavor::Cilium => self.selector_with(e, Some(("io.kubernetes.pod.namespace", &ns))),
        }
    }

    fn ports(&self, ports: &Ports) -> Option<Json> {
        if ports.is_all() {
            return None;
        }
        let list: Vec<Json> = ports
            .ranges()
            .iter()
            .map(
                |&PortRange {
                     protocol,
                     start,
                     end,
                 }| {
                    // Cilium writes the port as a string.
                    let port = match self.flavor {
                        Flavor::Kubernetes => json!(start),
                        Flavor::Cilium => json!(start.to_string()),
                    };
                    let mut p = json!({"port": port, "protocol": protocol.as_str()});
                    if end > start {
                        set(&mut p, "endPort", end.into());
                    }
                    p
                },
            )
            .collect();
        Some(Json::Array(list))
    }

    /// One rule toward `peers` on `ports` (`to`/`from` by direction).
    fn rule(&self, egress: bool, peer: &Peer, ports: &Ports) -> Json {
        self.rule_with(egress, peer, ports, None)
    }

    /// [`Writer::rule`] with Cilium layer-7 `rules` on its ports.
    fn rule_with(&self, egress: bool, peer: &Peer, ports: &Ports, l7: Option<Json>) -> Json {
        let ports = self.ports(ports);
        let mut rule = match (self.flavor, peer) {
            (Flavor::Kubernetes, Peer::Endpoint(e)) => {
                json!({ if egress { "to" } else { "from" }: [self.endpoint_peer(*e)] })
            }
            (Flavor::Kubernetes, Peer::Network(cidr)) => {
                json!({"to": [{"ipBlock": {"cidr": cidr}}]})
            }
            (Flavor::Cilium, Peer::Endpoint(e)) => {
                let key = if egress {
                    "toEndpoints"
                } else {
                    "fromEndpoints"
                };
                json!({ key: [self.endpoint_peer(*e)] })
            }
            (Flavor::Cilium, Peer::Network(cidr)) => json!({"toCIDR": [cidr]}),
            (_, Peer::Domain(d)) => {
                let matcher = if d.contains('*') {
                    "matchPattern"
                } else {
                    "matchName"
                };
                json!({"toFQDNs": [{ matcher: d }]})
            }
        };
        match (self.flavor, ports) {
            (Flavor::Kubernetes, Some(p)) => set(&mut rule, "ports", p),
            (Flavor::Cilium, Some(p)) => {
                let mut to_ports = json!({"ports": p});
                if let Some(l7) = l7 {
                    set(&mut to_ports, "rules", l7);
                }
                set(&mut rule, "toPorts", json!([to_ports]));
            }
            (_, None) => {}
        }
        rule
    }

    fn dns_egress(&self, namespace: &str, servers: &[EndpointId]) -> Generated {
        // Cilium resolves `toFQDNs` names through its DNS proxy.
        let l7 = (self.flavor == Flavor::Cilium).then(|| json!({"dns": [{"matchPattern": "*"}]}));
        let rules: Vec<Json> = servers
            .iter()
            .map(|s| self.rule_with(true, &Peer::Endpoint(s.0), &dns_ports(), l7.clone()))
            .collect();
        let spec = match self.flavor {
            Flavor::Kubernetes => {
                json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": rules})
            }
            Flavor::Cilium => json!({"endpointSelector": {}, "egress": rules}),
        };
        self.policy(namespace, "allow-dns", spec)
    }

    /// The DNS pods' ingress on 53 from every namespace with workloads.
    fn dns_ingress(&self, server: EndpointId) -> Vec<Generated> {
        let (ns, _) = self.labels(server.0);
        let mut namespaces: Vec<&str> = self
            .inventory
            .endpoints
            .iter()
            .map(|e| e.namespace.as_str())
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let ports = self.ports(&dns_ports());
        let spec = match self.flavor {
            Flavor::Kubernetes => json!({
                "podSelector": self.selector(server.0),
                "policyTypes": ["Ingress"],
                "ingress": [{
                    "from": namespaces.iter().map(|n| json!({"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}})).collect::<Vec<_>>(),
                    "ports": ports,
                }],
            }),
            Flavor::Cilium => json!({
                "endpointSelector": self.selector(server.0),
                "ingress": [{
                    "fromEndpoints": namespaces.iter().map(|n| json!({"matchLabels": {"io.kubernetes.pod.namespace": n}})).collect::<Vec<_>>(),
                    "toPorts": [{"ports": ports}],
                }],
            }),
        };
        vec![self.policy(&ns, &self.name(server.0, "dns-ingress"), spec)]
    }

    fn workload(&self, e: u32, paths: &Paths) -> Vec<Generated> {
        let (ns, _) = self.labels(e);
        let mut out = Vec::new();
        for (egress, list) in [(true, &paths.egress), (false, &paths.ingress)] {
            if list.is_empty() {
                continue;
            }
            let rules: Vec<Json> = list
                .iter()
                .map(|(peer, ports)| self.rule(egress, peer, ports))
                .collect();
            let (key, kind) = if egress {
                ("egress", "Egress")
            } else {
                ("ingress", "Ingress")
            };
            let spec = match self.flavor {
                Flavor::Kubernetes => json!({
                    "podSelector": self.selector(e),
                    "policyTypes": [kind],
                    key: rules,
                }),
                Flavor::Cilium => json!({"endpointSelector": self.selector(e), key: rules}),
            };
            out.push(self.policy(&ns, &self.name(e, key), spec));
        }
        out
    }
}
