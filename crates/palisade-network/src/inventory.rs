//! What runs in the cluster, from manifests: namespaces, endpoints (pods and
//! workloads, one endpoint per owner), services and nodes.
//!
//! A workload object (Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController, Job, CronJob) becomes one endpoint with the labels
//! and named container ports of its pod template, whatever its replica count.
//! A `Pod` with a controller owner reference becomes (part of) the endpoint
//! of its owner, `ns/owner[OwnerKind]`; other pods are endpoints of their own.
//! This is netpol-analyzer's model, and it is what policies can tell apart:
//! the replicas of one workload share labels.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;

use palisade_core::Manifest;
use palisade_core::selector::Tree;
use serde_json::Value as Json;

use crate::issues::{Issues, Origin};
use crate::json;
use crate::labels::Labels;
use crate::ports::{NamedPort, Protocol};

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespace of objects that name none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A namespace and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The name.
    pub name: String,
    /// The labels, including `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// Where it was defined; `None` when only its pods named it.
    pub origin: Option<Origin>,
}

/// The workload kinds turned into endpoints.
pub const WORKLOAD_KINDS: [&str; 7] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Index of an endpoint in [`Inventory::endpoints`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId(pub u32);

impl EndpointId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of pods that policies cannot tell apart: one workload, the pods of
/// one owner, or one standalone pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The namespace.
    pub namespace: String,
    /// The workload's (or owner's, or pod's) name.
    pub name: String,
    /// `Deployment`, `ReplicaSet`, ..., or `Pod`.
    pub kind: String,
    /// The pods' labels.
    pub labels: Labels,
    /// The named container ports.
    pub ports: Vec<NamedPort>,
    /// Pod IPs given in `status`.
    pub ips: Vec<IpAddr>,
    /// How many pods the endpoint stands for (replicas, or pods seen).
    pub pods: u32,
    /// Where it was defined.
    pub origin: Origin,
}

impl Endpoint {
    /// `ns/name`.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for Endpoint {
    /// netpol-analyzer's peer name: `ns/name[Kind]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// One port of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    /// The port's name.
    pub name: Option<String>,
    /// Its protocol.
    pub protocol: Protocol,
    /// The service port.
    pub port: u16,
    /// The target port: a number or a container port name.
    pub target: Option<String>,
}

/// A service: a selector over pods and the ports it exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
    /// The pod selector (`None`: a service without selector).
    pub selector: Option<Labels>,
    /// The ports.
    pub ports: Vec<ServicePort>,
    /// Where it was defined.
    pub origin: Origin,
}

/// A node, when manifests give one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The name.
    pub name: String,
    /// The labels.
    pub labels: Labels,
    /// Addresses from `status.addresses`.
    pub addresses: Vec<IpAddr>,
    /// Where it was defined.
    pub origin: Origin,
}

/// Everything that runs, from manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Namespaces, sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Endpoints, in the order their first object was met.
    pub endpoints: Vec<Endpoint>,
    /// Services.
    pub services: Vec<Service>,
    /// Nodes.
    pub nodes: Vec<Node>,
}

impl Inventory {
    /// Reads the inventory from manifests; objects of other kinds are
    /// skipped (policies are read by [`crate::policy`]). Problems go to `issues`.
    pub fn from_manifests(manifests: &[Manifest], issues: &mut Issues) -> Inventory {
        let mut builder = Builder::default();
        for m in manifests {
            builder.add(m, issues);
        }
        builder.finish()
    }

    /// The namespace named `name`.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.namespaces.get(i))
    }

    /// The endpoint with this id.
    pub fn endpoint(&self, id: EndpointId) -> Option<&Endpoint> {
        self.endpoints.get(id.index())
    }

    /// Finds an endpoint by `ns/name`, `ns/name[Kind]` or `name` (in
    /// `default`). Pods with a controller owner are found by the owner's name.
    pub fn find(&self, reference: &str) -> Option<EndpointId> {
        let (qualified, kind) = match reference.strip_suffix(']').and_then(|r| r.split_once('[')) {
            Some((q, k)) => (q, Some(k)),
            None => (reference, None),
        };
        let (ns, name) = qualified
            .split_once('/')
            .unwrap_or((DEFAULT_NAMESPACE, qualified));
        self.endpoints
            .iter()
            .position(|e| e.namespace == ns && e.name == name && kind.is_none_or(|k| k == e.kind))
            .and_then(|i| u32::try_from(i).ok())
            .map(EndpointId)
    }

    /// Adds an endpoint (for programs that build clusters in code), creating
    /// its namespace when missing. Returns its id.
    pub fn add_endpoint(&mut self, endpoint: Endpoint) -> EndpointId {
        if self.namespace(&endpoint.namespace).is_none() {
            self.add_namespace(&endpoint.namespace, Labels::new());
        }
        let id = EndpointId(u32::try_from(self.endpoints.len()).unwrap_or(u32::MAX));
        self.endpoints.push(endpoint);
        id
    }

    /// Adds (or replaces the labels of) a namespace; the name label is added.
    pub fn add_namespace(&mut self, name: &str, mut labels: Labels) {
        labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
        match self
            .namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
        {
            Ok(i) => {
                if let Some(ns) = self.namespaces.get_mut(i) {
                    ns.labels = labels;
                }
            }
            Err(i) => self.namespaces.insert(
                i,
                Namespace {
                    name: name.to_owned(),
                    labels,
                    origin: None,
                },
            ),
        }
    }
}

