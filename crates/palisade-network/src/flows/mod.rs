//! Observed flows (Hubble's JSON export) judged against the policies and,
//! when given, the declaration.
//!
//! Each record is judged on the side it was observed at: `EGRESS` by the
//! source's egress policies, `INGRESS` by the destination's ingress
//! policies (both sides when Hubble does not say). Ends are mapped to
//! workloads by namespace and labels (the workload whose labels the pod's
//! carry, the most specific one), else by IP through the inventory;
//! `reserved:world` is an address outside the cluster, other reserved
//! identities are Cilium entities. Replies (`is_reply`) are skipped;
//! verdicts other than `FORWARDED` and `DROPPED` are counted, not judged;
//! records whose ends cannot be mapped or that have no TCP/UDP/SCTP port
//! are counted and reported with their line.
//!
//! The finding of a record: `drift` when the observed verdict and
//! Palisade's disagree (the cluster does not run these policies), else
//! `declared-but-dropped` for a declared path that was dropped, else
//! `undeclared` for an allowed path nobody declared, else none.

pub mod hubble;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

pub use hubble::{FlowRecord, LineError, ObservedDirection, ObservedEnd, parse_line};

use crate::intent::{Declaration, Declared};
use crate::inventory::EndpointId;
use crate::issues::Issues;
use crate::policy::{Direction, Entity};
use crate::ports::Protocol;
use crate::resolver::{Explained, Flow, FlowEnd, Resolver};

/// What a judged record shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowFinding {
    /// Observed and Palisade's verdicts disagree.
    Drift,
    /// A declared path was dropped.
    DeclaredButDropped,
    /// An allowed path nobody declared.
    Undeclared,
}

/// One judged record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JudgedFlow {
    /// The line of the export.
    pub line: usize,
    /// The source: `namespace/name`, an address, or `entity:<name>`.
    pub from: String,
    /// The destination.
    pub to: String,
    /// The protocol.
    pub protocol: Protocol,
    /// The destination port.
    pub port: u16,
    /// The side it was observed at.
    pub direction: ObservedDirection,
    /// Hubble's verdict (`FORWARDED` or `DROPPED`).
    pub observed: String,
    /// Palisade's verdict on that side: `allowed` or `denied`.
    pub verdict: &'static str,
    /// The reasons of that side.
    pub decided_by: Vec<Explained>,
    /// Whether the path is declared (`None` without a declaration).
    pub declared: Option<bool>,
    /// What the record shows, if anything.
    pub finding: Option<FlowFinding>,
}

/// A record that could not be judged, or a line that is not one: the
/// export's name and the line's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowProblem(pub String, pub LineError);

impl fmt::Display for FlowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let FlowProblem(file, e) = self;
        write!(f, "{file}:{}:{}: {}", e.line, e.column, e.message)
    }
}

/// The counts of a judged export.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlowSummary {
    /// Flow records read.
    pub records: usize,
    /// Records judged.
    pub judged: usize,
    /// Replies skipped.
    pub replies: usize,
    /// Records with another verdict (`AUDIT`, `ERROR`, ...), by verdict.
    pub not_judged: BTreeMap<String, usize>,
    /// Lines that are not flow records.
    pub malformed: usize,
    /// Records whose source or destination is not known.
    pub unknown_endpoints: usize,
    /// Records without a TCP, UDP or SCTP destination port.
    pub missing_ports: usize,
    /// Judged allowed.
    pub allowed: usize,
    /// Judged denied.
    pub denied: usize,
    /// Findings `drift`.
    pub drift: usize,
    /// Findings `declared-but-dropped`.
    pub declared_but_dropped: usize,
    /// Findings `undeclared`.
    pub undeclared: usize,
}

/// A judged export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowReport {
    /// The judged records, in line order.
    pub flows: Vec<JudgedFlow>,
    /// The counts.
    pub summary: FlowSummary,
    /// Lines and records that could not be judged.
    pub problems: Vec<FlowProblem>,
}

impl FlowReport {
    /// `{"flows": [...], "summary": {...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"flows": self.flows, "summary": self.summary})
    }

    /// `true` when some record has a finding.
    pub fn has_findings(&self) -> bool {
        self.flows.iter().any(|f| f.finding.is_some())
    }
}

