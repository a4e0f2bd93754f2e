//! Declared intent: Otterize `ClientIntents` (`k8s.otterize.com`, `v2beta1`
//! and `v1alpha3`) read into one model of "this workload calls that
//! target", and compared with what the policies allow ([`compare`]).
//!
//! A client is a workload (`spec.workload` in `v2beta1`, `spec.service` in
//! `v1alpha3`) in the intent's namespace. Its targets:
//!
//! - a Kubernetes workload (`kubernetes`, a `v1alpha3` call, a Kafka
//!   server): every port of the target is declared, as Otterize's operator
//!   allows it;
//! - a Service (`service`, or `kind: Service`): the Service's ports are
//!   declared, at the pods' target ports, toward the pods it selects;
//! - the internet (`internet`): addresses and CIDRs (`ips`) and domain
//!   names (`domains`), on `ports` (every port when none is given).
//!
//! A target name `name.namespace` names another namespace. Cloud and
//! database targets (`sql`, `aws`, `gcp`, `azure`, `v1alpha3` types
//! `database`, `aws`, `gcp`, `azure`) are not network paths between
//! workloads; they are reported as ignored.

mod compare;
mod generate;

use ipnet::IpNet;
use palisade_core::Manifest;
use serde_json::Value as Json;

use crate::issues::{Issues, Origin, check_keys};
use crate::json;
use crate::ports::{Ports, Protocol};

pub use crate::paths::PathFinding;
pub(crate) use compare::{Declared, resolve_declared};
pub use compare::{IntentReport, compare};
pub use generate::{Flavor, GenerateError, Generated, generate};

/// The API group of `ClientIntents`.
pub const GROUP: &str = "k8s.otterize.com/";

/// The versions read.
pub const VERSIONS: [&str; 2] = ["k8s.otterize.com/v2beta1", "k8s.otterize.com/v1alpha3"];

/// A workload named by an intent: `namespace/name`, and its kind when given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadRef {
    /// The namespace.
    pub namespace: String,
    /// The workload's name.
    pub name: String,
    /// `Deployment`, `StatefulSet`, ... when the intent says.
    pub kind: Option<String>,
}

impl WorkloadRef {
    /// `ns/name` or `ns/name[Kind]`, as [`crate::Inventory::find`] reads it.
    pub fn reference(&self) -> String {
        match &self.kind {
            Some(kind) => format!("{}/{}[{kind}]", self.namespace, self.name),
            None => format!("{}/{}", self.namespace, self.name),
        }
    }
}

/// What a client declares it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A workload: every port.
    Workload(WorkloadRef),
    /// A Service: its ports, toward the pods it selects.
    Service {
        /// The Service's namespace.
        namespace: String,
        /// The Service's name.
        name: String,
    },
    /// Addresses outside the cluster and domain names.
    Internet {
        /// IP addresses and CIDRs.
        networks: Vec<IpNet>,
        /// Domain names (`*.example.com` for subdomains).
        domains: Vec<String>,
        /// The ports, on TCP (every port of every protocol when empty).
        ports: Vec<u16>,
    },
}

/// One declared path: a client and one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The calling workload.
    pub client: WorkloadRef,
    /// What it calls.
    pub target: Target,
    /// The `ClientIntents` it was read from.
    pub origin: Origin,
    /// The target's field path (`spec.targets[0]`, `spec.calls[1]`).
    pub path: String,
}

/// Every declared path, and whether DNS to the cluster DNS counts as
/// declared for every workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The declared paths, in the order read.
    pub intents: Vec<Intent>,
    /// DNS egress (UDP and TCP 53) to kube-system `kube-dns` is declared for
    /// every workload (the default; `--no-implicit-dns` turns it off).
    pub implicit_dns: bool,
}

impl Default for Declaration {
    fn default() -> Declaration {
        Declaration {
            intents: Vec::new(),
            implicit_dns: true,
        }
    }
}

/// The ports an internet target declares: each listed port on TCP (as the
/// NetworkPolicies Otterize writes for them), or every port.
pub(crate) fn internet_ports(ports: &[u16]) -> Ports {
    if ports.is_empty() {
        return Ports::all();
    }
    ports.iter().fold(Ports::none(), |acc, &p| {
        acc.union(&Ports::single(Protocol::Tcp, p))
    })
}