#[derive(Default)]
struct Builder {
    namespaces: BTreeMap<String, Namespace>,
    endpoints: Vec<Endpoint>,
    /// (namespace, kind, name) -> endpoint index.
    index: HashMap<(String, String, String), usize>,
    services: Vec<Service>,
    nodes: Vec<Node>,
}

impl Builder {
    fn add(&mut self, m: &Manifest, issues: &mut Issues) {
        let Some(kind) = m.kind() else { return };
        let origin = Origin::of(m);
        match kind {
            "Namespace" => {
                let Some(name) = m.name() else {
                    issues.invalid(&origin, "metadata.name", "a namespace needs a name");
                    return;
                };
                let mut labels: Labels = m
                    .labels()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
                self.namespaces.insert(
                    name.to_owned(),
                    Namespace {
                        name: name.to_owned(),
                        labels,
                        origin: Some(origin),
                    },
                );
            }
            "Pod" => self.add_pod(m, origin, issues),
            "Service" => self.add_service(m, origin, issues),
            "Node" => self.add_node(m, origin),
            k if WORKLOAD_KINDS.contains(&k) => self.add_workload(m, k, origin, issues),
            _ => {}
        }
    }

    fn namespace_of(&mut self, m: &Manifest) -> String {
        let ns = m.namespace().unwrap_or(DEFAULT_NAMESPACE).to_owned();
        self.ensure_namespace(&ns);
        ns
    }

    fn ensure_namespace(&mut self, ns: &str) {
        self.namespaces
            .entry(ns.to_owned())
            .or_insert_with(|| Namespace {
                name: ns.to_owned(),
                labels: Labels::from([(NAMESPACE_NAME_LABEL.to_owned(), ns.to_owned())]),
                origin: None,
            });
    }

    fn add_workload(&mut self, m: &Manifest, kind: &str, origin: Origin, issues: &mut Issues) {
        let Some(name) = m.name() else {
            issues.invalid(&origin, "metadata.name", "a workload needs a name");
            return;
        };
        let ns = self.namespace_of(m);
        let spec = m.object.get("spec");
        let template = if kind == "CronJob" {
            spec.and_then(|s| s.get("jobTemplate"))
                .and_then(|j| j.get("spec"))
                .and_then(|s| s.get("template"))
        } else {
            spec.and_then(|s| s.get("template"))
        };
        let Some(template) = template else {
            issues.invalid(
                &origin,
                if kind == "CronJob" {
                    "spec.jobTemplate.spec.template"
                } else {
                    "spec.template"
                },
                "a workload without a pod template has no pods to place",
            );
            return;
        };
        let labels = labels_of(template.get("metadata"));
        let ports = container_ports(template.get("spec"), &origin, issues);
        let pods = spec
            .and_then(|s| s.get("replicas"))
            .and_then(Json::as_u64)
            .map_or(1, |r| u32::try_from(r).unwrap_or(u32::MAX));
        self.push(
            Endpoint {
                namespace: ns,
                name: name.to_owned(),
                kind: kind.to_owned(),
                labels,
                ports,
                ips: Vec::new(),
                pods,
                origin,
            },
            issues,
        );
    }

