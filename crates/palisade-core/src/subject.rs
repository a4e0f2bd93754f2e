//! What a finding is about: a Kubernetes object, a process, or a network flow.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The thing a [`Finding`](crate::Finding) is about.
///
/// Serialized with a `type` tag: `{"type": "object", "kind": "Pod", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Subject {
    /// A Kubernetes object (admission, audit, network workloads).
    Object(ObjectRef),
    /// A process on a host or in a container (runtime).
    Process(ProcessRef),
    /// A network flow between two endpoints (network).
    Flow(FlowRef),
}

/// A reference to a Kubernetes object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `apiVersion`, for example `apps/v1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `kind`, for example `Deployment`.
    pub kind: String,
    /// `metadata.namespace`; `None` for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ObjectRef {
    /// `Kind namespace/name`, or `Kind name` when cluster-scoped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A reference to a process, as runtime events describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessRef {
    /// Process id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// Process name (`proc.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Full command line (`proc.cmdline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmdline: Option<String>,
    /// Container id (`container.id`); `host` for host processes, as Falco says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
}

impl fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_deref().unwrap_or("<unknown process>"))?;
        if let Some(pid) = self.pid {
            write!(f, " (pid {pid})")?;
        }
        if let Some(id) = &self.container_id {
            write!(f, " in container {id}")?;
        }
        Ok(())
    }
}

/// A network flow from one endpoint to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlowRef {
    /// The source: `namespace/name` of a workload, or an IP address.
    pub from: String,
    /// The destination: `namespace/name` of a workload, or an IP address.
    pub to: String,
    /// Destination port, when the flow has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Protocol (`TCP`, `UDP`, `SCTP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl fmt::Display for FlowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {}", self.from, self.to)?;
        match (&self.protocol, self.port) {
            (Some(proto), Some(port)) => write!(f, " {proto}/{port}"),
            (None, Some(port)) => write!(f, " port {port}"),
            (Some(proto), None) => write!(f, " {proto}"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Object(o) => o.fmt(f),
            Subject::Process(p) => p.fmt(f),
            Subject::Flow(flow) => flow.fmt(f),
        }
    }
}
