//! Paths between two ends on some ports, with the rules behind them: what
//! the intent comparison (undeclared, blocked) and the policy diff (opened,
//! closed) report, and their JSON form.

use crate::policy::Direction;
use crate::ports::{MAX_PORT, MIN_PORT, Ports, Protocol};
use crate::resolver::{Explained, Flow, FlowEnd, Resolver};

/// One path a report names: two ends, a protocol and a port range, and the
/// rules behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFinding {
    /// The source: a workload (`namespace/name`) or an address range.
    pub from: String,
    /// The destination: a workload (`namespace/name`), an address range or
    /// a domain name.
    pub to: String,
    /// The protocol.
    pub protocol: Protocol,
    /// The ports (one port is a range of one); `None`: every port.
    pub ports: Option<std::ops::RangeInclusive<u16>>,
    /// The rules that allowed it (when the report says it is allowed) or
    /// denied it (when denied), as the verdict of its first port explains
    /// them.
    pub because: Vec<Explained>,
}

/// How a finding is explained: the reasons for one protocol and port
/// (the first of its range).
pub(crate) type Explain<'a> = &'a dyn Fn(Protocol, u16) -> Vec<Explained>;

/// One finding per range of `ports`, from `from` to `to`, each explained
/// at the range's first port.
pub(crate) fn push_findings(
    list: &mut Vec<PathFinding>,
    (from, to): (&str, &str),
    ports: &Ports,
    explain: Explain<'_>,
) {
    for range in ports.ranges() {
        let every = range.start == MIN_PORT && range.end == MAX_PORT;
        list.push(PathFinding {
            from: from.to_owned(),
            to: to.to_owned(),
            protocol: range.protocol,
            ports: (!every).then_some(range.start..=range.end),
            because: explain(range.protocol, range.start),
        });
    }
}

/// No reasons.
pub(crate) fn unexplained(_: Protocol, _: u16) -> Vec<Explained> {
    Vec::new()
}

/// The reasons of `resolver`'s verdict on a flow from `src` to `dst`: all
/// of them when it is allowed, those of the side(s) that denied it when it
/// is denied.
pub(crate) fn decisive(
    resolver: &Resolver,
    src: FlowEnd,
    dst: FlowEnd,
) -> impl Fn(Protocol, u16) -> Vec<Explained> + '_ {
    move |protocol, port| {
        let verdict = resolver.check(&Flow {
            src,
            dst,
            protocol,
            port,
        });
        let explained = verdict.explained();
        if verdict.allowed {
            return explained;
        }
        let denied = |d: Direction| match d {
            Direction::Egress => !verdict.egress_allowed,
            Direction::Ingress => !verdict.ingress_allowed,
        };
        verdict
            .because
            .iter()
            .zip(explained)
            .filter(|(r, _)| denied(r.direction()))
            .map(|(_, e)| e)
            .collect()
    }
}

/// `findings` as a JSON array of `{from, to, protocol, port, [end_port],
/// <key>: [reasons]}`: `port` `null` for every port, `end_port` when the
/// range holds more than one port.
pub(crate) fn to_json(findings: &[PathFinding], key: &str) -> serde_json::Value {
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let port = f.ports.as_ref().map(|r| *r.start());
            let mut v = serde_json::json!({
                "from": f.from, "to": f.to, "protocol": f.protocol, "port": port,
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(r) = f.ports.as_ref().filter(|r| r.end() > r.start()) {
                    obj.insert("end_port".into(), (*r.end()).into());
                }
                let because = serde_json::to_value(&f.because).unwrap_or_default();
                obj.insert(key.into(), because);
            }
            v
        })
        .collect();
    list.into()
}

/// Sorts findings by ends, protocol and first port.
pub(crate) fn sort(findings: &mut [PathFinding]) {
    findings.sort_by_key(|f| {
        let first = f.ports.as_ref().map(|r| *r.start());
        (f.from.clone(), f.to.clone(), f.protocol, first)
    });
}