    fn add_pod(&mut self, m: &Manifest, origin: Origin, issues: &mut Issues) {
        let Some(name) = m.name().or_else(|| {
            m.object
                .get("metadata")
                .and_then(|md| md.get("generateName"))
                .and_then(Json::as_str)
        }) else {
            issues.invalid(&origin, "metadata.name", "a pod needs a name");
            return;
        };
        let ns = self.namespace_of(m);
        let owner = m
            .object
            .get("metadata")
            .and_then(|md| md.get("ownerReferences"))
            .and_then(Json::as_array)
            .and_then(|owners| {
                owners.iter().find(|o| {
                    o.get("controller").and_then(Json::as_bool) == Some(true)
                        && o.get("kind").and_then(Json::as_str) != Some("Node")
                })
            })
            .and_then(|o| {
                let name = o.get("name").and_then(Json::as_str)?;
                let kind = o
                    .get("kind")
                    .and_then(Json::as_str)
                    .filter(|k| !k.is_empty())
                    .unwrap_or("Pod");
                Some((name.to_owned(), kind.to_owned()))
            });
        let (endpoint_name, kind) = owner.unwrap_or_else(|| (name.to_owned(), "Pod".to_owned()));
        let labels: Labels = m
            .labels()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let ports = container_ports(m.object.get("spec"), &origin, issues);
        let ips = pod_ips(m.object.get("status"));
        self.push(
            Endpoint {
                namespace: ns,
                name: endpoint_name,
                kind,
                labels,
                ports,
                ips,
                pods: 1,
                origin,
            },
            issues,
        );
    }

    /// Adds an endpoint, or merges a pod into its owner's endpoint.
    fn push(&mut self, endpoint: Endpoint, issues: &mut Issues) {
        let key = (
            endpoint.namespace.clone(),
            endpoint.kind.clone(),
            endpoint.name.clone(),
        );
        match self
            .index
            .get(&key)
            .and_then(|&i| self.endpoints.get_mut(i))
        {
            Some(existing) => {
                if existing.labels != endpoint.labels {
                    issues.ignored(
                        &endpoint.origin,
                        "metadata.labels",
                        &format!(
                            "pods of `{existing}` have different labels; the first one read (at {}) stands for all of them",
                            existing.origin
                        ),
                    );
                }
                existing.pods = existing.pods.saturating_add(endpoint.pods);
                existing.ips.extend(endpoint.ips);
                for port in endpoint.ports {
                    if !existing.ports.contains(&port) {
                        existing.ports.push(port);
                    }
                }
            }
            None => {
                self.index.insert(key, self.endpoints.len());
                self.endpoints.push(endpoint);
            }
        }
    }

    fn add_service(&mut self, m: &Manifest, origin: Origin, issues: &mut Issues) {
        let Some(name) = m.name() else { return };
        let ns = self.namespace_of(m);
        let spec = m.object.get("spec");
        let selector = string_map(spec.and_then(|s| s.get("selector")));
        let mut ports = Vec::new();
        for (i, p) in json::items(spec.and_then(|s| s.get("ports"))).enumerate() {
            let Some(port) = p
                .get("port")
                .and_then(Json::as_u64)
                .and_then(|n| u16::try_from(n).ok())
            else {
                issues.invalid(
                    &origin,
                    &format!("spec.ports[{i}].port"),
                    "a service port needs a port number",
                );
                continue;
            };
            let protocol = p
                .get("protocol")
                .and_then(Json::as_str)
                .and_then(Protocol::parse)
                .unwrap_or(Protocol::Tcp);
            ports.push(ServicePort {
                name: p.get("name").and_then(Json::as_str).map(str::to_owned),
                protocol,
                port,
                target: p.get("targetPort").and_then(Tree::text),
            });
        }
        self.services.push(Service {
            namespace: ns,
            name: name.to_owned(),
            selector,
            ports,
            origin,
        });
    }

    fn add_node(&mut self, m: &Manifest, origin: Origin) {
        let Some(name) = m.name() else { return };
        let addresses = json::items(m.object.get("status").and_then(|s| s.get("addresses")))
            .filter_map(|a| a.get("address")?.as_str()?.parse().ok())
            .collect();
        self.nodes.push(Node {
            name: name.to_owned(),
            labels: m
                .labels()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            addresses,
            origin,
        });
    }

    fn finish(self) -> Inventory {
        Inventory {
            namespaces: self.namespaces.into_values().collect(),
            endpoints: self.endpoints,
            services: self.services,
            nodes: self.nodes,
        }
    }
}

fn labels_of(metadata: Option<&Json>) -> Labels {
    string_map(metadata.and_then(|m| m.get("labels"))).unwrap_or_default()
}

/// The entries of a mapping (`labels`, a Service's `selector`) whose values
/// are text; `None` when `value` is not a mapping.
fn string_map(value: Option<&Json>) -> Option<Labels> {
    value.and_then(Json::as_object).map(|map| {
        map.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.text()?)))
            .collect()
    })
}

