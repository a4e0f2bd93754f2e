//! Protocols, ports, port sets and the port specifications of policy rules.

use std::fmt;

/// A transport protocol network policies speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// SCTP.
    Sctp,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// Every protocol, in the order connectivity lists write them.
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Parses `TCP`, `UDP`, `SCTP` (case-insensitive).
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

palisade_core::names! {
    /// The upper-case name.
    Protocol {
        Sctp => "SCTP",
        Tcp => "TCP",
        Udp => "UDP",
    }
}

/// Serialized as its upper-case name (`"TCP"`).
impl serde::Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The lowest port policies name.
pub const MIN_PORT: u16 = 1;
/// The highest port.
pub const MAX_PORT: u16 = 65535;

/// A contiguous range of ports of one protocol, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    /// The protocol.
    pub protocol: Protocol,
    /// First port.
    pub start: u16,
    /// Last port (>= `start`).
    pub end: u16,
}

/// A set of (protocol, port) pairs, kept as sorted, merged ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ports {
    ranges: Vec<PortRange>,
}

impl Ports {
    /// No port at all.
    pub const fn none() -> Ports {
        Ports { ranges: Vec::new() }
    }

    /// Every port of every protocol.
    pub fn all() -> Ports {
        Ports {
            ranges: Protocol::ALL
                .iter()
                .map(|&protocol| PortRange {
                    protocol,
                    start: MIN_PORT,
                    end: MAX_PORT,
                })
                .collect(),
        }
    }

    /// Every port of one protocol.
    pub fn protocol(protocol: Protocol) -> Ports {
        Ports::range(protocol, MIN_PORT, MAX_PORT)
    }

    /// One port.
    pub fn single(protocol: Protocol, port: u16) -> Ports {
        Ports::range(protocol, port, port)
    }

    /// A range of ports (empty when `start > end`; port 0 is not a port).
    pub fn range(protocol: Protocol, start: u16, end: u16) -> Ports {
        let start = start.max(MIN_PORT);
        if start > end {
            return Ports::none();
        }
        Ports {
            ranges: vec![PortRange {
                protocol,
                start,
                end,
            }],
        }
    }

    /// The ranges, sorted by protocol then port, merged.
    pub fn ranges(&self) -> &[PortRange] {
        &self.ranges
    }

    /// `true` when no port is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// `true` when every port of every protocol is in the set.
    pub fn is_all(&self) -> bool {
        self.ranges.len() == 3
            && self
                .ranges
                .iter()
                .zip(Protocol::ALL)
                .all(|(r, p)| r.protocol == p && r.start == MIN_PORT && r.end == MAX_PORT)
    }

    /// Whether the set holds `port` of `protocol`.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ranges
            .iter()
            .any(|r| r.protocol == protocol && r.start <= port && port <= r.end)
    }

    /// Adds one range.
    pub fn insert(&mut self, range: PortRange) {
        if range.start > range.end {
            return;
        }
        self.ranges.push(range);
        self.normalize();
    }

    /// The ports of `ranges`, sorted and merged.
    fn normalized(ranges: Vec<PortRange>) -> Ports {
        let mut out = Ports { ranges };
        out.normalize();
        out
    }

    fn normalize(&mut self) {
        self.ranges.sort();
        let mut out: Vec<PortRange> = Vec::with_capacity(self.ranges.len());
        for r in self.ranges.drain(..) {
            match out.last_mut() {
                Some(last)
                    if last.protocol == r.protocol
                        && u32::from(r.start) <= u32::from(last.end) + 1 =>
                {
                    last.end = last.end.max(r.end);
                }
                _ => out.push(r),
            }
        }
        self.ranges = out;
    }

    /// Ports in either set.
    pub fn union(&self, other: &Ports) -> Ports {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let mut ranges = self.ranges.clone();
        ranges.extend_from_slice(&other.ranges);
        Ports::normalized(ranges)
    }

    /// Ports in both sets.
    pub fn intersect(&self, other: &Ports) -> Ports {
        let mut ranges = Vec::new();
        for a in &self.ranges {
            for b in &other.ranges {
                if a.protocol == b.protocol {
                    let start = a.start.max(b.start);
                    let end = a.end.min(b.end);
                    if start <= end {
                        ranges.push(PortRange {
                            protocol: a.protocol,
                            start,
                            end,
                        });
                    }
                }
            }
        }
        Ports::normalized(ranges)
    }

    /// Ports in `self` but not in `other`.
    pub fn subtract(&self, other: &Ports) -> Ports {
        let mut ranges = Vec::new();
        for a in &self.ranges {
            let mut pieces = vec![(a.start, a.end)];
            for b in other.ranges.iter().filter(|b| b.protocol == a.protocol) {
                let mut next = Vec::with_capacity(pieces.len() + 1);
                for (s, e) in pieces {
                    if b.end < s || b.start > e {
                        next.push((s, e));
                        continue;
                    }
                    if b.start > s {
                        next.push((s, b.start - 1));
                    }
                    if b.end < e {
                        next.push((b.end + 1, e));
                    }
                }
                pieces = next;
            }
            ranges.extend(pieces.into_iter().map(|(start, end)| PortRange {
                protocol: a.protocol,
                start,
                end,
            }));
        }
        Ports::normalized(ranges)
    }
}

