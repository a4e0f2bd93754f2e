//! Hubble's JSON export (`hubble observe -o json`): one `{"flow": {...}}`
//! per line (a bare flow object is read too), with the snake_case field
//! names of `hubble observe` or the camelCase of the protobuf JSON mapping.

use std::net::IpAddr;

use serde_json::Value as Json;

use crate::ports::Protocol;

/// One end of an observed flow, as Hubble names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedEnd {
    /// The pod's namespace (empty outside the cluster).
    pub namespace: String,
    /// The labels, `key=value` with the `k8s:` (or other source) prefix
    /// removed; `reserved:` labels are kept in [`ObservedEnd::reserved`].
    pub labels: Vec<(String, String)>,
    /// Cilium's reserved identities of the end (`world`, `host`, ...).
    pub reserved: Vec<String>,
    /// The pod's name, when Hubble gives it.
    pub pod: Option<String>,
    /// The address from the `IP` section.
    pub ip: Option<IpAddr>,
    /// The DNS names the address was resolved from (`source_names`,
    /// `destination_names`: Cilium's DNS proxy cache), lowercased without
    /// the final dot.
    pub names: Vec<String>,
}

/// The side a flow was observed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObservedDirection {
    /// Leaving the source (`EGRESS`): the source's egress policies.
    Egress,
    /// Entering the destination (`INGRESS`): its ingress policies.
    Ingress,
    /// Not said: both sides.
    Unknown,
}

/// One flow record of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// The line of the export (1-based).
    pub line: usize,
    /// `FORWARDED`, `DROPPED`, `AUDIT`, `ERROR`, ...
    pub verdict: String,
    /// The source.
    pub source: ObservedEnd,
    /// The destination.
    pub destination: ObservedEnd,
    /// TCP, UDP or SCTP with the destination port; `None` when the record
    /// has no such layer-4 section (ICMP, or missing).
    pub l4: Option<(Protocol, u16)>,
    /// Where it was observed.
    pub direction: ObservedDirection,
    /// A reply of an established connection (`is_reply`).
    pub is_reply: bool,
    /// Why it was dropped, when it was.
    pub drop_reason: Option<String>,
}

/// A line that is not a flow record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line (1-based).
    pub line: usize,
    /// The column (1-based) where reading stopped, when known.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The DNS names of the source and of the destination, in both spellings.
const NAMES: [(&str, &str); 2] = [
    ("source_names", "sourceNames"),
    ("destination_names", "destinationNames"),
];

/// A field under either spelling.
fn field<'a>(object: &'a Json, snake: &str, camel: &str) -> Option<&'a Json> {
    object.get(snake).or_else(|| object.get(camel))
}

fn text<'a>(object: &'a Json, snake: &str, camel: &str) -> Option<&'a str> {
    field(object, snake, camel).and_then(Json::as_str)
}

/// Reads one line of the export; `Ok(None)` for a blank line.
pub fn parse_line(line: usize, text_line: &str) -> Result<Option<FlowRecord>, LineError> {
    if text_line.trim().is_empty() {
        return Ok(None);
    }
    let value: Json = serde_json::from_str(text_line).map_err(|e| {
        let text = e.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        LineError {
            line,
            column: e.column(),
            message: format!("not JSON: {message}"),
        }
    })?;
    let flow = value.get("flow").unwrap_or(&value);
    let error = |message: String| LineError {
        line,
        column: 1,
        message,
    };
    if !flow.is_object() {
        return Err(error("expected `{\"flow\": {...}}`".to_owned()));
    }
    let verdict = match flow.get("verdict") {
        Some(Json::String(v)) => v,
        Some(_) => return Err(error("`verdict` must be a string".to_owned())),
        None => return Err(error("the flow has no `verdict`".to_owned())),
    };
    let ip = flow.get("IP").or_else(|| flow.get("ip"));
    for (snake, camel) in NAMES {
        let names = field(flow, snake, camel);
        let listed =
            names.is_none_or(|n| n.as_array().is_some_and(|a| a.iter().all(Json::is_string)));
        if !listed {
            return Err(error(format!("`{snake}` must be a list of DNS names")));
        }
    }
    let end = |key: &str, (snake, camel): (&str, &str)| {
        let address = ip
            .and_then(|ip| ip.get(key))
            .and_then(Json::as_str)
            .and_then(|a| a.parse().ok());
        let mut end = flow
            .get(key)
            .map(|e| observed_end(e, address))
            .unwrap_or(ObservedEnd {
                ip: address,
                ..ObservedEnd::default()
            });
        end.names = crate::json::items(field(flow, snake, camel))
            .filter_map(Json::as_str)
            .map(crate::domains::normalize)
            .collect();
        end
    };
    let direction = match text(flow, "traffic_direction", "trafficDirection") {
        Some("EGRESS") => ObservedDirection::Egress,
        Some("INGRESS") => ObservedDirection::Ingress,
        _ => ObservedDirection::Unknown,
    };
    let is_reply = match field(flow, "is_reply", "isReply") {
        Some(Json::Bool(b)) => *b,
        Some(Json::Object(o)) => o.get("value").and_then(Json::as_bool).unwrap_or(false),
        _ => false,
    };
    Ok(Some(FlowRecord {
        line,
        verdict: verdict.to_owned(),
        source: end("source", NAMES[0]),
        destination: end("destination", NAMES[1]),
        l4: flow.get("l4").and_then(layer4),
        direction,
        is_reply,
        drop_reason: text(flow, "drop_reason_desc", "dropReasonDesc").map(str::to_owned),
    }))
}

fn observed_end(end: &Json, ip: Option<IpAddr>) -> ObservedEnd {
    let mut labels = Vec::new();
    let mut reserved = Vec::new();
    for label in crate::json::items(end.get("labels")).filter_map(Json::as_str) {
        let (source, rest) = label.split_once(':').unwrap_or(("", label));
        let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
        if source == "reserved" {
            reserved.push(key.to_owned());
        } else if source == "k8s" || source.is_empty() || source == "container" {
            labels.push((key.to_owned(), value.to_owned()));
        }
    }
    ObservedEnd {
        namespace: end
            .get("namespace")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        labels,
        reserved,
        pod: text(end, "pod_name", "podName").map(str::to_owned),
        ip,
        names: Vec::new(),
    }
}

/// `{"TCP": {"destination_port": 80}}` and the like.
fn layer4(l4: &Json) -> Option<(Protocol, u16)> {
    for (key, protocol) in [
        ("TCP", Protocol::Tcp),
        ("UDP", Protocol::Udp),
        ("SCTP", Protocol::Sctp),
    ] {
        if let Some(section) = l4.get(key) {
            let port = field(section, "destination_port", "destinationPort")?
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|&p| p > 0)?;
            return Some((protocol, port));
        }
    }
    None
}