/// Judges flow records against a resolver (and a declaration). Built
/// once, it maps ends through a per-namespace index of the inventory.
pub struct FlowJudge<'a> {
    resolver: &'a Resolver,
    declared: Option<Declared>,
    /// Namespace -> its endpoints.
    by_namespace: HashMap<&'a str, Vec<EndpointId>>,
}

impl<'a> FlowJudge<'a> {
    /// A judge for `resolver`'s policies and, when given, `declaration`
    /// (what it names and the inventory does not hold goes to `issues`).
    pub fn new(
        resolver: &'a Resolver,
        declaration: Option<&Declaration>,
        issues: &mut Issues,
    ) -> FlowJudge<'a> {
        let inventory = &resolver.catalog().inventory;
        let mut by_namespace: HashMap<&str, Vec<EndpointId>> = HashMap::new();
        for (i, e) in inventory.endpoints.iter().enumerate() {
            if let Ok(i) = u32::try_from(i) {
                by_namespace
                    .entry(e.namespace.as_str())
                    .or_default()
                    .push(EndpointId(i));
            }
        }
        FlowJudge {
            resolver,
            declared: declaration.map(|d| crate::intent::resolve_declared(inventory, d, issues)),
            by_namespace,
        }
    }

    /// Judges an export (`file` names it in problems).
    pub fn judge_export(&self, file: &str, text: &str) -> FlowReport {
        let mut report = FlowReport::default();
        for (i, line) in text.lines().enumerate() {
            let problem = |column: usize, message: String| {
                let line = i + 1;
                FlowProblem(
                    file.to_owned(),
                    LineError {
                        line,
                        column,
                        message,
                    },
                )
            };
            match parse_line(i + 1, line) {
                Ok(None) => {}
                Err(e) => {
                    report.summary.malformed += 1;
                    report.problems.push(problem(e.column, e.message));
                }
                Ok(Some(record)) => {
                    report.summary.records += 1;
                    match self.judge(&record) {
                        Ok(Some(judged)) => count(&mut report.summary, &judged, &mut report.flows),
                        Ok(None) if record.is_reply => report.summary.replies += 1,
                        Ok(None) => {
                            *report
                                .summary
                                .not_judged
                                .entry(record.verdict.clone())
                                .or_default() += 1;
                        }
                        Err(Unjudged::NoPort) => {
                            report.summary.missing_ports += 1;
                            let message = "no TCP, UDP or SCTP destination port; not judged";
                            report.problems.push(problem(1, message.to_owned()));
                        }
                        Err(Unjudged::UnknownEnd(message)) => {
                            report.summary.unknown_endpoints += 1;
                            report.problems.push(problem(1, message));
                        }
                    }
                }
            }
        }
        report
    }

    /// Judges one record: `Ok(None)` for replies and verdicts other than
    /// `FORWARDED`/`DROPPED`.
    pub fn judge(&self, record: &FlowRecord) -> Result<Option<JudgedFlow>, Unjudged> {
        if record.is_reply || !matches!(record.verdict.as_str(), "FORWARDED" | "DROPPED") {
            return Ok(None);
        }
        let (protocol, port) = record.l4.ok_or(Unjudged::NoPort)?;
        let src = self.end(&record.source, "source")?;
        let dst = self.end(&record.destination, "destination")?;
        let names = &record.destination.names;
        let flow = Flow {
            src,
            dst,
            protocol,
            port,
        };
        let verdict = self.resolver.check_named(&flow, names);
        let (allowed, side) = match record.direction {
            ObservedDirection::Egress => (verdict.egress_allowed, Some(Direction::Egress)),
            ObservedDirection::Ingress => (verdict.ingress_allowed, Some(Direction::Ingress)),
            ObservedDirection::Unknown => (verdict.allowed, None),
        };
        let explained = verdict.explained();
        let reasons = verdict.because.len();
        let decided_by: Vec<Explained> = verdict
            .because
            .iter()
            .map(|r| Some(r.direction()))
            .chain(std::iter::repeat(None))
            .zip(explained)
            .enumerate()
            .filter(|(i, (d, _))| *i >= reasons || side.is_none() || *d == side)
            .map(|(_, (_, e))| e)
            .collect();
        let declared = self
            .declared
            .as_ref()
            .map(|d| d.holds((src, dst), names, protocol, port));
        let forwarded = record.verdict == "FORWARDED";
        let finding = if forwarded != allowed {
            Some(FlowFinding::Drift)
        } else if !forwarded && declared == Some(true) {
            Some(FlowFinding::DeclaredButDropped)
        } else if allowed && declared == Some(false) {
            Some(FlowFinding::Undeclared)
        } else {
            None
        };
        let flow = verdict.flow_ref();
        Ok(Some(JudgedFlow {
            line: record.line,
            from: end_text(self.resolver, src, flow.from),
            to: end_text(self.resolver, dst, flow.to),
            protocol,
            port,
            direction: record.direction,
            observed: record.verdict.clone(),
            verdict: if allowed { "allowed" } else { "denied" },
            decided_by,
            declared,
            finding,
        }))
    }

    /// The workload, address or entity an observed end is.
    fn end(&self, end: &ObservedEnd, which: &str) -> Result<FlowEnd, Unjudged> {
        for reserved in &end.reserved {
            if reserved.starts_with("world") {
                return end.ip.map(FlowEnd::Ip).ok_or_else(|| {
                    Unjudged::UnknownEnd(format!(
                        "the {which} is `reserved:world` without an address"
                    ))
                });
            }
            if let Some(entity) = Entity::parse(reserved) {
                return Ok(FlowEnd::Entity(entity));
            }
        }
        let inventory = &self.resolver.catalog().inventory;
        if !end.namespace.is_empty() {
            let has = |k: &String, v: &String| end.labels.iter().any(|(a, b)| a == k && b == v);
            let best = self
                .by_namespace
                .get(end.namespace.as_str())
                .into_iter()
                .flatten()
                .filter_map(|&id| inventory.endpoint(id).map(|e| (id, e)))
                .filter(|(_, e)| !e.labels.is_empty() && e.labels.iter().all(|(k, v)| has(k, v)))
                .max_by_key(|(_, e)| {
                    let named = end.pod.as_deref().is_some_and(|p| p.starts_with(&e.name));
                    (e.labels.len(), named)
                });
            if let Some((id, _)) = best {
                return Ok(FlowEnd::Endpoint(id));
            }
        }
        if let Some(ip) = end.ip
            && let Some(found) = self.resolver.flow_end(&ip.to_string())
            && (end.namespace.is_empty() || matches!(found, FlowEnd::Endpoint(_)))
        {
            return Ok(found);
        }
        let ns = &end.namespace;
        let message = match (&end.pod, ns.is_empty(), end.ip) {
            (Some(pod), _, _) => {
                format!("the {which} (pod `{ns}/{pod}`) is not a workload of the inventory")
            }
            (None, false, _) => {
                let labels: Vec<String> =
                    end.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "the {which} (namespace `{ns}`, labels [{}]) is not a workload of the inventory",
                    labels.join(", ")
                )
            }
            (None, true, Some(ip)) => {
                format!("the {which} ({ip}) is not a workload of the inventory")
            }
            (None, true, None) => format!("the {which} has no namespace, labels or address"),
        };
        Err(Unjudged::UnknownEnd(format!("{message}; not judged")))
    }
}

/// Why a record was not judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unjudged {
    /// No TCP/UDP/SCTP destination port.
    NoPort,
    /// An end that is not in the inventory.
    UnknownEnd(String),
}

fn end_text(resolver: &Resolver, end: FlowEnd, fallback: String) -> String {
    match end {
        FlowEnd::Endpoint(id) => resolver
            .catalog()
            .inventory
            .endpoint(id)
            .map_or(fallback, |e| e.qualified_name()),
        _ => fallback,
    }
}

fn count(summary: &mut FlowSummary, judged: &JudgedFlow, flows: &mut Vec<JudgedFlow>) {
    summary.judged += 1;
    if judged.verdict == "allowed" {
        summary.allowed += 1;
    } else {
        summary.denied += 1;
    }
    match judged.finding {
        Some(FlowFinding::Drift) => summary.drift += 1,
        Some(FlowFinding::DeclaredButDropped) => summary.declared_but_dropped += 1,
        Some(FlowFinding::Undeclared) => summary.undeclared += 1,
        None => {}
    }
    flows.push(judged.clone());
}