impl fmt::Display for Ports {
    /// netpol-analyzer's connection string: `All Connections`,
    /// `No Connections`, or `SCTP 1-9002,TCP 53,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first_proto = true;
        for protocol in Protocol::ALL {
            let mut ranges = self
                .ranges
                .iter()
                .filter(|r| r.protocol == protocol)
                .peekable();
            if ranges.peek().is_none() {
                continue;
            }
            if !first_proto {
                f.write_str(",")?;
            }
            first_proto = false;
            write!(f, "{protocol} ")?;
            let mut first = true;
            for r in ranges {
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                if r.start == r.end {
                    write!(f, "{}", r.start)?;
                } else {
                    write!(f, "{}-{}", r.start, r.end)?;
                }
            }
        }
        Ok(())
    }
}

/// The port part of a policy rule, before named ports are resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortSpec {
    /// Every port of every protocol.
    Any,
    /// Every port of one protocol.
    Protocol(Protocol),
    /// A range of ports (`port` alone is a range of one; `endPort`, ANP
    /// `portRange`).
    Range(PortRange),
    /// A named container port of the destination, with the protocol the
    /// rule requires (`None`: any protocol the container port declares).
    Named {
        /// The port name.
        name: String,
        /// The protocol required by the rule, if any.
        protocol: Option<Protocol>,
    },
}

impl PortSpec {
    /// The ports this spec allows on a destination with `named` ports
    /// (name, protocol, number).
    pub fn resolve(&self, named: &[NamedPort]) -> Ports {
        match self {
            PortSpec::Any => Ports::all(),
            PortSpec::Protocol(p) => Ports::protocol(*p),
            PortSpec::Range(r) => Ports::range(r.protocol, r.start, r.end),
            PortSpec::Named { name, protocol } => {
                let mut out = Ports::none();
                for n in named {
                    if &n.name == name && protocol.is_none_or(|p| p == n.protocol) {
                        out.insert(PortRange {
                            protocol: n.protocol,
                            start: n.port,
                            end: n.port,
                        });
                    }
                }
                out
            }
        }
    }

    /// Whether the spec allows `port`/`protocol` on a destination with `named` ports.
    pub fn contains(&self, protocol: Protocol, port: u16, named: &[NamedPort]) -> bool {
        match self {
            PortSpec::Any => true,
            PortSpec::Protocol(p) => *p == protocol,
            PortSpec::Range(r) => r.protocol == protocol && r.start <= port && port <= r.end,
            PortSpec::Named { name, protocol: p } => named.iter().any(|n| {
                &n.name == name
                    && n.port == port
                    && n.protocol == protocol
                    && p.is_none_or(|p| p == protocol)
            }),
        }
    }

    /// `true` for named ports (they depend on the destination).
    pub fn is_named(&self) -> bool {
        matches!(self, PortSpec::Named { .. })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Any => f.write_str("any port"),
            PortSpec::Protocol(p) => write!(f, "{p} any port"),
            PortSpec::Range(r) if r.start == r.end => write!(f, "{} {}", r.protocol, r.start),
            PortSpec::Range(r) => write!(f, "{} {}-{}", r.protocol, r.start, r.end),
            PortSpec::Named {
                name,
                protocol: Some(p),
            } => write!(f, "{p} `{name}`"),
            PortSpec::Named {
                name,
                protocol: None,
            } => write!(f, "`{name}`"),
        }
    }
}

/// A named container port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamedPort {
    /// The port's name.
    pub name: String,
    /// Its protocol.
    pub protocol: Protocol,
    /// Its number.
    pub port: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_match_netpol_analyzer() {
        assert_eq!(Ports::all().to_string(), "All Connections");
        let mut p = Ports::single(Protocol::Udp, 53);
        p.insert(PortRange {
            protocol: Protocol::Tcp,
            start: 53,
            end: 53,
        });
        assert_eq!(p.to_string(), "TCP 53,UDP 53");
        let holes = Ports::all().subtract(&Ports::single(Protocol::Tcp, 80));
        assert_eq!(
            holes.to_string(),
            "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"
        );
        let merged =
            Ports::range(Protocol::Tcp, 8080, 8080).union(&Ports::single(Protocol::Tcp, 8081));
        assert_eq!(merged.to_string(), "TCP 8080-8081");
    }

    #[test]
    fn set_operations() {
        let a = Ports::range(Protocol::Tcp, 1, 100);
        let b = Ports::range(Protocol::Tcp, 50, 200);
        assert_eq!(a.intersect(&b), Ports::range(Protocol::Tcp, 50, 100));
        assert_eq!(a.subtract(&b), Ports::range(Protocol::Tcp, 1, 49));
        assert_eq!(a.union(&b), Ports::range(Protocol::Tcp, 1, 200));
        assert!(a.subtract(&Ports::all()).is_empty());
        assert!(Ports::all().subtract(&Ports::none()).is_all());
    }
}