/// Named container ports of a pod spec (`containers` and `initContainers`
/// with `restartPolicy: Always`, the sidecars).
fn container_ports(spec: Option<&Json>, origin: &Origin, issues: &mut Issues) -> Vec<NamedPort> {
    let mut out = Vec::new();
    let Some(spec) = spec else { return out };
    let containers = json::items(spec.get("containers")).map(|c| ("containers", c));
    let sidecars = json::items(spec.get("initContainers"))
        .filter(|c| c.get("restartPolicy").and_then(Json::as_str) == Some("Always"))
        .map(|c| ("initContainers", c));
    for (list, container) in containers.chain(sidecars) {
        for (i, port) in json::items(container.get("ports")).enumerate() {
            let Some(name) = port.get("name").and_then(Json::as_str) else {
                continue;
            };
            let number = port
                .get("containerPort")
                .and_then(Json::as_u64)
                .and_then(|n| u16::try_from(n).ok());
            let protocol = match port.get("protocol").and_then(Json::as_str) {
                None => Some(Protocol::Tcp),
                Some(p) => Protocol::parse(p),
            };
            match (number, protocol) {
                (Some(port), Some(protocol)) => out.push(NamedPort {
                    name: name.to_owned(),
                    protocol,
                    port,
                }),
                _ => issues.invalid(
                    origin,
                    &format!("{list}[].ports[{i}]"),
                    &format!("container port `{name}` needs a `containerPort` in 1-65535 and a protocol TCP, UDP or SCTP"),
                ),
            }
        }
    }
    out
}

fn pod_ips(status: Option<&Json>) -> Vec<IpAddr> {
    let Some(status) = status else {
        return Vec::new();
    };
    let mut ips: Vec<IpAddr> = json::items(status.get("podIPs"))
        .filter_map(|p| p.get("ip")?.as_str()?.parse().ok())
        .collect();
    if let Some(ip) = status
        .get("podIP")
        .and_then(Json::as_str)
        .and_then(|s| s.parse().ok())
        && !ips.contains(&ip)
    {
        ips.push(ip);
    }
    ips
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::manifest::load_str;

    #[test]
    fn example_cluster_inventory() {
        let text = include_str!("../../../examples/data/cluster.yaml");
        let report = load_str("cluster.yaml", text);
        let mut issues = Issues::default();
        let inv = Inventory::from_manifests(&report.objects, &mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        let names: Vec<String> = inv.endpoints.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "shop/web[Deployment]",
                "shop/api[Deployment]",
                "data/db[StatefulSet]"
            ]
        );
        let web = &inv.endpoints[0];
        assert_eq!(web.labels.get("tier").map(String::as_str), Some("frontend"));
        assert_eq!(web.pods, 2);
        assert_eq!(web.ports[0].name, "http");
        assert_eq!(inv.namespaces.len(), 2);
        assert_eq!(inv.services[0].selector.as_ref().unwrap()["app"], "db");
        assert_eq!(inv.find("data/db"), Some(EndpointId(2)));
        assert_eq!(inv.find("shop/api[Deployment]"), Some(EndpointId(1)));
    }

    #[test]
    fn pods_group_by_controller_owner() {
        let text = r#"
apiVersion: v1
kind: Pod
metadata:
  name: coredns-1
  namespace: kube-system
  labels: {k8s-app: kube-dns}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: coredns-7d, controller: true}]
spec:
  containers: [{name: c, ports: [{name: dns, containerPort: 53, protocol: UDP}]}]
status: {podIP: 10.0.0.5}
---
# The second replica, written as a flow mapping.
{apiVersion: v1, kind: Pod, metadata: {name: coredns-2, namespace: kube-system,
  labels: {k8s-app: kube-dns},
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: coredns-7d, controller: true}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: lonely}
"#;
        let report = load_str("pods.yaml", text);
        let mut issues = Issues::default();
        let inv = Inventory::from_manifests(&report.objects, &mut issues);
        let names: Vec<String> = inv.endpoints.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["kube-system/coredns-7d[ReplicaSet]", "default/lonely[Pod]"]
        );
        assert_eq!(inv.endpoints[0].pods, 2);
        assert_eq!(
            inv.endpoints[0].ips,
            ["10.0.0.5".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(inv.endpoints[0].ports[0].protocol, Protocol::Udp);
        assert_eq!(inv.namespaces.len(), 2, "implicit namespaces are created");
    }
}