impl Declaration {
    /// Reads every `ClientIntents` in `manifests` (other kinds are
    /// skipped); problems go to `issues` with the field's position.
    pub fn from_manifests(manifests: &[Manifest], issues: &mut Issues) -> Declaration {
        let mut declaration = Declaration::default();
        for m in manifests {
            if m.kind() != Some("ClientIntents") {
                continue;
            }
            let api = m.api_version().unwrap_or_default();
            if !api.starts_with(GROUP) {
                continue;
            }
            let origin = Origin::of(m);
            if !VERSIONS.contains(&api) {
                let expected = VERSIONS.join(" or ");
                let message = format!("`{api}` is not supported (expected {expected})");
                issues.unsupported(&origin, "apiVersion", &message);
                continue;
            }
            let reader = Reader {
                origin: &origin,
                namespace: m.namespace().unwrap_or(crate::inventory::DEFAULT_NAMESPACE),
                v2: api.ends_with("/v2beta1"),
            };
            declaration.intents.extend(reader.read(m, issues));
        }
        declaration
    }
}

/// Reads one `ClientIntents`.
struct Reader<'a> {
    origin: &'a Origin,
    namespace: &'a str,
    /// `v2beta1` (else `v1alpha3`).
    v2: bool,
}

impl Reader<'_> {
    fn read(&self, m: &Manifest, issues: &mut Issues) -> Vec<Intent> {
        let origin = self.origin;
        let Some(spec) = m.object.get("spec") else {
            issues.invalid(origin, "spec", "a ClientIntents needs a `spec`");
            return Vec::new();
        };
        let Some(spec) = issues.mapping(spec, origin, "spec", "`spec`") else {
            return Vec::new();
        };
        let (client_key, list_key) = if self.v2 {
            ("workload", "targets")
        } else {
            ("service", "calls")
        };
        check_keys(spec, &[client_key, list_key], "spec", origin, issues);
        let client_path = format!("spec.{client_key}");
        let Some(client) = spec
            .get(client_key)
            .and_then(|c| self.workload(c, &client_path, issues))
        else {
            if !spec.contains_key(client_key) {
                let message = format!("a ClientIntents needs `{client_key}` with a `name`");
                issues.invalid(origin, &client_path, &message);
            }
            return Vec::new();
        };
        let list_path = format!("spec.{list_key}");
        let list = match spec.get(list_key) {
            Some(Json::Array(list)) => list,
            None | Some(Json::Null) => return Vec::new(),
            Some(_) => {
                issues.invalid(origin, &list_path, "must be a sequence");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let path = format!("{list_path}[{i}]");
            let Some(item) = issues.mapping(item, origin, &path, "a target") else {
                continue;
            };
            let target = if self.v2 {
                self.target_v2(item, &path, issues)
            } else {
                self.call_v1(item, &path, issues)
            };
            if let Some(target) = target {
                out.push(Intent {
                    client: client.clone(),
                    target,
                    origin: origin.clone(),
                    path,
                });
            }
        }
        out
    }

    /// `{name, kind}` of the client, in the intent's namespace.
    fn workload(&self, value: &Json, path: &str, issues: &mut Issues) -> Option<WorkloadRef> {
        let map = issues.mapping(value, self.origin, path, "the client")?;
        check_keys(map, &["name", "kind"], path, self.origin, issues);
        let name = self.name(map, path, issues)?;
        Some(WorkloadRef {
            namespace: self.namespace.to_owned(),
            name: name.to_owned(),
            kind: map.get("kind").and_then(Json::as_str).map(str::to_owned),
        })
    }

    /// The non-empty `name` of `map`, reported when missing.
    fn name<'j>(&self, map: &'j json::Object, path: &str, issues: &mut Issues) -> Option<&'j str> {
        let name = map
            .get("name")
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty());
        if name.is_none() {
            let field = format!("{path}.name");
            issues.invalid(self.origin, &field, "a non-empty `name` is required");
        }
        name
    }

    /// `name` or `name.namespace` of a target, with `kind`.
    fn named_target(&self, name: &str, kind: Option<&str>) -> Target {
        let (name, namespace) = name.split_once('.').unwrap_or((name, self.namespace));
        if kind == Some("Service") {
            return Target::Service {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            };
        }
        Target::Workload(WorkloadRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            kind: kind.map(str::to_owned),
        })
    }

    fn target_v2(&self, item: &json::Object, path: &str, issues: &mut Issues) -> Option<Target> {
        const KINDS: [&str; 8] = [
            "kubernetes",
            "service",
            "kafka",
            "internet",
            "sql",
            "aws",
            "gcp",
            "azure",
        ];
        check_keys(item, &KINDS, path, self.origin, issues);
        let present: Vec<&str> = KINDS
            .iter()
            .copied()
            .filter(|k| item.contains_key(*k))
            .collect();
        let [key] = present.as_slice() else {
            let message = "a target needs exactly one of `kubernetes`, `service`, `kafka`, `internet`, `sql`, `aws`, `gcp`, `azure`";
            issues.invalid(self.origin, path, message);
            return None;
        };
        let at = format!("{path}.{key}");
        let body = item.get(*key)?;
        let map = issues.mapping(body, self.origin, &at, "a target")?;
        match *key {
            "kubernetes" | "service" | "kafka" => {
                let allowed: &[&str] = match *key {
                    "kubernetes" => &["name", "kind", "http"],
                    "service" => &["name", "http"],
                    _ => &["name", "topics"],
                };
                check_keys(map, allowed, &at, self.origin, issues);
                let name = self.name(map, &at, issues)?;
                let kind = match *key {
                    "service" => Some("Service"),
                    _ => map.get("kind").and_then(Json::as_str),
                };
                Some(self.named_target(name, kind))
            }
            "internet" => self.internet(map, &at, issues),
            other => {
                let message = format!(
                    "`{other}` targets are not network paths between workloads; not compared"
                );
                issues.ignored(self.origin, &at, &message);
                None
            }
        }
    }

    fn call_v1(&self, item: &json::Object, path: &str, issues: &mut Issues) -> Option<Target> {
        let keys: Vec<&str> = "name kind type kafkaTopics HTTPResources databaseResources \
             awsActions gcpPermissions azureRoles azureKeyVaultPolicy internet"
            .split_whitespace()
            .collect();
        check_keys(item, &keys, path, self.origin, issues);
        let kind = item.get("type").and_then(Json::as_str).unwrap_or("");
        if kind == "internet" || item.contains_key("internet") {
            let at = format!("{path}.internet");
            let Some(body) = item.get("internet") else {
                issues.invalid(self.origin, &at, "an `internet` call needs `internet`");
                return None;
            };
            let map = issues.mapping(body, self.origin, &at, "`internet`")?;
            return self.internet(map, &at, issues);
        }
        match kind {
            "" | "http" | "kafka" => {
                let name = self.name(item, path, issues)?;
                Some(self.named_target(name, item.get("kind").and_then(Json::as_str)))
            }
            "database" | "aws" | "gcp" | "azure" => {
                let message =
                    format!("`{kind}` calls are not network paths between workloads; not compared");
                issues.ignored(self.origin, &format!("{path}.type"), &message);
                None
            }
            other => {
                let message = format!(
                    "unknown call type `{other}` (expected http, kafka, database, aws, gcp, azure or internet)"
                );
                issues.invalid(self.origin, &format!("{path}.type"), &message);
                None
            }
        }
    }

    /// The items of the list `key` of `map` (at `at`) that `parse` reads;
    /// each other item is reported with `message`.
    fn list<T>(
        &self,
        map: &json::Object,
        (at, key): (&str, &str),
        parse: impl Fn(&Json) -> Option<T>,
        message: &str,
        issues: &mut Issues,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (i, item) in json::items(map.get(key)).enumerate() {
            match parse(item) {
                Some(v) => out.push(v),
                None => issues.invalid(self.origin, &format!("{at}.{key}[{i}]"), message),
            }
        }
        out
    }

    fn internet(&self, map: &json::Object, at: &str, issues: &mut Issues) -> Option<Target> {
        check_keys(map, &["domains", "ips", "ports"], at, self.origin, issues);
        let ip = |v: &Json| {
            let text = v.as_str()?;
            text.parse::<IpNet>()
                .ok()
                .map(|n| n.trunc())
                .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
        };
        let networks = self.list(map, (at, "ips"), ip, "not an IP address or CIDR", issues);
        let domain = |v: &Json| {
            v.as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_ascii_lowercase)
        };
        let message = "a domain must be a non-empty string";
        let domains = self.list(map, (at, "domains"), domain, message, issues);
        let port = |v: &Json| crate::policy::port_number(Some(v));
        let ports = self.list(
            map,
            (at, "ports"),
            port,
            "a port must be in 1-65535",
            issues,
        );
        if networks.is_empty() && domains.is_empty() {
            issues.invalid(
                self.origin,
                at,
                "an internet target needs `ips` or `domains`",
            );
            return None;
        }
        Some(Target::Internet {
            networks,
            domains,
            ports,
        })
    }
}
